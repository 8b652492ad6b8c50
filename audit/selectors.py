"""Reads of the audit trail: an assessment's history, and its events worded for people.

Events keep machine values (``{"rating": "met"}``); the formatter turns them into
labelled "旧 → 新" lines at read time, so the stored record never depends on the UI language.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AuditEvent

ACTION_LABELS: dict[str, Promise] = {
    "assessment.create": gettext_lazy("创建评审"),
    "assessment.submit": gettext_lazy("提交"),
    "assessment.finalize": gettext_lazy("定稿"),
    "rating.set": gettext_lazy("评分"),
    "return.create": gettext_lazy("退回细则"),
    "return.answer": gettext_lazy("答复退回"),
    "evidence.upload": gettext_lazy("上传佐证材料"),
    "evidence.delete": gettext_lazy("删除佐证材料"),
    "evidence.review": gettext_lazy("审核佐证材料"),
    "criterion.veto": gettext_lazy("修改单项否决"),
    "rectification.create": gettext_lazy("生成整改项"),
    "rectification.assign": gettext_lazy("指派整改"),
    "rectification.evidence_upload": gettext_lazy("上传整改材料"),
    "rectification.answer": gettext_lazy("答复整改"),
    "rectification.verify": gettext_lazy("核验整改"),
    "profile.save": gettext_lazy("填写科室概况"),
    "profile.document_upload": gettext_lazy("上传概况材料"),
    "profile.document_delete": gettext_lazy("删除概况材料"),
    "rule.set": gettext_lazy("修改细则规则"),
}

# Field labels, in the order changes are listed; fields not named here follow under their raw key.
FIELD_LABELS: dict[str, Promise] = {
    "status": gettext_lazy("状态"),
    "rating": gettext_lazy("评定"),
    "score": gettext_lazy("得分"),
    "remark": gettext_lazy("备注"),
    "suggested": gettext_lazy("指标建议"),
    "profile_suggested": gettext_lazy("概况测算建议"),
    "name": gettext_lazy("文件"),
    "review_status": gettext_lazy("审核结论"),
    "review_reason": gettext_lazy("审核意见"),
    "veto": gettext_lazy("单项否决"),
    "owner": gettext_lazy("负责人"),
    "due_date": gettext_lazy("整改期限"),
    "answer": gettext_lazy("整改说明"),
    "files": gettext_lazy("材料"),
    "verification_note": gettext_lazy("核验意见"),
    "standard": gettext_lazy("评价标准"),
    "kind": gettext_lazy("类型"),
    "year": gettext_lazy("年度"),
}

# Technical or redundant keys: ids, storage names and checksums mean nothing on screen; the
# criterion has its own column, and a reason its own column too (see `event_reason`).
HIDDEN_FIELDS = frozenset({"assessment", "hospital", "criterion", "file", "sha256", "content_type", "size", "reason"})


@functools.cache
def _model_choices(object_type: str, field: str) -> dict[Any, Any]:
    """Display names from the changed object's own field (a return's status: 待修改 / 已答复)."""
    try:
        model = apps.get_model(object_type)
        return dict(model._meta.get_field(field).flatchoices)
    except (LookupError, ValueError, FieldDoesNotExist):
        return {}


@functools.cache
def _assessment_choices(field: str) -> dict[Any, Any]:
    """Fallback display names: an event about a return may carry its assessment's status."""
    # Imported late: audit sits below scoring and evidence, which import audit.services.
    from evidence.models import ReviewStatus
    from scoring.models import AssessmentKind, AssessmentStatus, RatingValue

    enums: dict[str, type[models.Choices]] = {
        "status": AssessmentStatus,
        "rating": RatingValue,
        "suggested": RatingValue,
        "profile_suggested": RatingValue,
        "review_status": ReviewStatus,
        "kind": AssessmentKind,
    }
    return dict(enums[field].choices) if field in enums else {}


@dataclass(frozen=True)
class Change:
    """One field's change, already worded: label, old value, new value."""

    field: str
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}：{self.old} → {self.new}"


@dataclass(frozen=True)
class HistoryRow:
    """One audit event as the history page and the CSV show it."""

    event: AuditEvent
    action: str
    changes: list[Change]
    reason: str

    @property
    def changes_text(self) -> str:
        return "；".join(str(c) for c in self.changes)


def assessment_history(assessment: Any, *, criterion_code: str | None = None) -> QuerySet[AuditEvent]:
    """Events filed under this assessment (not its paired self-assessment), newest first; optionally one criterion."""
    qs = AuditEvent.objects.filter(assessment_id=assessment.pk).select_related("actor").order_by("-created_at", "-id")
    if criterion_code:
        qs = qs.filter(criterion_code=criterion_code)
    return qs


def history_criterion_codes(assessment: Any) -> list[str]:
    """The criteria that have events in this assessment's history, for the filter (one query)."""
    codes = (
        AuditEvent.objects.filter(assessment_id=assessment.pk)
        .exclude(criterion_code="")
        .order_by()  # the model's ordering would otherwise defeat distinct()
        .values_list("criterion_code", flat=True)
        .distinct()
    )
    return sorted(codes, key=_code_key)


def _code_key(code: str) -> list[tuple[int, Any]]:
    # "1.1-1-10" after "1.1-1-9": compare numeric parts as numbers.
    parts = code.replace("-", ".").split(".")
    return [(0, int(p)) if p.isdigit() else (1, p) for p in parts]


def action_label(action: str) -> str:
    """The action in words (评分, 定稿 …), or its raw name if it has no label yet."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def _display(object_type: str, field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, str | int):
        for choices in (_model_choices(object_type, field), _assessment_choices(field)):
            if value in choices:
                return str(choices[value])
    return str(value)


def format_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None, *, object_type: str = ""
) -> list[Change]:
    """Fields that differ between `before` and `after`, worded "标签：旧 → 新" (missing side: —).

    Values with choices are shown by their display name, taken from the changed object's
    model (`object_type`, e.g. "scoring.criterionreturn") or else from the assessment's.
    """
    before, after = before or {}, after or {}
    keys = [k for k in FIELD_LABELS if k in before or k in after]
    keys += sorted(k for k in {*before, *after} if k not in FIELD_LABELS)
    changes = []
    for key in keys:
        if key in HIDDEN_FIELDS:
            continue
        old, new = before.get(key), after.get(key)
        if old == new or (old in (None, "") and new in (None, "")):  # e.g. no remark before, an empty one after
            continue
        label = FIELD_LABELS.get(key)
        changes.append(
            Change(
                field=key,
                label=str(label) if label is not None else key,
                old=_display(object_type, key, old),
                new=_display(object_type, key, new),
            )
        )
    return changes


def event_reason(event: AuditEvent) -> str:
    """The reason given with the change: the event's own, or the one a return records in its values."""
    if event.reason:
        return event.reason
    after = event.after if isinstance(event.after, dict) else {}
    return str(after.get("reason") or "")


def history_rows(events: Iterable[AuditEvent]) -> list[HistoryRow]:
    """Events worded for people; no queries beyond the events themselves (actors must be select_related)."""
    return [
        HistoryRow(
            event=event,
            action=action_label(event.action),
            changes=format_changes(
                event.before if isinstance(event.before, dict) else None,
                event.after if isinstance(event.after, dict) else None,
                object_type=event.object_type,
            ),
            reason=event_reason(event),
        )
        for event in events
    ]


def actor_name(event: AuditEvent) -> str:
    """Who made the change: full name, else username; 系统 when no one (or a since-deleted user) did."""
    if event.actor is None:
        return _("系统")
    return event.actor.get_full_name() or event.actor.get_username()
