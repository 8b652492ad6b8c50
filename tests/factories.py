"""The factories' old home, kept so existing imports work: each app's factories live in tests/<app>/factories.py."""

from tests.accounts.factories import PASSWORD, AssignmentFactory, HospitalFactory, UserFactory
from tests.scoring.factories import AssessmentFactory, rate_all

__all__ = ["PASSWORD", "AssessmentFactory", "AssignmentFactory", "HospitalFactory", "UserFactory", "rate_all"]
