"""Browser URLs of the workspace: the home page, assessments and their score sheets."""

from django.urls import path

from . import excel_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("assessments/", views.assessment_list, name="assessment-list"),
    path("assessments/new/", views.assessment_create, name="assessment-create"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path("assessments/<int:pk>/chapters/<int:chapter>/", views.assessment_detail, name="assessment-chapter"),
    path("assessments/<int:pk>/chapters/<int:chapter>/rest-met/", views.chapter_rest_met, name="chapter-rest-met"),
    path("assessments/<int:pk>/criteria/<str:code>/", views.rating_save, name="rating-save"),
    path("assessments/<int:pk>/criteria/<str:code>/details/", views.criterion_details, name="criterion-details"),
    path("assessments/<int:pk>/criteria/<str:code>/return/", views.criterion_return, name="criterion-return"),
    path("assessments/<int:pk>/submit/", views.assessment_submit, name="assessment-submit"),
    path("assessments/<int:pk>/finalize/", views.assessment_finalize, name="assessment-finalize"),
    path("assessments/<int:pk>/reopen/", views.assessment_reopen, name="assessment-reopen"),
    path("assessments/<int:pk>/result/", views.assessment_result, name="assessment-result"),
    path("assessments/<int:pk>/variance/", views.assessment_variance, name="assessment-variance"),
    path("assessments/<int:pk>/history/", views.assessment_history, name="assessment-history"),
    path("assessments/<int:pk>/history.csv", views.assessment_history_csv, name="assessment-history-csv"),
    path("assessments/<int:pk>/sheet.xlsx", excel_views.assessment_sheet, name="assessment-sheet"),
    path("assessments/<int:pk>/sheet/", excel_views.assessment_sheet_import, name="assessment-sheet-import"),
    path("standards/<slug:code>/sheet.xlsx", excel_views.standard_sheet, name="standard-sheet"),
]
