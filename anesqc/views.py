"""Project-level pages: the health check and the landing page."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.selectors import hospitals_visible_to
from scoring.selectors import (
    assessments_visible_to,
    assessments_with_progress,
    creatable_assessment_kinds,
    standards_list,
)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 {"status": "ok"} when the database answers; 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What to do next, per role; for visitors, what anesqc is and where to sign in."""
    context: dict = {"standards": standards_list()}
    if request.user.is_authenticated:
        rows = assessments_with_progress(assessments_visible_to(request.user))
        context.update(
            {
                "rows": rows,
                "todo": [r for r in rows if r["assessment"].status != "finalized"],
                "can_create": creatable_assessment_kinds(request.user),
                "hospitals": hospitals_visible_to(request.user),
            }
        )
    return render(request, "home.html", context)
