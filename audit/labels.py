"""Display names that the audit log borrows from the apps whose events it shows.

Audit sits below every app that records events, so it cannot import their models. Each app
registers, in its AppConfig.ready(), what the log needs from it: the display names of the
values its events carry (an assessment's status, a rating, a file's review status) and, for
accounts, the names of hospitals and of people.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Choices

HospitalNames = Callable[[set[int]], dict[int, str]]
PersonNames = Callable[[set[str]], dict[str, str]]

_value_labels: dict[str, dict[Any, Any]] = {}
_hospital_names: list[HospitalNames] = []
_person_names: list[PersonNames] = []


def register_value_labels(field: str, choices: type[Choices]) -> None:
    """Show values of `field` in event records by the names of `choices` (when the object's own model has none)."""
    _value_labels[field] = dict(choices.choices)


def value_labels(field: str) -> dict[Any, Any]:
    """{value: display name} registered for `field`; empty if no app registered one."""
    return _value_labels.get(field, {})


def register_hospital_names(lookup: HospitalNames) -> None:
    """The function that names hospitals by id (accounts registers it)."""
    _hospital_names[:] = [lookup]


def hospital_names(ids: Iterable[int]) -> dict[int, str]:
    """{id: name} of these hospitals, by the registered lookup (none registered: no names)."""
    wanted = set(ids)
    if not wanted or not _hospital_names:
        return {}
    return _hospital_names[0](wanted)


def register_person_names(lookup: PersonNames) -> None:
    """The function that names people by username, as the pages do (accounts registers it)."""
    _person_names[:] = [lookup]


def person_names(usernames: Iterable[str]) -> dict[str, str]:
    """{username: display name} of these people, by the registered lookup (none registered: no names)."""
    wanted = {u for u in usernames if u}
    if not wanted or not _person_names:
        return {}
    return _person_names[0](wanted)
