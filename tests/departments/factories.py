"""factory_boy factories of departments: a hospital's yearly profile (every fact not entered unless given)."""

import factory
from factory.django import DjangoModelFactory

from departments.models import DepartmentProfile
from tests.accounts.factories import HospitalFactory


class DepartmentProfileFactory(DjangoModelFactory):
    class Meta:
        model = DepartmentProfile

    hospital = factory.SubFactory(HospitalFactory)
    year = 2026
