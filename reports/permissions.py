"""Who may request which report, among the things they can already see.

Visibility (404) comes from the scoping selectors; these rules decide 403.
"""

from typing import Any

from scoring.models import Assessment


def can_request_assessment_report(user: Any, assessment: Assessment) -> bool:
    """Whoever may see an assessment may have its report: it prints what the pages show them."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_request_round_report(user: Any) -> bool:
    """Round reports cover every hospital of the round, so only the QC centre requests them."""
    return bool(getattr(user, "is_qc_admin", False))
