"""The wording of each kind of notification, filled with its language-neutral values when shown.

Stored rows hold a kind and values (names, codes, dates), never a sentence, so the inbox reads in
the reader's language (Chinese, English when switched) and the e-mail in Chinese.
"""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _


def _kind_of_assessment(p: dict[str, Any]) -> str:
    return _("自评") if p.get("assessment_kind") == "self" else _("现场检查")


def _outcome(p: dict[str, Any]) -> str:
    outcome = p.get("outcome")
    if outcome == "pass":
        return _("达标")
    if outcome == "fail":
        return _("未达标")
    return _("未完成")


def _round_opened(p: dict[str, Any]) -> str:
    return _("%(round)s 已开始：%(hospital)s 的自评请在 %(due)s 前提交。") % p


def _criterion_returned(p: dict[str, Any]) -> str:
    return _("%(hospital)s %(year)s 年自评的细则 %(code)s 被退回：%(reason)s") % p


def _evidence_rejected(p: dict[str, Any]) -> str:
    return _("细则 %(code)s 的佐证材料“%(name)s”被退回：%(reason)s") % p


def _self_submitted(p: dict[str, Any]) -> str:
    if p.get("resubmitted"):
        return _("%(hospital)s 重新提交了 %(year)s 年自评（已答复退回的细则）。") % p
    return _("%(hospital)s 提交了 %(year)s 年自评，请审核。") % p


def _inspection_submitted(p: dict[str, Any]) -> str:
    return _("%(hospital)s %(year)s 年现场检查已提交，等待定稿。") % p


def _finalized(p: dict[str, Any]) -> str:
    values = _Filled({**p, "kind": _kind_of_assessment(p), "outcome": _outcome(p)})
    return _("%(hospital)s %(year)s 年%(kind)s已定稿：总分 %(total)s，%(outcome)s。") % values


def _rectification_plan(p: dict[str, Any]) -> str:
    return _("%(hospital)s %(year)s 年现场检查的整改计划已生成，共 %(count)s 项，期限 %(due)s。") % p


def _rectification_assigned(p: dict[str, Any]) -> str:
    return _("%(hospital)s 的整改项 %(code)s 已指派给 %(owner)s，期限 %(due)s。") % p


def _rectification_due(p: dict[str, Any]) -> str:
    stage = p.get("stage")
    if stage == "soon":
        return _("整改项 %(code)s（%(hospital)s）将于 %(due)s 到期，还有 %(days)s 天。") % p
    if stage == "today":
        return _("整改项 %(code)s（%(hospital)s）今天（%(due)s）到期。") % p
    return _("整改项 %(code)s（%(hospital)s）已逾期 %(days)s 天（期限 %(due)s）。") % p


def _self_due(p: dict[str, Any]) -> str:
    stage = p.get("stage")
    if stage == "soon":
        return _("%(round)s：%(hospital)s 的自评将于 %(due)s 截止，还有 %(days)s 天。") % p
    if stage == "today":
        return _("%(round)s：%(hospital)s 的自评今天（%(due)s）截止。") % p
    return _("%(round)s：%(hospital)s 的自评已超过截止日期 %(due)s，尚未提交。") % p


def _inspection_due(p: dict[str, Any]) -> str:
    if p.get("stage") == "soon":
        return _("%(round)s：%(hospital)s 的现场检查将于 %(start)s 开始（至 %(end)s），还有 %(days)s 天。") % p
    return _("%(round)s：%(hospital)s 的现场检查今天开始（至 %(end)s）。") % p


def _report_ready(p: dict[str, Any]) -> str:
    return _("报告“%(title)s”已生成，可以下载。") % p


def _report_failed(p: dict[str, Any]) -> str:
    return _("报告“%(title)s”生成失败：%(error)s") % p


def _account_locked(p: dict[str, Any]) -> str:
    return _("账号 %(username)s 因多次登录失败已被锁定。") % p


TEXTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "round_opened": _round_opened,
    "criterion_returned": _criterion_returned,
    "evidence_rejected": _evidence_rejected,
    "self_submitted": _self_submitted,
    "inspection_submitted": _inspection_submitted,
    "finalized": _finalized,
    "rectification_plan": _rectification_plan,
    "rectification_assigned": _rectification_assigned,
    "rectification_due": _rectification_due,
    "self_due": _self_due,
    "inspection_due": _inspection_due,
    "report_ready": _report_ready,
    "report_failed": _report_failed,
    "account_locked": _account_locked,
}


def render(kind: str, params: dict[str, Any]) -> str:
    """The sentence of a notification in the active language; a value missing from old rows shows as "—"."""
    filled: dict[str, Any] = _Filled(params or {})
    return TEXTS[kind](filled)


class _Filled(dict):
    """Values for %-formatting that answer "—" for a key the row does not carry (never a KeyError on a page)."""

    def __missing__(self, key: str) -> str:
        return "—"
