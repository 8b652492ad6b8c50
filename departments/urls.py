"""Browser URLs of department profiles."""

from django.urls import path

from . import views

urlpatterns = [
    path("profiles/", views.profile_home, name="profile-home"),
    path("profiles/shortfalls/", views.shortfalls, name="profile-shortfalls"),
    path("profiles/shortfalls.xlsx", views.shortfalls_xlsx, name="profile-shortfalls-xlsx"),
    path("profiles/rule-settings/", views.rule_settings, name="rule-settings"),
    path("profiles/rule-settings/readings/<str:code>/", views.rule_reading_set, name="rule-reading-set"),
    path("profiles/rule-settings/levels/", views.criterion_levels_set, name="criterion-levels-set"),
    path("hospitals/<int:pk>/profile/", views.profile_trend, name="profile-trend"),
    path("hospitals/<int:pk>/profile/<int:year>/", views.profile_detail, name="profile-detail"),
    path(
        "hospitals/<int:pk>/profile/<int:year>/documents/",
        views.profile_document_upload,
        name="profile-document-upload",
    ),
    path("profile-documents/<int:pk>/", views.profile_document_download, name="profile-document"),
    path("profile-documents/<int:pk>/delete/", views.profile_document_delete, name="profile-document-delete"),
]
