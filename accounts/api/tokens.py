"""API tokens with a lifetime and revocation: the authentication class DRF's settings name.

Kept apart from accounts.api.auth (the token endpoint): DRF imports authentication classes while its
views module loads, so this module must not import DRF's views.
"""

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from accounts.security import password_expired


def token_refusal(token: Token, *, now: datetime.datetime | None = None) -> str | None:
    """Why a stored token no longer signs its user in (None: it still does). Checks no more than the token's row
    and its user's, which the lookup loads together, so it costs no query of its own.

    A token lives API_TOKEN_TTL_HOURS; it dies with a password change (whatever changed it: the page, the
    admin, the shell) and with password expiry. Enrolling an authenticator, a policy that makes the second
    factor mandatory and deactivation delete the user's tokens (accounts.services.user_tokens_revoke).
    """
    now = now or timezone.now()
    user = token.user
    if not user.is_active:
        return _("账号已停用。")
    if token.created + datetime.timedelta(hours=settings.API_TOKEN_TTL_HOURS) <= now:
        return _("API 令牌已过期，请重新获取。")
    if user.password_changed_at is not None and token.created < user.password_changed_at:
        return _("密码已修改，旧的 API 令牌已失效，请重新获取。")
    if password_expired(user, now=now):
        return _("密码已过期。请先在网页上登录并修改密码。")
    return None


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with a lifetime and the revocation rules of `token_refusal`."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        try:  # get(), not first(): the key is unique, and first() would make every API request sort by id
            token = Token.objects.select_related("user").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("无效的 API 令牌。")) from None
        refusal = token_refusal(token)
        if refusal is not None:
            token.delete()  # dead for good: the next sign-in issues a new key
            raise exceptions.AuthenticationFailed(refusal)
        return (token.user, token)
