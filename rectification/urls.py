"""Browser URLs of rectification."""

from django.urls import path

from . import views

urlpatterns = [
    path("rectification/", views.rectification_list, name="rectification-list"),
    path("rectification/<int:pk>/", views.rectification_detail, name="rectification-detail"),
    path("rectification/<int:pk>/answer/", views.rectification_answer, name="rectification-answer"),
    path("rectification/<int:pk>/verify/", views.rectification_verify, name="rectification-verify"),
    path("rectification/<int:pk>/assign/", views.rectification_assign, name="rectification-assign"),
    path(
        "rectification/evidence/<int:evidence_id>/",
        views.rectification_evidence_download,
        name="rectification-evidence",
    ),
]
