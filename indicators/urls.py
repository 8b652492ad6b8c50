"""Browser URLs of indicators."""

from django.urls import path

from . import views

urlpatterns = [
    path("indicators/", views.indicator_home, name="indicator-home"),
    path("indicators/comparison/", views.comparison_home, name="indicator-comparison-home"),
    path("hospitals/<int:pk>/indicators/", views.hospital_indicators, name="indicator-hospital"),
    path("hospitals/<int:pk>/indicators/<str:code>/<int:year>/", views.value_grid, name="indicator-grid"),
    path("hospitals/<int:pk>/indicators/<str:code>/dashboard/", views.indicator_dashboard, name="indicator-dashboard"),
    path("indicators/<str:code>/comparison/", views.indicator_comparison, name="indicator-comparison"),
]
