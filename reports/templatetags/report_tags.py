"""Report panels for the assessment and round pages, so those pages include one tag each."""

from typing import Any

from django import template

from reports import permissions, selectors

register = template.Library()


@register.inclusion_tag("reports/partials/assessment_panel.html", takes_context=True)
def assessment_reports(context: template.Context, assessment: Any) -> dict[str, Any]:
    """The assessment's latest reports (live status) and the button to request one (one query)."""
    user = context["request"].user
    return {
        "assessment": assessment,
        "jobs": selectors.recent_for_assessment(user, assessment.pk),
        "can_request": permissions.can_request_assessment_report(user, assessment),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("reports/partials/round_panel.html", takes_context=True)
def round_reports(context: template.Context, rnd: Any) -> dict[str, Any]:
    """The round's latest summary and bulk reports with the buttons to request them (QC centre only)."""
    user = context["request"].user
    if not permissions.can_request_round_report(user):
        return {"show": False}
    return {
        "show": True,
        "round": rnd,
        "jobs": selectors.recent_for_round(user, rnd.pk),
        "csrf_token": context.get("csrf_token"),
    }
