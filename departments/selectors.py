"""Reads of profiles and rule evaluations, scoped by the one visibility rule (`accounts.selectors`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from accounts.models import Hospital, Level
from accounts.selectors import scope_by_hospital
from accounts.typing import AnyUser
from scoring.models import AppliesTo, Criterion, Standard

from . import rules
from .facts import labels, values
from .models import CriterionRule, DepartmentProfile, ProfileDocument


def profiles_visible_to(user: AnyUser) -> QuerySet[DepartmentProfile]:
    """Profiles of the hospitals the user may see."""
    return scope_by_hospital(DepartmentProfile.objects.select_related("hospital", "updated_by"), user)


def documents_visible_to(user: AnyUser) -> QuerySet[ProfileDocument]:
    return scope_by_hospital(
        ProfileDocument.objects.select_related("profile", "profile__hospital"), user, field="profile__hospital_id"
    )


def profile_of(hospital: Hospital, year: int) -> DepartmentProfile | None:
    return DepartmentProfile.objects.filter(hospital=hospital, year=year).first()


def default_standard() -> Standard | None:
    """The standard profiles are judged against when none is given: the newest one."""
    return Standard.objects.order_by("-issued_on", "-created_at").first()


def rules_for_year(standard_id: int, year: int) -> list[CriterionRule]:
    """Per criterion, the rule in force in `year` (the greatest valid_from ≤ year), in criterion order."""
    chosen: dict[int, CriterionRule] = {}
    qs = (
        CriterionRule.objects.filter(criterion__standard_id=standard_id, valid_from__lte=year)
        .select_related("criterion")
        .order_by("criterion__position", "criterion_id", "-valid_from")
    )
    for rule in qs:
        chosen.setdefault(rule.criterion_id, rule)
    return list(chosen.values())


def context_of(hospital: Hospital) -> rules.Context:
    return rules.Context(level=hospital.level, key_specialty=hospital.key_specialty, teaching=hospital.teaching)


@dataclass(frozen=True)
class Evaluation:
    """A criterion's rule judged over a profile: what the page and the API show next to the criterion."""

    code: str
    rule: CriterionRule
    outcome: rules.Outcome

    @property
    def suggestion(self) -> str | None:
        return self.outcome.suggestion


def evaluate_profile(
    hospital: Hospital, profile: DepartmentProfile | None, rule_list: list[CriterionRule]
) -> dict[str, Evaluation]:
    """{criterion code: Evaluation} for the criteria that apply to the hospital. Pure given its inputs."""
    facts, names, ctx = values(profile), labels(), context_of(hospital)
    return {
        r.criterion.code: Evaluation(r.criterion.code, r, rules.evaluate(r.rule, facts, ctx, names))
        for r in rule_list
        if r.criterion.applies_to == AppliesTo.ALL or hospital.key_specialty
    }


def evaluations_for(hospital: Hospital, year: int, standard_id: int | None = None) -> dict[str, Evaluation]:
    """The rule evaluations of the hospital's profile for `year` (no profile: every rule lacks its numbers)."""
    if standard_id is None:
        standard = default_standard()
        if standard is None:
            return {}
        standard_id = standard.pk
    return evaluate_profile(hospital, profile_of(hospital, year), rules_for_year(standard_id, year))


def suggestion_for(hospital: Hospital, criterion: Criterion, year: int) -> str | None:
    """The rating the profile suggests for one criterion ("met"/"unmet"), if it has a rule that decides.

    Two queries at most (the criterion's rule in force, then the profile), for the rating service.
    """
    rule = CriterionRule.objects.filter(criterion=criterion, valid_from__lte=year).order_by("-valid_from").first()
    if rule is None:
        return None
    rule.criterion = criterion
    evaluation = evaluate_profile(hospital, profile_of(hospital, year), [rule]).get(criterion.code)
    return evaluation.suggestion if evaluation else None


def profile_years(hospital: Hospital) -> list[DepartmentProfile]:
    """Every year's profile of the hospital, newest first: the trend of its facts and evaluations."""
    return list(DepartmentProfile.objects.filter(hospital=hospital).order_by("-year"))


LEVEL_ORDER = [level.value for level in Level]


def shortfalls(year: int, standard_id: int, hospitals: QuerySet[Hospital]) -> dict[str, Any]:
    """City-wide: per criterion and level, how many hospitals meet, miss or lack data, and who misses.

    Two queries (the profiles with their hospitals, the rules) whatever the number of hospitals.
    """
    rule_list = rules_for_year(standard_id, year)
    profiles = {
        p.hospital_id: p
        for p in DepartmentProfile.objects.filter(year=year, hospital__in=hospitals).select_related("hospital")
    }
    all_hospitals = list(hospitals.order_by("level", "name"))
    rows: dict[str, dict[str, Any]] = {}
    for rule in rule_list:
        rows[rule.criterion.code] = {
            "rule": rule,
            "levels": {level: {"met": 0, "unmet": 0, "unknown": 0, "short": []} for level in LEVEL_ORDER},
            "unmet": 0,
        }
    for hospital in all_hospitals:
        evaluations = evaluate_profile(hospital, profiles.get(hospital.pk), rule_list)
        for code, evaluation in evaluations.items():
            cell = rows[code]["levels"][hospital.level]
            if evaluation.outcome.met is True:
                cell["met"] += 1
            elif evaluation.outcome.met is False:
                cell["unmet"] += 1
                cell["short"].append((hospital, evaluation.outcome))
                rows[code]["unmet"] += 1
            else:
                cell["unknown"] += 1
    for row in rows.values():
        row["cells"] = [row["levels"][level] for level in LEVEL_ORDER]
    return {
        "year": year,
        "rows": list(rows.values()),
        "levels": [(level, Level(level).label) for level in LEVEL_ORDER],
        "hospitals": len(all_hospitals),
        "profiles": len(profiles),
    }
