"""Pages of signing in beyond Django's own: password change, second factor."""

from django.urls import path

from . import views

urlpatterns = [
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/two-factor/", views.two_factor_setup, name="two-factor-setup"),
    path("accounts/two-factor/verify/", views.two_factor_verify, name="two-factor-verify"),
]
