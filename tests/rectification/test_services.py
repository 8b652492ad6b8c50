"""Rectification services: the plan from a finalized inspection, assign, answer with files, verify, overdue."""

import datetime
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from rectification import services
from rectification.errors import ItemStateError
from rectification.models import ItemStatus, RectificationEvidence, RectificationItem
from rectification.selectors import overdue_q, plan_for, rectification_items_visible_to
from rectification.services import (
    rectification_answer,
    rectification_assign,
    rectification_plan_create,
    rectification_verify,
)
from scoring.models import AssessmentKind
from tests.conftest import Cast
from tests.evidence.conftest import PDF_BYTES, pdf, png, upload_file
from tests.factories import UserFactory
from workspace.services import assessment_finalize

from .conftest import finalized, plan, stored_files

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


# The plan -------------------------------------------------------------------------------------------


def test_the_plan_has_one_item_per_partial_or_unmet_criterion(cast: Cast) -> None:
    assessment = finalized(cast, cast.hospital_a)
    items = rectification_plan_create(actor=cast.inspector, assessment=assessment)
    assert [(i.criterion.code, i.rating, i.score) for i in items] == [
        ("1.1-1-2", "partial", Decimal("10")),
        ("1.2-1-1", "unmet", Decimal("0")),
    ]
    for item in items:
        assert item.status == ItemStatus.OPEN
        assert item.owner == cast.head_a  # the hospital's one department head
        assert item.due_date == today() + datetime.timedelta(days=90)
        assert not item.is_overdue
    events = AuditEvent.objects.filter(action="rectification.create").order_by("id")
    assert [(e.assessment_id, e.criterion_code) for e in events] == [
        (assessment.pk, "1.1-1-2"),
        (assessment.pk, "1.2-1-1"),
    ]


def test_drawing_up_the_plan_again_changes_nothing(cast: Cast) -> None:
    assessment = finalized(cast, cast.hospital_a)
    first = rectification_plan_create(actor=cast.qc_admin, assessment=assessment)
    rectification_answer(actor=cast.head_a, item=first[0], answer="已补充建科文件")
    again = rectification_plan_create(actor=cast.qc_admin, assessment=assessment)
    assert [i.pk for i in again] == [i.pk for i in first]
    assert again[0].status == ItemStatus.ANSWERED  # existing items are left as they are
    assert RectificationItem.objects.count() == 2
    assert AuditEvent.objects.filter(action="rectification.create").count() == 2


def test_a_finalized_inspection_without_shortfalls_has_an_empty_plan(cast: Cast) -> None:
    assessment = finalized(cast, cast.hospital_a, partial={}, unmet=())
    assert rectification_plan_create(actor=cast.qc_admin, assessment=assessment) == []


def test_the_owner_is_left_open_when_the_hospital_has_no_single_head(cast: Cast) -> None:
    UserFactory(username="head_a2", role=Role.DEPARTMENT_HEAD, hospital=cast.hospital_a)
    items = plan(cast, cast.hospital_a)
    assert all(item.owner is None for item in items)
    # Hospital B has one head, but it has left: nobody is assigned either.
    cast.head_b.is_active = False
    cast.head_b.save(update_fields=["is_active"])
    assert all(item.owner is None for item in plan(cast, cast.hospital_b))


def test_a_self_assessment_gets_no_plan(cast: Cast) -> None:
    assessment = finalized(cast, cast.hospital_a, kind=AssessmentKind.SELF)
    with pytest.raises(ValidationError) as exc:
        rectification_plan_create(actor=cast.qc_admin, assessment=assessment)
    assert "assessment" in exc.value.message_dict
    assert not RectificationItem.objects.exists()


def test_an_inspection_not_yet_finalized_gets_no_plan(cast: Cast) -> None:
    assessment = finalized(cast, cast.hospital_a, finalize=False)
    with pytest.raises(ValidationError) as exc:
        rectification_plan_create(actor=cast.qc_admin, assessment=assessment)
    assert exc.value.message_dict == {"assessment": ["现场检查定稿后才能生成整改计划。"]}
    assert not RectificationItem.objects.exists()


@pytest.mark.parametrize("who", ["inspector_unassigned", "head_a", "staff_a", "head_b"])
def test_only_the_qc_side_that_sees_the_inspection_draws_up_a_plan(cast: Cast, who: str) -> None:
    assessment = finalized(cast, cast.hospital_a)
    before = list(RectificationItem.objects.values_list("pk", flat=True))  # finalize drew up the plan already
    with pytest.raises(PermissionDenied):
        rectification_plan_create(actor=cast.users[who], assessment=assessment)
    assert list(RectificationItem.objects.values_list("pk", flat=True)) == before


# Answer and verify ----------------------------------------------------------------------------------


def test_open_then_answered_then_verified(cast: Cast, media_root: Path) -> None:
    item = plan(cast, cast.hospital_a)[0]
    answered = rectification_answer(actor=cast.staff_a, item=item, answer="  已补充建科文件  ", files=[pdf("文件.pdf")])
    assert answered.status == ItemStatus.ANSWERED
    assert answered.answer == "已补充建科文件"
    assert answered.answered_by == cast.staff_a and answered.answered_at is not None
    [evidence] = RectificationEvidence.objects.filter(item=item)
    assert evidence.original_name == "文件.pdf" and evidence.content_type == "application/pdf"
    assert evidence.size == len(PDF_BYTES) and evidence.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert evidence.file.name.startswith(f"rectification/{item.pk}/") and evidence.file.name.endswith(".pdf")
    assert "文件" not in evidence.file.name  # the stored name never carries the user's
    assert (media_root / evidence.file.name).read_bytes() == PDF_BYTES

    verified = rectification_verify(actor=cast.inspector, item=item, accept=True, note="")
    assert verified.status == ItemStatus.VERIFIED and verified.is_closed
    assert verified.verified_by == cast.inspector and verified.verified_at is not None

    actions = list(
        AuditEvent.objects.filter(assessment_id=item.assessment_id, criterion_code=item.criterion.code)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "rectification.create",
        "rectification.evidence_upload",
        "rectification.answer",
        "rectification.verify",
    ]
    # Closed: no more answers, verifications or assignments.
    with pytest.raises(ItemStateError):
        rectification_answer(actor=cast.head_a, item=item, answer="补充")
    with pytest.raises(ItemStateError):
        rectification_verify(actor=cast.qc_admin, item=item, accept=False, note="重新核验")
    with pytest.raises(ItemStateError):
        rectification_assign(actor=cast.qc_admin, item=item, owner=None, due_date=today())


def test_an_answer_may_be_revised_until_verified(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    rectification_answer(actor=cast.staff_a, item=item, answer="初稿", files=[pdf()])
    again = rectification_answer(actor=cast.head_a, item=item, answer="修订稿", files=[png()])
    assert again.status == ItemStatus.ANSWERED and again.answer == "修订稿" and again.answered_by == cast.head_a
    assert RectificationEvidence.objects.filter(item=item).count() == 2  # files accumulate


def test_a_rejection_sends_the_item_back_to_open_with_the_note(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    rectification_answer(actor=cast.head_a, item=item, answer="已整改")
    with pytest.raises(ValidationError) as exc:
        rectification_verify(actor=cast.inspector, item=item, accept=False, note="  ")
    assert exc.value.message_dict == {"note": ["退回整改时必须填写核验意见。"]}
    item.refresh_from_db()
    assert item.status == ItemStatus.ANSWERED and item.verified_at is None

    back = rectification_verify(actor=cast.inspector, item=item, accept=False, note="缺少院发文件")
    assert back.status == ItemStatus.OPEN and back.was_sent_back
    assert back.verification_note == "缺少院发文件" and back.answer == "已整改"  # the history stays readable
    event = AuditEvent.objects.filter(action="rectification.verify").get()
    assert event.reason == "缺少院发文件" and event.after["status"] == "open"

    rectification_answer(actor=cast.head_a, item=item, answer="已补充院发文件")
    closed = rectification_verify(actor=cast.qc_admin, item=item, accept=True, note="")
    assert closed.status == ItemStatus.VERIFIED


def test_an_open_item_cannot_be_verified_before_the_department_answers(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    with pytest.raises(ItemStateError) as exc:
        rectification_verify(actor=cast.inspector, item=item, accept=True)
    assert exc.value.message == "科室尚未答复，暂不能核验。"


def test_an_empty_answer_is_refused_naming_answer_and_nothing_is_saved(cast: Cast, media_root: Path) -> None:
    item = plan(cast, cast.hospital_a)[0]
    with pytest.raises(ValidationError) as exc:
        rectification_answer(actor=cast.head_a, item=item, answer=" \n ", files=[pdf()])
    assert exc.value.message_dict == {"answer": ["请填写整改情况。"]}
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN and item.answer == ""
    assert not RectificationEvidence.objects.exists() and stored_files(media_root) == []


def test_a_bad_file_is_named_and_nothing_is_half_saved(cast: Cast, media_root: Path) -> None:
    item = plan(cast, cast.hospital_a)[0]
    with pytest.raises(ValidationError) as exc:
        rectification_answer(
            actor=cast.head_a,
            item=item,
            answer="已整改",
            files=[pdf("好.pdf"), upload_file("假.pdf", b"<html></html>"), upload_file("病毒.exe", b"MZ")],
        )
    assert exc.value.message_dict == {
        "files": ["“假.pdf”的内容与扩展名不符。", "“病毒.exe”的类型不允许，仅支持 PDF、图片、Word 和 Excel 文件。"]
    }
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN and item.answer == ""
    assert not RectificationEvidence.objects.exists() and stored_files(media_root) == []
    assert not AuditEvent.objects.filter(action__startswith="rectification.answer").exists()


def test_an_empty_answer_and_a_bad_file_are_both_reported(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    with pytest.raises(ValidationError) as exc:
        rectification_answer(actor=cast.head_a, item=item, answer="", files=[upload_file("空.pdf", b"")])
    assert exc.value.message_dict == {"answer": ["请填写整改情况。"], "files": ["“空.pdf”是空文件。"]}


def test_files_written_before_a_failure_are_removed(cast: Cast, media_root: Path, monkeypatch: Any) -> None:
    item = plan(cast, cast.hospital_a)[0]
    real = services.audit_record

    def failing(**kwargs: Any) -> Any:
        if kwargs["action"] == "rectification.answer":
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(services, "audit_record", failing)
    with pytest.raises(RuntimeError):
        rectification_answer(actor=cast.head_a, item=item, answer="已整改", files=[pdf("一.pdf"), png("二.png")])
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN
    assert not RectificationEvidence.objects.exists() and stored_files(media_root) == []


@pytest.mark.parametrize("who", ["qc_admin", "inspector", "head_b", "inspector_unassigned"])
def test_only_the_department_answers(cast: Cast, who: str) -> None:
    item = plan(cast, cast.hospital_a)[0]
    with pytest.raises(PermissionDenied):
        rectification_answer(actor=cast.users[who], item=item, answer="代答")
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN


@pytest.mark.parametrize("who", ["head_a", "staff_a", "head_b", "inspector_unassigned"])
def test_only_the_qc_side_verifies_and_assigns(cast: Cast, who: str) -> None:
    item = plan(cast, cast.hospital_a)[0]
    rectification_answer(actor=cast.head_a, item=item, answer="已整改")
    with pytest.raises(PermissionDenied):
        rectification_verify(actor=cast.users[who], item=item, accept=True)
    with pytest.raises(PermissionDenied):
        rectification_assign(actor=cast.users[who], item=item, owner=cast.staff_a, due_date=today())


# Assign ---------------------------------------------------------------------------------------------


def test_the_qc_side_assigns_an_owner_and_a_due_date(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    due = today() + datetime.timedelta(days=30)
    assigned = rectification_assign(actor=cast.inspector, item=item, owner=cast.staff_a, due_date=due)
    assert assigned.owner == cast.staff_a and assigned.due_date == due
    event = AuditEvent.objects.get(action="rectification.assign")
    assert event.before["owner"] == "head_a" and event.after == {
        **event.before,
        "owner": "staff_a",
        "due_date": str(due),
    }
    assert event.criterion_code == item.criterion.code
    nobody = rectification_assign(actor=cast.qc_admin, item=item, owner=None, due_date=due)
    assert nobody.owner is None


def test_the_owner_must_belong_to_the_department_and_the_date_must_make_sense(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    for owner in (cast.head_b, cast.inspector, cast.qc_admin):
        with pytest.raises(ValidationError) as exc:
            rectification_assign(actor=cast.qc_admin, item=item, owner=owner, due_date=today())
        assert exc.value.message_dict == {"owner": ["责任人须为该医院麻醉科的人员。"]}
    with pytest.raises(ValidationError) as exc:
        rectification_assign(actor=cast.qc_admin, item=item, owner=cast.staff_a, due_date=None)
    assert list(exc.value.message_dict) == ["due_date"]
    with pytest.raises(ValidationError) as exc:
        rectification_assign(
            actor=cast.qc_admin, item=item, owner=cast.staff_a, due_date=today() - datetime.timedelta(days=1)
        )
    assert "整改期限不能早于整改计划生成的日期" in exc.value.message_dict["due_date"][0]
    item.refresh_from_db()
    assert item.owner == cast.head_a and item.due_date == today() + datetime.timedelta(days=90)


# Overdue and visibility -----------------------------------------------------------------------------


def test_an_item_past_its_due_date_is_overdue_until_verified(cast: Cast) -> None:
    late, on_time = plan(cast, cast.hospital_a)
    RectificationItem.objects.filter(pk=late.pk).update(due_date=today() - datetime.timedelta(days=3))
    RectificationItem.objects.filter(pk=on_time.pk).update(due_date=today())  # due today: not yet late
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.is_overdue and late.days_overdue == 3
    assert not on_time.is_overdue and on_time.days_overdue == 0
    assert list(RectificationItem.objects.filter(overdue_q())) == [late]

    rectification_answer(actor=cast.head_a, item=late, answer="已整改")
    late.refresh_from_db()
    assert late.is_overdue  # answering is not enough: only verification closes it
    rectification_verify(actor=cast.inspector, item=late, accept=True)
    late.refresh_from_db()
    assert not late.is_overdue
    assert not RectificationItem.objects.filter(overdue_q()).exists()


def test_items_are_visible_only_to_who_may_see_the_hospital(cast: Cast) -> None:
    own = plan(cast, cast.hospital_a)
    foreign = plan(cast, cast.hospital_b)
    ids = {
        name: set(rectification_items_visible_to(user).values_list("pk", flat=True))
        for name, user in cast.users.items()
    }
    mine, theirs = {i.pk for i in own}, {i.pk for i in foreign}
    assert ids["qc_admin"] == mine | theirs
    assert ids["inspector"] == ids["head_a"] == ids["staff_a"] == mine
    assert ids["head_b"] == theirs
    assert ids["inspector_unassigned"] == ids["anonymous"] == set()


def test_plan_for_lists_one_inspection_in_the_standard_order(cast: Cast, django_assert_num_queries: Any) -> None:
    items = plan(cast, cast.hospital_a)
    assessment = items[0].assessment
    with django_assert_num_queries(1):
        listed = plan_for(assessment)
        assert [(i.criterion.code, i.owner and i.owner.username) for i in listed] == [
            ("1.1-1-2", "head_a"),
            ("1.2-1-1", "head_a"),
        ]


# The database holds the rules too -------------------------------------------------------------------


def test_the_database_refuses_inconsistent_items(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationItem.objects.filter(pk=item.pk).update(status=ItemStatus.ANSWERED)  # no answer
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationItem.objects.filter(pk=item.pk).update(verified_at=timezone.now())  # sent back without a note
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationItem.objects.filter(pk=item.pk).update(rating="met")
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationItem.objects.create(
            assessment=item.assessment, criterion=item.criterion, rating="unmet", score=0, due_date=today()
        )


def test_the_plan_can_be_drawn_up_in_the_finalize_transaction(cast: Cast) -> None:
    # As the finalize hook does: same transaction, the assessment just locked and finalized, an inspector acting.
    assessment = finalized(cast, cast.hospital_a, finalize=False)
    with transaction.atomic():
        done = assessment_finalize(actor=cast.inspector, assessment=assessment)
        items = rectification_plan_create(actor=cast.inspector, assessment=done)
    assert [i.criterion.code for i in items] == ["1.1-1-2", "1.2-1-1"]
    assert AuditEvent.objects.filter(action="rectification.create", actor=cast.inspector).count() == 2
