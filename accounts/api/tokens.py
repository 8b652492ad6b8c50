"""API tokens with a lifetime and revocation: the authentication class DRF's settings name.

Kept apart from accounts.api.auth (the token endpoint): DRF imports authentication classes while its
views module loads, so this module must not import DRF's views.
"""

import datetime
import functools
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.sql.compiler import SQLCompiler
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


_USER = Token._meta.get_field("user").related_model
_TOKEN_FIELDS = [f.attname for f in Token._meta.concrete_fields]
_USER_FIELDS = [f.attname for f in _USER._meta.concrete_fields]


@functools.lru_cache(maxsize=4)
def _token_query(vendor: str) -> tuple[str, SQLCompiler, dict[int, Any]]:
    """`Token.objects.select_related("user").filter(key=…)`, compiled by the ORM once per process.

    Every API request looks its token up with this one query; building and compiling it cost three times what
    PostgreSQL takes to run it (bench/web.py, "result piece"). Its shape never changes, only the key, so the
    SQL is compiled once and run with each request's key; the rows go through the compiler's own converters.
    """
    compiler = Token.objects.select_related("user").filter(key="").query.get_compiler(DEFAULT_DB_ALIAS)
    sql, params = compiler.as_sql()
    columns = [column for column, _sql, _alias in compiler.select]
    names = [column.target.attname for column in columns]
    if len(params) != 1 or names != _TOKEN_FIELDS + _USER_FIELDS:  # the ORM would have to change for this
        raise RuntimeError(f"unexpected token query: {sql!r} with columns {names}")
    return sql, compiler, compiler.get_converters(columns)


def token_with_user(key: str) -> Token | None:
    """The token with this key and its user (one query), or None."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql, compiler, converters = _token_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        rows = cursor.fetchall()
    if not rows:
        return None
    row = next(iter(compiler.apply_converters(rows, converters))) if converters else rows[0]
    split = len(_TOKEN_FIELDS)
    token = Token.from_db(DEFAULT_DB_ALIAS, _TOKEN_FIELDS, row[:split])
    user = _USER.from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, row[split:])
    Token.user.field.set_cached_value(token, user)  # as select_related leaves them: token.user and user.auth_token
    Token.user.field.remote_field.set_cached_value(user, token)
    return token


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with a lifetime and the revocation rules of `token_refusal`."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        token = token_with_user(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("无效的 API 令牌。"))
        refusal = token_refusal(token)
        if refusal is not None:
            token.delete()  # dead for good: the next sign-in issues a new key
            raise exceptions.AuthenticationFailed(refusal)
        return (token.user, token)
