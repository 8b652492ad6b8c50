"""API URLs of department profiles (included under /api/v1/)."""

from django.urls import path

from . import views

api_urlpatterns = [
    path("profiles/", views.ProfileList.as_view(), name="profile-list"),
    path("profiles/shortfalls/", views.Shortfalls.as_view(), name="profile-shortfalls"),
    path("hospitals/<int:hospital_id>/profiles/<int:year>/", views.ProfileDetail.as_view(), name="profile-detail"),
    path(
        "hospitals/<int:hospital_id>/profiles/<int:year>/evaluations/",
        views.ProfileEvaluations.as_view(),
        name="profile-evaluations",
    ),
    path("rules/", views.RuleList.as_view(), name="rule-list"),
    path("rules/<str:code>/", views.RuleDetail.as_view(), name="rule-detail"),
]
