"""Reads of the audit trail: an assessment's history, and its events worded for people.

Events keep machine values (``{"rating": "met"}``); the formatter turns them into
labelled "旧 → 新" lines at read time, so the stored record never depends on the UI language.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import labels
from .models import AuditEvent

ACTION_LABELS: dict[str, Promise] = {
    "assessment.create": gettext_lazy("创建评审"),
    "assessment.submit": gettext_lazy("提交"),
    "assessment.finalize": gettext_lazy("定稿"),
    "assessment.reopen": gettext_lazy("重新打开现场检查"),
    "rating.set": gettext_lazy("评分"),
    "return.create": gettext_lazy("退回细则"),
    "return.answer": gettext_lazy("答复退回"),
    "evidence.upload": gettext_lazy("上传佐证材料"),
    "evidence.delete": gettext_lazy("删除佐证材料"),
    "evidence.review": gettext_lazy("审核佐证材料"),
    "criterion.veto": gettext_lazy("修改单项否决"),
    "criterion.not_applicable": gettext_lazy("修改细则不适用的医院等级"),
    "rectification.create": gettext_lazy("生成整改项"),
    "rectification.assign": gettext_lazy("指派整改"),
    "rectification.evidence_upload": gettext_lazy("上传整改材料"),
    "rectification.answer": gettext_lazy("答复整改"),
    "rectification.verify": gettext_lazy("核验整改"),
    "profile.save": gettext_lazy("填写科室概况"),
    "profile.document_upload": gettext_lazy("上传概况材料"),
    "profile.document_delete": gettext_lazy("删除概况材料"),
    "rule.set": gettext_lazy("修改细则规则"),
    "hospital.create": gettext_lazy("新建医院"),
    "user.create": gettext_lazy("新建用户"),
    "assignment.create": gettext_lazy("分配质控专家"),
    "assignment.delete": gettext_lazy("撤销专家分配"),
    "round.create": gettext_lazy("新建检查轮次"),
    "round.add_hospital": gettext_lazy("轮次添加医院"),
    "round.assign_inspector": gettext_lazy("轮次指派专家"),
    "indicator.value": gettext_lazy("填报指标数据"),
    "indicator.case_import": gettext_lazy("导入病例"),
    "indicator.case_import_request": gettext_lazy("上传病例文件（后台导入）"),
    "report.request": gettext_lazy("申请报告"),
    "report.download": gettext_lazy("下载报告"),
    "report.ready": gettext_lazy("报告已生成"),
    "report.failed": gettext_lazy("报告生成失败"),
    "notification.read": gettext_lazy("阅读通知"),
    "notification.read_all": gettext_lazy("全部通知标为已读"),
    "notification.preference": gettext_lazy("修改邮件通知设置"),
    "auth.login": gettext_lazy("登录"),
    "auth.logout": gettext_lazy("退出登录"),
    "auth.login_failed": gettext_lazy("登录失败"),
    "auth.locked_out": gettext_lazy("登录被锁定"),
    "auth.token": gettext_lazy("获取 API 令牌"),
    "auth.second_factor": gettext_lazy("两步验证通过"),
    "auth.second_factor_failed": gettext_lazy("两步验证失败"),
    "user.password_change": gettext_lazy("修改密码"),
    "user.deactivate": gettext_lazy("停用用户"),
    "user.unlock": gettext_lazy("解除登录锁定"),
    "totp.enrol": gettext_lazy("绑定验证器"),
    "security_policy.set": gettext_lazy("修改安全策略"),
    "file.integrity_failure": gettext_lazy("文件校验失败"),
    "access.denied": gettext_lazy("越权访问被拒绝"),
    "access.not_found": gettext_lazy("访问不存在或不可见的对象"),
    "access.conflict": gettext_lazy("因状态冲突被拒绝的写入"),
    "upload.refused": gettext_lazy("文件上传被拒绝"),
    "admin.add": gettext_lazy("管理后台新增"),
    "admin.change": gettext_lazy("管理后台修改"),
    "admin.delete": gettext_lazy("管理后台删除"),
    "audit.export": gettext_lazy("导出审计日志"),
    "audit.archive": gettext_lazy("归档审计日志"),
}

# Families of actions, for the log's filter: a value ending in "." matches every action it begins.
ACTION_FAMILIES: dict[str, Promise] = {
    "auth.": gettext_lazy("全部登录事件"),
    "access.": gettext_lazy("全部越权访问"),
    "admin.": gettext_lazy("全部管理后台操作"),
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

# Fields whose values are usernames (a rectification item's owner): shown by the person's display name.
PERSON_FIELDS = frozenset({"owner"})


@functools.cache
def _model_choices(object_type: str, field: str) -> dict[Any, Any]:
    """Display names from the changed object's own field (a return's status: 待修改 / 已答复)."""
    try:
        model_field = apps.get_model(object_type)._meta.get_field(field)
    except (LookupError, ValueError, FieldDoesNotExist):
        return {}
    # A key may name a relation (a report job's "children") or a field without choices: nothing to look up.
    if not getattr(model_field, "concrete", False) or not getattr(model_field, "choices", None):
        return {}
    return dict(model_field.flatchoices)


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


def _display(object_type: str, field: str, value: Any, people: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if field in PERSON_FIELDS and isinstance(value, str):
        return people.get(value, value)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, str | int):
        for choices in (_model_choices(object_type, field), labels.value_labels(field)):
            if value in choices:
                return str(choices[value])
    return str(value)


def format_changes(
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    object_type: str = "",
    people: dict[str, str] | None = None,
) -> list[Change]:
    """Fields that differ between `before` and `after`, worded "标签：旧 → 新" (missing side: —).

    Values with choices are shown by their display name, taken from the changed object's
    model (`object_type`, e.g. "scoring.criterionreturn") or else from those an app registered (audit.labels);
    people (usernames) by the display names in `people`.
    """
    before, after = before or {}, after or {}
    people = people or {}
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
                old=_display(object_type, key, old, people),
                new=_display(object_type, key, new, people),
            )
        )
    return changes


def event_reason(event: AuditEvent) -> str:
    """The reason given with the change: the event's own, or the one a return records in its values."""
    if event.reason:
        return event.reason
    after = event.after if isinstance(event.after, dict) else {}
    return str(after.get("reason") or "")


def _people_named(events: list[AuditEvent]) -> dict[str, str]:
    """Display names of the people the events' values name (owners), in one query (none if they name nobody)."""
    usernames = {
        value
        for event in events
        for side in (event.before, event.after)
        if isinstance(side, dict)
        for field in PERSON_FIELDS
        if isinstance(value := side.get(field), str)
    }
    return labels.person_names(usernames)


def history_rows(events: Iterable[AuditEvent]) -> list[HistoryRow]:
    """Events worded for people; beyond the events themselves (actors must be select_related), one query at most,
    for the display names of the people their values name."""
    events = list(events)
    people = _people_named(events)
    return [
        HistoryRow(
            event=event,
            action=action_label(event.action),
            changes=format_changes(
                event.before if isinstance(event.before, dict) else None,
                event.after if isinstance(event.after, dict) else None,
                object_type=event.object_type,
                people=people,
            ),
            reason=event_reason(event),
        )
        for event in events
    ]


def actor_name(event: AuditEvent) -> str:
    """Who made the change: full name, else username (as it was, for a since-deleted user); 系统 when no one did.

    The rule of `accounts.names.display_name`, which audit, below accounts, cannot import."""
    if event.actor is None:
        return event.actor_username or _("系统")
    return event.actor.get_full_name() or event.actor.get_username()


# --- the QC centre's audit log ------------------------------------------------------------------


def can_read_audit_log(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Only the QC centre's administrators read the whole trail."""
    return bool(getattr(user, "is_qc_admin", False))


def audit_log_events(user: AbstractBaseUser | AnonymousUser) -> QuerySet[AuditEvent]:
    """Every event for a qc_admin, newest first; nothing for anyone else. No joins: names are stored on the row."""
    if not can_read_audit_log(user):
        return AuditEvent.objects.none()
    return AuditEvent.objects.order_by("-created_at", "-id")


def action_choices() -> list[tuple[str, str]]:
    """The log filter's choices: the families, then every labelled action."""
    families = [(key, str(label)) for key, label in ACTION_FAMILIES.items()]
    actions = sorted(((key, f"{label}（{key}）") for key, label in ACTION_LABELS.items()), key=lambda c: c[0])
    return families + actions


def hospital_names(events: Iterable[AuditEvent]) -> dict[int, str]:
    """Names of the hospitals the events belong to (one query, by the lookup accounts registers)."""
    return labels.hospital_names(e.hospital_id for e in events if e.hospital_id is not None)
