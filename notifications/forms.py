"""The e-mail choice form of the notification settings page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EmailChoice


class PreferenceForm(forms.Form):
    """Every notification by mail, a daily digest, or none."""

    email = forms.ChoiceField(label=_("邮件通知"), choices=EmailChoice.choices, widget=forms.RadioSelect)
