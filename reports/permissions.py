"""Who may request which report, among the things they can already see.

Visibility (404) comes from the scoping selectors; these rules decide 403.
"""

from accounts.models import User
from accounts.typing import AnyUser
from scoring.models import Assessment


def can_request_assessment_report(user: AnyUser, assessment: Assessment) -> bool:
    """Whoever may see an assessment may have its report: it prints what the pages show them."""
    return isinstance(user, User) and user.is_active


def can_request_round_report(user: AnyUser) -> bool:
    """Round reports cover every hospital of the round, so only the QC centre requests them."""
    return isinstance(user, User) and user.is_qc_admin
