"""URL configuration: health check, admin, API v1 with its schema and docs, and every app's pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api.auth import ObtainTokenView
from accounts.api.views import AssignmentViewSet, HospitalViewSet, UserViewSet
from audit.api.urls import api_urlpatterns as audit_api_urlpatterns
from common.pwa import service_worker
from common.views import healthz
from departments.api.urls import api_urlpatterns as profile_api_urlpatterns
from indicators.api.views import (
    AssessmentSuggestions,
    HospitalIndicatorValues,
    HospitalIndicatorYear,
    IndicatorComparison,
    IndicatorDetail,
    IndicatorList,
)
from indicators.case_urls import api_urlpatterns as case_api_urlpatterns
from notifications.api.views import NotificationViewSet
from reports.api.views import AssessmentReports, ReportJobViewSet, RoundReports
from scoring.api.views import CriterionView, StandardViewSet
from workspace.api.sheet_views import api_urlpatterns as sheet_api_urlpatterns
from workspace.api.views import AssessmentViewSet

router = DefaultRouter()
router.register("standards", StandardViewSet, basename="standard")
router.register("hospitals", HospitalViewSet, basename="hospital")
router.register("users", UserViewSet, basename="user")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("reports", ReportJobViewSet, basename="report")
router.register("notifications", NotificationViewSet, basename="notification")

api_v1 = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path(
        "standards/<slug:code>/criteria/<str:criterion_code>/",
        CriterionView.as_view(),
        name="standard-criterion",
    ),
    path("indicators/", IndicatorList.as_view(), name="indicator-list"),
    path("indicators/<str:code>/", IndicatorDetail.as_view(), name="indicator-detail"),
    path("indicators/<str:code>/comparison/", IndicatorComparison.as_view(), name="indicator-comparison-api"),
    path(
        "hospitals/<int:hospital_id>/indicators/<int:year>/",
        HospitalIndicatorYear.as_view(),
        name="hospital-indicators",
    ),
    path(
        "hospitals/<int:hospital_id>/indicators/<int:year>/<str:code>/",
        HospitalIndicatorValues.as_view(),
        name="hospital-indicator-values",
    ),
    path("assessments/<int:pk>/suggestions/", AssessmentSuggestions.as_view(), name="assessment-suggestions"),
    path("assessments/<int:pk>/reports/", AssessmentReports.as_view(), name="assessment-reports"),
    path("rounds/<int:pk>/reports/", RoundReports.as_view(), name="round-reports"),
    *case_api_urlpatterns,
    *profile_api_urlpatterns,
    *sheet_api_urlpatterns,
    *audit_api_urlpatterns,
    *router.urls,
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("sw.js", service_worker, name="service-worker"),
    # The API before the pages' includes: every include mounted at "" that fails to match collects the
    # patterns it tried (for the 404 page), which cost an API request about a tenth of its time.
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("", include("workspace.urls")),
    path("", include("evidence.urls")),
    path("", include("rectification.urls")),
    path("", include("rounds.urls")),
    path("", include("indicators.urls")),
    path("", include("indicators.case_urls")),
    path("", include("departments.urls")),
    path("", include("reports.urls")),
    path("", include("audit.urls")),
    path("", include("notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The admin's own password page would bypass the app's password rules and audit: send it to the app's.
    path("admin/password_change/", RedirectView.as_view(pattern_name="password_change"), name="admin-password-change"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, as the CSP requires.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
