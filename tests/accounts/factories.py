"""factory_boy factories of accounts: hospitals, users, inspector assignments, API tokens, TOTP devices."""

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory
from rest_framework.authtoken.models import Token

from accounts.models import Hospital, InspectorAssignment, Level, Role, User

PASSWORD = "correct-horse-battery-staple"


class HospitalFactory(DjangoModelFactory):
    class Meta:
        model = Hospital

    name = factory.Sequence(lambda n: f"测试医院{n}")
    level = Level.L3A
    key_specialty = False
    teaching = False
    district = "渝中区"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.DEPARTMENT_HEAD
    hospital = factory.SubFactory(HospitalFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = InspectorAssignment

    inspector = factory.SubFactory(UserFactory, role=Role.INSPECTOR, hospital=None)
    hospital = factory.SubFactory(HospitalFactory)


class TokenFactory(DjangoModelFactory):
    """An API token (the key is made by `Token.save`)."""

    class Meta:
        model = Token

    user = factory.SubFactory(UserFactory)


class TOTPDeviceFactory(DjangoModelFactory):
    """A confirmed TOTP device of an inspector (the secret key is the model's random default)."""

    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory, role=Role.INSPECTOR, hospital=None)
    name = "TOTP"
    confirmed = True
