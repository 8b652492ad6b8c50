"""The home page's next steps, per role: what to do now, how many, and a link to the exact place.

- a department: its self-assessment due in N days with M criteria unrated (or ready to submit), the
  criteria returned to it, its rectification items overdue or due soon, its reports ready;
- the QC side (an inspector, a round's lead, the QC centre): inspections to rate, the department's files
  to review, assessments to finalize, rectification answers to verify, the reports it asked for.

What each user may do comes from `scoring.permissions.allowed_actions`, the one table, so a round team
member who is not the lead is not told to review or finalize. A bounded number of queries, whatever the
number of assessments, files or items: every fact is read for all assessments at once.
"""

import datetime
from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import HOSPITAL_ROLES, User
from accounts.typing import AnyUser
from common.next_steps import NextStep, step_sources
from evidence.selectors import awaiting_review_by_assessment
from rectification.selectors import due_counts
from rounds.selectors import round_facts
from scoring import permissions
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, CriterionReturn, ReturnStatus
from scoring.permissions import Action

MAX_STEPS = 10  # beyond this the list ends with one step pointing to every assessment
SOON_DAYS = 14  # a rectification item due within this many days is "due soon"


def _what(assessment: Assessment) -> str:
    return _("%(hospital)s · %(year)s 年度%(kind)s") % {
        "hospital": assessment.hospital.name,
        "year": assessment.year,
        "kind": assessment.get_kind_display(),
    }


def _due(deadline: datetime.date, today: datetime.date) -> str:
    days = (deadline - today).days
    if days > 0:
        return ngettext("%(days)d 天后截止", "%(days)d 天后截止", days) % {"days": days}
    if days == 0:
        return _("今天截止")
    return ngettext("已逾期 %(days)d 天", "已逾期 %(days)d 天", -days) % {"days": -days}


def _detail(assessment: Assessment, query: str = "", anchor: str = "") -> str:
    return reverse("assessment-detail", args=[assessment.pk]) + query + anchor


def _rating_step(
    assessment: Assessment, unrated: int, deadline: datetime.date | None, today: datetime.date
) -> NextStep:
    """Criteria still to rate, with the round's deadline (the self-assessment's, or the inspection's last day)."""
    unrated_text = ngettext("尚有 %(n)d 项未评", "尚有 %(n)d 项未评", unrated) % {"n": unrated}
    if deadline is None:
        text = _("%(what)s：%(unrated)s") % {"what": _what(assessment), "unrated": unrated_text}
    else:
        text = _("%(what)s：%(due)s，%(unrated)s") % {
            "what": _what(assessment),
            "due": _due(deadline, today),
            "unrated": unrated_text,
        }
    kind = "self_due" if assessment.kind == AssessmentKind.SELF else "inspection_due"
    return NextStep(
        kind=kind,
        text=text,
        count=unrated,
        url=_detail(assessment, "?show=unrated"),
        overdue=deadline is not None and deadline < today,
        due=deadline,
    )


def _assessment_steps(user: AnyUser, rows: list[dict[str, Any]], today: datetime.date) -> list[NextStep]:
    """Rate, submit, answer returns, review files, finalize: per assessment still open. Four queries at most."""
    active = [r for r in rows if r["assessment"].status != AssessmentStatus.FINALIZED]
    facts = round_facts([r["assessment"].pk for r in active])
    for r in active:  # every team read at once: asking the table costs no query per assessment
        permissions.prime_team(r["assessment"], facts.get(r["assessment"].pk, {}).get("team"))
    allowed = {r["assessment"].pk: permissions.allowed_actions(user, r["assessment"]) for r in active}
    returned_ids = [
        a.pk
        for a in (r["assessment"] for r in active)
        if a.status == AssessmentStatus.RETURNED and Action.RATE in allowed[a.pk]
    ]
    returns = (
        dict(
            CriterionReturn.objects.filter(assessment_id__in=returned_ids, status=ReturnStatus.OPEN)
            .values("assessment_id")
            .annotate(n=Count("id"))
            .values_list("assessment_id", "n")
        )
        if returned_ids
        else {}
    )
    review_ids = [
        r["assessment"].pk
        for r in active
        if r["assessment"].kind == AssessmentKind.SELF and Action.REVIEW in allowed[r["assessment"].pk]
    ]
    pending = awaiting_review_by_assessment(review_ids) if review_ids else {}

    steps: list[NextStep] = []
    for r in active:
        a, acts = r["assessment"], allowed[r["assessment"].pk]
        rnd = facts.get(a.pk, {}).get("round")
        if a.status == AssessmentStatus.DRAFT and Action.RATE in acts:
            unrated = max(r["applicable"] - r["rated"], 0)
            if unrated:
                deadline = None
                if rnd is not None:
                    deadline = rnd.self_assessment_deadline if a.kind == AssessmentKind.SELF else rnd.inspection_end
                steps.append(_rating_step(a, unrated, deadline, today))
            elif Action.SUBMIT in acts:
                steps.append(
                    NextStep(
                        kind="submit",
                        text=_("%(what)s：已全部评定，可以提交") % {"what": _what(a)},
                        count=0,
                        url=reverse("assessment-submit", args=[a.pk]),
                    )
                )
        if returns.get(a.pk):
            n = returns[a.pk]
            steps.append(
                NextStep(
                    kind="returned",
                    text=ngettext(
                        "%(what)s：%(n)d 项细则被退回，请补充后重新提交",
                        "%(what)s：%(n)d 项细则被退回，请补充后重新提交",
                        n,
                    )
                    % {"what": _what(a), "n": n},
                    count=n,
                    url=_detail(a, "?show=returned"),
                )
            )
        if a.pk in pending:
            n, code, chapter = pending[a.pk]
            steps.append(
                NextStep(
                    kind="review",
                    text=ngettext("%(what)s：%(n)d 份佐证材料待审核", "%(what)s：%(n)d 份佐证材料待审核", n)
                    % {"what": _what(a), "n": n},
                    count=n,
                    # The chapter page: it shows each criterion's details (the review form) unfolded.
                    url=reverse("assessment-chapter", args=[a.pk, chapter]) + f"#c-{code}",
                )
            )
        elif a.status == AssessmentStatus.SUBMITTED and Action.FINALIZE in acts:
            steps.append(
                NextStep(
                    kind="finalize",
                    text=_("%(what)s：已提交，待审核定稿") % {"what": _what(a)},
                    count=0,
                    url=reverse("assessment-finalize", args=[a.pk]),
                )
            )
    return steps


def _rectification_steps(user: AnyUser, today: datetime.date) -> list[NextStep]:
    """Items overdue or due soon (the department acts) and answers awaiting verification (the QC side). One query."""
    counts = due_counts(user, soon=SOON_DAYS)
    listing = reverse("rectification-list")

    def url(group: str, query: str) -> str:
        if counts[group] == 1:
            return reverse("rectification-detail", args=[counts[f"{group}_id"]])
        return listing + query

    steps = []
    if counts["overdue"]:
        n = counts["overdue"]
        steps.append(
            NextStep(
                kind="rectification_overdue",
                text=ngettext("%(n)d 项整改已逾期", "%(n)d 项整改已逾期", n) % {"n": n},
                count=n,
                url=url("overdue", "?status=open&overdue=true"),
                overdue=True,
            )
        )
    if counts["due_soon"]:
        n, soonest = counts["due_soon"], counts["soonest"]
        steps.append(
            NextStep(
                kind="rectification_due",
                text=ngettext("%(n)d 项整改即将到期（最早 %(date)s）", "%(n)d 项整改即将到期（最早 %(date)s）", n)
                % {"n": n, "date": soonest.isoformat()},
                count=n,
                url=url("due_soon", "?status=open&overdue=false"),
                due=soonest,
            )
        )
    # The QC side verifies what the department answered.
    if counts["answered"] and not (isinstance(user, User) and user.effective_role in HOSPITAL_ROLES):
        n = counts["answered"]
        steps.append(
            NextStep(
                kind="rectification_verify",
                text=ngettext("%(n)d 项整改已答复，待核验", "%(n)d 项整改已答复，待核验", n) % {"n": n},
                count=n,
                url=url("answered", "?status=answered"),
            )
        )
    return steps


def _urgency(step: NextStep) -> tuple[int, datetime.date]:
    return (0 if step.overdue else 1 if step.due else 2, step.due or datetime.date.max)


def next_steps(user: AnyUser, rows: list[dict[str, Any]], *, today: datetime.date | None = None) -> list[NextStep]:
    """The user's next steps, the most urgent first: overdue, then by deadline, then the rest.

    `rows` are the user's visible assessments with progress (`scoring.selectors.assessments_with_progress`),
    which the home page has read already. At most MAX_STEPS, then one step to the full list.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    today = today or timezone.localdate()
    steps = _assessment_steps(user, rows, today) + _rectification_steps(user, today)
    for source in step_sources():
        steps += source(user, today)
    steps.sort(key=_urgency)  # stable: otherwise in the order found
    if len(steps) > MAX_STEPS:
        rest = len(steps) - (MAX_STEPS - 1)
        more = NextStep(
            kind="more",
            text=ngettext("另有 %(n)d 项待办", "另有 %(n)d 项待办", rest) % {"n": rest},
            count=rest,
            url=reverse("assessment-list"),
        )
        steps = [*steps[: MAX_STEPS - 1], more]
    return steps
