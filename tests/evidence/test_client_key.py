"""An upload made in the browser carries a `client_key`: sent again (offline.js replays it), it is stored once."""

import uuid
from pathlib import Path

import pytest
from django.test import Client

from audit.models import AuditEvent
from evidence.models import Evidence
from tests.conftest import Cast
from tests.factories import AssessmentFactory

from .conftest import pdf, png, stored_files

pytestmark = pytest.mark.django_db


def _upload(client: Client, assessment_pk: int, key: str, *files: object, code: str = "1.1-1-1") -> str:
    response = client.post(
        f"/assessments/{assessment_pk}/criteria/{code}/evidence/",
        {"files": list(files), "client_key": key},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    return response.content.decode()


def test_an_upload_sent_twice_with_its_client_key_is_stored_once(cast: Cast, media_root: Path) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = Client()
    client.force_login(cast.head_a)
    key = str(uuid.uuid4())

    first = _upload(client, assessment.pk, key, png("照片.png"), pdf("制度.pdf"))
    again = _upload(client, assessment.pk, key, png("照片.png"), pdf("制度.pdf"))

    assert "已上传 2 个文件" in first and "已上传 2 个文件" in again
    assert Evidence.objects.filter(assessment=assessment).count() == 2
    assert len(stored_files(media_root)) == 2
    assert AuditEvent.objects.filter(action="evidence.upload").count() == 2
    assert again.count('class="evidence-item"') == 2
    assert "data-offline-upload" in again  # the form offline.js keeps when there is no network


def test_another_client_key_or_none_is_another_upload(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = Client()
    client.force_login(cast.head_a)

    _upload(client, assessment.pk, str(uuid.uuid4()), png())
    _upload(client, assessment.pk, str(uuid.uuid4()), png())
    _upload(client, assessment.pk, "", png())

    assert Evidence.objects.filter(assessment=assessment).count() == 3
    assert Evidence.objects.filter(client_key__isnull=True).count() == 1


def test_the_same_client_key_on_another_criterion_is_another_upload(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = Client()
    client.force_login(cast.head_a)
    key = str(uuid.uuid4())

    _upload(client, assessment.pk, key, png())
    _upload(client, assessment.pk, key, png(), code="1.1-1-2")

    assert Evidence.objects.filter(assessment=assessment).count() == 2


def test_a_malformed_client_key_is_refused_at_the_upload_and_nothing_is_stored(cast: Cast, media_root: Path) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = Client()
    client.force_login(cast.head_a)

    body = _upload(client, assessment.pk, "not-a-uuid", png())

    assert "上传标识（client_key）格式无效" in body and 'role="alert"' in body
    assert not Evidence.objects.exists() and stored_files(media_root) == []
