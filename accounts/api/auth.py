"""The API's token endpoint, with the same sign-in rules as the browser: lockout, password age, TOTP."""

import logging
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_message
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import verify_token
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.security import confirmed_device, password_expired, second_factor_required
from audit.services import audit_record
from common.parsers import DecimalJSONParser

from .tokens import token_refusal

log = logging.getLogger(__name__)


class TokenRequestSerializer(AuthTokenSerializer):
    """Username and password, and the current TOTP code for accounts that use a second factor."""

    otp = serializers.CharField(
        label=gettext_lazy("动态验证码"), required=False, allow_blank=True, write_only=True, max_length=10
    )


class ObtainTokenView(ObtainAuthToken):
    """POST username and password (and `otp`, if the account uses TOTP) for an API token.

    - 429 after too many failures for the account from this address (django-axes, as on the web);
    - 403 if the password has expired, or a second factor is required and none is enrolled
      (both are dealt with in the browser first);
    - 400 for wrong credentials or a missing or wrong `otp`.
    """

    serializer_class = TokenRequestSerializer
    # DRF's view names its own parsers; these are the API's (deeply nested JSON answers 400, not 500).
    parser_classes = (DecimalJSONParser, FormParser, MultiPartParser)
    # Password guessing is slowed per address before the lockout counts it (settings: API_THROTTLE_TOKEN).
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # Axes flags the request (the DRF wrapper, which authenticate() was given) on a lockout.
            if getattr(request, "axes_locked_out", False):
                return Response({"detail": str(get_lockout_message())}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        user = serializer.validated_data["user"]
        if password_expired(user):
            return Response({"detail": _("密码已过期。请先在网页上登录并修改密码。")}, status=status.HTTP_403_FORBIDDEN)
        device = confirmed_device(user) if user.is_privileged else None
        if device is not None:
            code = str(serializer.validated_data.get("otp") or "").replace(" ", "")
            if not code or verify_token(user, device.persistent_id, code) is None:
                log.warning("API token refused for user %s: missing or wrong TOTP code", user.pk)
                audit_record(actor=user, action="auth.second_factor_failed", obj=user, after={"via": "api-token"})
                return Response({"otp": [_("请提供正确的动态验证码。")]}, status=status.HTTP_400_BAD_REQUEST)
        elif user.is_privileged and second_factor_required():
            return Response(
                {"detail": _("此账号须使用两步验证。请先在网页上登录并绑定验证器。")}, status=status.HTTP_403_FORBIDDEN
            )
        # A sign-in like any other for the lockout's bookkeeping: logged, and past failures forgiven.
        AxesProxyHandler.user_logged_in(sender=type(self), request=request, user=user)
        token = Token.objects.filter(user=user).select_related("user").first()
        if token is not None and token_refusal(token) is not None:
            token.delete()  # expired or revoked: hand out a new key, never the dead one again
        token, created = Token.objects.get_or_create(user=user)
        audit_record(actor=user, action="auth.token", obj=user, after={"token_created": created})
        return Response({"token": token.key})
