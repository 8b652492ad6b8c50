"""Browser URLs of evidence."""

from django.urls import path

from . import views

urlpatterns = [
    path("assessments/<int:pk>/criteria/<str:code>/evidence/", views.evidence_upload, name="evidence-upload"),
    path(
        "assessments/<int:pk>/criteria/<str:code>/inspection-evidence/",
        views.inspection_evidence_upload,
        name="inspection-evidence-upload",
    ),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence-download"),
    path("evidence/<int:evidence_id>/delete/", views.evidence_delete, name="evidence-delete"),
    path("evidence/<int:evidence_id>/review/", views.evidence_review, name="evidence-review"),
]
