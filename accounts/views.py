"""Pages of the sign-in steps: changing an expired password, enrolling and entering a TOTP code."""

import logging
import secrets
from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm as BasePasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record

from . import services
from .forms import PasswordChangeForm, TokenForm
from .security import ENROL, PASSWORD_EXPIRED, SECOND_FACTOR, VERIFY, confirmed_device, second_factor_required

log = logging.getLogger(__name__)

# The key of an authenticator being enrolled, kept server-side in the session until a code confirms it.
ENROL_KEY = "anesqc_totp_enrol_key"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; it also clears a pending "password expired" step."""

    form_class = PasswordChangeForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["expired"] = bool(self.request.session.get(PASSWORD_EXPIRED))
        context["next"] = _safe_next(self.request, default="")
        return context

    def form_valid(self, form: BasePasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(actor=form.user, action="user.password_change", obj=form.user)
        services.user_tokens_revoke(users=form.user)
        if self.request.session.pop(PASSWORD_EXPIRED, None):
            messages.success(self.request, _("密码已修改。"))
            return redirect(_safe_next(self.request))
        return response


def _safe_next(request: HttpRequest, *, default: str = "/") -> str:
    """The `next` URL of the request if it stays on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _require_privileged(request: HttpRequest) -> None:
    if not getattr(request.user, "is_privileged", False):
        raise PermissionDenied(_("只有质控中心管理员和质控专家使用两步验证。"))


def _second_factor_done(request: HttpRequest, device: TOTPDevice) -> HttpResponse:
    """Mark the session as verified by `device` and go on to where the user was going."""
    otp_login(request, device)
    request.session.pop(SECOND_FACTOR, None)
    # A new session key for the raised privilege, as at sign-in.
    request.session.cycle_key()
    return redirect(_safe_next(request))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app (scan a QR code drawn here, confirm with a code)."""
    _require_privileged(request)
    user: Any = request.user  # Any: OTPMiddleware gives it is_verified(), which no type declares
    has_device = confirmed_device(user) is not None
    if request.session.get(SECOND_FACTOR) == VERIFY or (has_device and not user.is_verified()):
        # Whoever has only the password must not replace the authenticator: prove the current one first.
        request.session[SECOND_FACTOR] = VERIFY
        return redirect(_step_url("two-factor-verify", reverse("two-factor-setup")))
    key = request.session.get(ENROL_KEY)
    if not isinstance(key, str):
        key = secrets.token_hex(20)
        request.session[ENROL_KEY] = key
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.totp_device_enrol(user=user, key=key, token=form.cleaned_data["token"])
        if device is not None:
            del request.session[ENROL_KEY]
            messages.success(request, _("两步验证已启用。以后登录时，输入密码后还需输入验证器中的动态验证码。"))
            log.info("TOTP enrolled for user %s", user.pk)
            return _second_factor_done(request, device)
        form.add_error("token", _("验证码不正确。请确认手机时间准确，并输入验证器当前显示的 6 位数字。"))
    pending = TOTPDevice(user=user, name="TOTP", key=key)
    context = {
        "form": form,
        "has_device": has_device,
        "required": request.session.get(SECOND_FACTOR) == ENROL,
        "qr_data_uri": segno.make(pending.config_url, error="m").svg_data_uri(scale=5, border=2),
        "secret": " ".join(_chunks(b32encode(pending.bin_key).decode(), 4)),
        "next": _safe_next(request, default=""),
    }
    return render(request, "registration/two_factor_setup.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app."""
    _require_privileged(request)
    user: Any = request.user  # Any: OTPMiddleware gives it is_verified(), which no type declares
    device = confirmed_device(user)
    if device is None:
        # The authenticator was removed (a qc_admin reset it): enrol again if that is required.
        if second_factor_required():
            request.session[SECOND_FACTOR] = ENROL
            return redirect(_step_url("two-factor-setup", _safe_next(request)))
        request.session.pop(SECOND_FACTOR, None)
        return redirect(_safe_next(request))
    if request.session.get(SECOND_FACTOR) != VERIFY and user.is_verified():
        return redirect(_safe_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # After each wrong code the device waits twice as long before it checks another (django-otp).
        allowed, _details = device.verify_is_allowed()
        verified = verify_token(user, device.persistent_id, form.cleaned_data["token"]) if allowed else None
        if verified is not None:
            audit_record(actor=user, action="auth.second_factor", obj=user)
            return _second_factor_done(request, verified)
        log.warning("TOTP code refused for user %s (throttled: %s)", user.pk, not allowed)
        audit_record(actor=user, action="auth.second_factor_failed", obj=user, after={"throttled": not allowed})
        if allowed:
            form.add_error("token", _("验证码不正确，请重试。"))
        else:
            form.add_error("token", _("错误次数过多，请稍候再试。"))
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _safe_next(request, default="")}
    )


def _step_url(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]
