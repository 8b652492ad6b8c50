"""Browser URLs of inspection rounds."""

from django.urls import path

from . import views

urlpatterns = [
    path("rounds/", views.round_list, name="round-list"),
    path("rounds/new/", views.round_create, name="round-create"),
    path("rounds/<int:pk>/", views.round_detail, name="round-detail"),
    path("rounds/<int:pk>/hospitals/", views.round_add_hospital, name="round-add-hospital"),
    path("rounds/<int:pk>/hospitals/<int:entry_id>/inspectors/", views.round_assign_inspector, name="round-assign"),
]
