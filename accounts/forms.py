"""Forms of the sign-in steps: a new password, a TOTP code."""

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm as BasePasswordChangeForm
from django.utils.translation import gettext_lazy as _


class PasswordChangeForm(BasePasswordChangeForm):
    """Django's password change, refusing the current password as the new one (it would reset its age)."""

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        new = (cleaned or {}).get("new_password1")
        if new and self.user.check_password(new):
            self.add_error("new_password1", _("新密码不能与当前密码相同。"))
        return cleaned


class TokenForm(forms.Form):
    """A six-digit code from the authenticator app."""

    token = forms.CharField(
        label=_("动态验证码"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "pattern": "[0-9 ]*"}
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("请输入 6 位数字验证码。"))
        return token
