"""Reads of rounds, scoped to the user, and the progress board."""

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import scope_by_hospital
from accounts.typing import AnyUser
from scoring.hooks import Team, TeamSeat
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Rating
from scoring.selectors import applicable_counts, applicable_number

from .models import InspectionRound, RoundHospital, RoundInspector


def assessment_team(assessment: Assessment) -> Team | None:
    """The round team of the hospital an assessment belongs to (its inspection or its self-assessment),
    for scoring's permission rules (one query); None when it is in no round or the team is empty."""
    field = "entry__inspection_id" if assessment.kind == AssessmentKind.INSPECTION else "entry__self_assessment_id"
    seats = {
        inspector_id: TeamSeat(is_lead=is_lead, chapters=frozenset(chapters or ()))
        for inspector_id, is_lead, chapters in RoundInspector.objects.filter(**{field: assessment.pk}).values_list(
            "inspector_id", "is_lead", "chapters"
        )
    }
    return Team(seats) if seats else None


def round_facts(assessment_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For each given assessment in a round: its round's dates and its hospital's team, in two queries.

    {assessment id: {"round": InspectionRound, "team": Team | None}}; an assessment in no round is absent.
    """
    ids = list(assessment_ids)
    if not ids:
        return {}
    entries = list(
        RoundHospital.objects.filter(Q(self_assessment_id__in=ids) | Q(inspection_id__in=ids)).select_related("round")
    )
    seats: dict[int, dict[int, TeamSeat]] = {}
    for entry_id, inspector_id, is_lead, chapters in RoundInspector.objects.filter(
        entry_id__in=[e.pk for e in entries]
    ).values_list("entry_id", "inspector_id", "is_lead", "chapters"):
        seats.setdefault(entry_id, {})[inspector_id] = TeamSeat(is_lead=is_lead, chapters=frozenset(chapters or ()))
    facts: dict[int, dict[str, Any]] = {}
    for entry in entries:
        team = Team(seats[entry.pk]) if entry.pk in seats else None
        for assessment_id in (entry.self_assessment_id, entry.inspection_id):
            if assessment_id in ids:
                facts[assessment_id] = {"round": entry.round, "team": team}
    return facts


def round_entries_visible_to(user: AnyUser) -> QuerySet[RoundHospital]:
    """Round entries of the hospitals the user may see."""
    return scope_by_hospital(RoundHospital.objects.all(), user)


def rounds_visible_to(user: AnyUser) -> QuerySet[InspectionRound]:
    """qc_admin: every round; others: the rounds one of their hospitals takes part in."""
    qs = InspectionRound.objects.select_related("standard")
    if isinstance(user, User) and user.effective_role == Role.QC_ADMIN and user.is_active:
        return qs
    return qs.filter(pk__in=round_entries_visible_to(user).values("round_id"))


def _rated_count(field: str) -> Coalesce:
    # A correlated subquery, not a join: two joined rating sets would multiply rows per hospital.
    counted = Rating.objects.filter(assessment=OuterRef(field)).values("assessment").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def round_board(rnd: InspectionRound, user: AnyUser, entries: QuerySet[RoundHospital]) -> list[dict[str, Any]]:
    """One row per visible hospital: self-assessment and inspection progress, the team, the outcome.

    Past the round's self-assessment deadline, a self-assessment not yet submitted is overdue; past the
    inspection's last day, an inspection not yet finalized. A constant number of queries whatever the
    number of hospitals or ratings.
    """
    today = timezone.localdate()
    self_late = today > rnd.self_assessment_deadline
    inspection_late = today > rnd.inspection_end
    counts = applicable_counts().get(rnd.standard_id, {"all": 0, "key_specialty": 0})
    entries = (
        entries.filter(round=rnd)
        .select_related("hospital", "self_assessment", "inspection")
        .annotate(self_rated=_rated_count("self_assessment"), inspection_rated=_rated_count("inspection"))
        .prefetch_related(Prefetch("team", queryset=RoundInspector.objects.select_related("inspector")))
        .order_by("hospital__level", "hospital__name")
    )
    rows = []
    for e in entries:
        applicable = applicable_number(counts, key_specialty=e.hospital.key_specialty, level=e.hospital.level)
        final = e.inspection.final_result if e.inspection and e.inspection.final_result else None
        rows.append(
            {
                "entry": e,
                "applicable": applicable,
                "self_rated": e.self_rated,
                "inspection_rated": e.inspection_rated,
                "outcome": final["outcome"] if final else None,
                "total": final["total"] if final else None,
                "team": list(e.team.all()),
                "self_overdue": self_late
                and (e.self_assessment is None or e.self_assessment.status == AssessmentStatus.DRAFT),
                "inspection_overdue": inspection_late and (e.inspection is None or not e.inspection.is_finalized),
            }
        )
    return rows
