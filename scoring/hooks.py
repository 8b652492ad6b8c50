"""Hooks through which apps above scoring tell it what it must not import: who is on a round's team.

This module imports no models, so an AppConfig can import it at module level and register in ready().
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Assessment


@dataclass(frozen=True)
class TeamSeat:
    """One inspector on an inspection's team."""

    is_lead: bool
    chapters: frozenset[int]  # empty: every chapter


@dataclass(frozen=True)
class Team:
    """A round team of one hospital (its inspection and its self-assessment), by inspector's user id."""

    seats: Mapping[int, TeamSeat]

    @property
    def has_lead(self) -> bool:
        return any(seat.is_lead for seat in self.seats.values())

    def leads(self, user_id: int) -> bool:
        """The lead submits, reviews and finalizes; with no lead, any member does."""
        seat = self.seats.get(user_id)
        return seat is not None and (seat.is_lead or not self.has_lead)

    def chapters_of(self, user_id: int) -> frozenset[int] | None:
        """The chapters a member rates (None: all of them); none for someone off the team."""
        seat = self.seats.get(user_id)
        if seat is None:
            return frozenset()
        return None if seat.is_lead or not seat.chapters else seat.chapters


TeamLookup = Callable[["Assessment"], Team | None]
_team_lookups: list[TeamLookup] = []


def register_team_lookup(lookup: TeamLookup) -> None:
    """The function that finds an inspection's team (rounds registers it in its AppConfig.ready)."""
    if lookup not in _team_lookups:
        _team_lookups.append(lookup)


def team_lookups() -> tuple[TeamLookup, ...]:
    """The registered lookups, in the order they were registered."""
    return tuple(_team_lookups)
