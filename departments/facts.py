"""The facts of a department profile: their order, sections, labels and units, read from the model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import DepartmentProfile, DirectorTitle

SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (
        _("场地、床位与工作量"),
        (
            "or_tables",
            "non_or_tables",
            "surgical_beds",
            "operations_per_year",
            "rr_beds",
            "aicu_beds",
            "pain_clinic_area",
            "pain_ward_beds",
            "pain_ward_area_per_bed",
        ),
    ),
    (
        _("人员"),
        (
            "clinical_staff",
            "rr_doctors",
            "rr_nurses",
            "aicu_doctors",
            "aicu_nurses",
            "pain_clinic_doctors",
            "pain_clinic_nurses",
            "pain_ward_doctors",
            "pain_ward_nurses",
            "doctors_total",
            "doctors_bachelor",
            "director_title",
            "director_certified",
        ),
    ),
    (
        _("设备"),
        (
            "monitors",
            "anesthesia_machines",
            "petco2_monitors",
            "defibrillators",
            "rr_monitors",
            "rr_ventilators",
            "invasive_bp_monitors",
            "hemodynamic_monitors",
            "respiratory_monitors",
            "blood_salvage_machines",
            "crrt_machines",
            "fibreoptic_scopes",
            "tee_machines",
            "airway_device_types",
        ),
    ),
    (_("年麻醉量"), ("general_anesthetics", "regional_anesthetics", "other_anesthetics")),
)
FACTS: tuple[str, ...] = tuple(name for _section, names in SECTIONS for name in names)
NUMERIC: tuple[str, ...] = tuple(
    n
    for n in FACTS
    if isinstance(DepartmentProfile._meta.get_field(n), (models.PositiveIntegerField, models.DecimalField))
)
# Categorical facts and the values a rule may compare them with (`equals`, `one_of`).
CATEGORICAL: dict[str, tuple[Any, ...]] = {
    "director_title": tuple(DirectorTitle.values),
    "director_certified": (True, False),
}
# Staff and equipment: more of them never makes a requirement harder to meet (tested as a property).
SUPPLY: frozenset[str] = frozenset(
    {
        *SECTIONS[1][1][:9],
        "doctors_bachelor",
        *SECTIONS[2][1],
        "general_anesthetics",
        "regional_anesthetics",
        "other_anesthetics",
        "pain_clinic_area",
        "pain_ward_area_per_bed",
    }
) - {"director_title", "director_certified"}


@dataclass(frozen=True)
class Fact:
    """One fact as a form and a rule see it."""

    name: str
    label: str
    unit: str
    kind: str  # "count", "area", "choice" or "flag"


def fact(name: str) -> Fact:
    field = DepartmentProfile._meta.get_field(name)
    assert isinstance(field, models.Field)
    if isinstance(field, models.PositiveIntegerField):
        kind = "count"
    elif isinstance(field, models.DecimalField):
        kind = "area"
    elif isinstance(field, models.BooleanField):
        kind = "flag"
    else:
        kind = "choice"
    return Fact(name, str(field.verbose_name), str(field.help_text or ""), kind)


def labels() -> dict[str, tuple[str, str]]:
    """{fact: (label, unit)} in the active language, for rule sentences; categorical facts also name their
    values as {"fact:value": (value label, "")} ("director_title:chief" → 主任医师, flags as "…:true")."""
    out = {n: (f.label, f.unit) for n in (*NUMERIC, *CATEGORICAL) for f in (fact(n),)}
    out |= {f"director_title:{value}": (str(label), "") for value, label in DirectorTitle.choices}
    out |= {"director_certified:true": (str(_("是")), ""), "director_certified:false": (str(_("否")), "")}
    return out


def values(profile: DepartmentProfile | None) -> dict[str, Any]:
    """The profile's facts as plain data (None where not entered, or no profile at all)."""
    return {n: getattr(profile, n) if profile is not None else None for n in FACTS}
