"""Browser URLs of reports."""

from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.report_list, name="report-list"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("reports/<int:pk>/download/", views.report_download, name="report-download"),
    path("assessments/<int:pk>/reports/", views.assessment_report_request, name="assessment-report-request"),
    path("rounds/<int:pk>/reports/", views.round_report_request, name="round-report-request"),
]
