"""Writes of report jobs: request, claim, render, finish or fail, and the sweep.

The job row is the source of truth. A worker may render a job only after claiming it with a
conditional UPDATE (pending → running, or running whose claim ran out → running), so a task
delivered twice renders once; it may store the result only while its claim stands (same
attempt number), so a duplicate never leaves a second file. A claim lasts as long as the task's
hard time limit plus a margin: after that, the render holding it has been killed by Celery,
and the job may be claimed again (the worker-lost and sweep paths rely on this).
"""

import hashlib
import logging
import math
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from accounts.models import User
from accounts.typing import AnyUser
from audit.services import audit_record
from common.jobs import JUST_CREATED, LEASE_MARGIN, TRANSIENT_ERRORS, RunOutcome
from rounds.models import InspectionRound, RoundHospital
from scoring.models import Assessment, Rating

from . import content, permissions, rendering, selectors
from .models import FINISHED, ROUND_KINDS, JobStatus, ReportJob, ReportKind

logger = logging.getLogger(__name__)


class ReportFailed(Exception):
    """A report that cannot be produced as things stand (not worth retrying); the message is for people."""


# --- requesting --------------------------------------------------------------------------------------


def report_request_authorize(*, actor: AnyUser, kind: str, assessment: Assessment | None, rnd: Any) -> None:
    """403 unless the actor may request this kind of report (visibility was checked by the caller)."""
    if kind == ReportKind.ASSESSMENT:
        if assessment is None or not permissions.can_request_assessment_report(actor, assessment):
            raise PermissionDenied(_("您无权生成此报告。"))
    elif not permissions.can_request_round_report(actor):
        raise PermissionDenied(_("只有质控中心管理员可以生成轮次报告。"))


def _in_flight(kind: str, assessment: Assessment | None, rnd: InspectionRound | None) -> ReportJob | None:
    qs = ReportJob.objects.filter(kind=kind, parent__isnull=True, status__in=[JobStatus.PENDING, JobStatus.RUNNING])
    qs = qs.filter(assessment=assessment) if kind == ReportKind.ASSESSMENT else qs.filter(round=rnd)
    return qs.order_by("-created_at").first()


def _fan_out(parent: ReportJob, actor: User) -> list[ReportJob]:
    """The child jobs of a round's bulk request: its summary and the report of every inspection begun."""
    assert parent.round is not None
    rows = [
        ReportJob(
            kind=ReportKind.ROUND_SUMMARY,
            round=parent.round,
            parent=parent,
            requested_by=actor,
            language=parent.language,
        )
    ]
    # An inspection nobody has rated yet has nothing to report: it is left out (and named in the ZIP's 说明.txt).
    entries = (
        RoundHospital.objects.filter(round=parent.round, inspection__isnull=False)
        .filter(Exists(Rating.objects.filter(assessment=OuterRef("inspection"))))
        .select_related("hospital")
        .order_by("hospital__level", "hospital__name")
    )
    rows += [
        ReportJob(
            kind=ReportKind.ASSESSMENT,
            assessment_id=e.inspection_id,
            parent=parent,
            requested_by=actor,
            language=parent.language,
        )
        for e in entries
    ]
    return ReportJob.objects.bulk_create(rows)


@transaction.atomic
def report_request(
    *,
    actor: User,
    kind: str,
    assessment: Assessment | None = None,
    rnd: InspectionRound | None = None,
    language: str = "zh-hans",
) -> ReportJob:
    """Ask for a report; the job is handed to the broker once the transaction commits.

    A report of the same target already pending or running is returned instead of a second one.
    If the broker is down the request still succeeds: the job stays pending and the sweep
    queues it once the broker is back.
    """
    if kind not in ReportKind.values:
        raise ValidationError({"kind": _("未知的报告类型。")})
    if (kind == ReportKind.ASSESSMENT) != (assessment is not None) or (kind in ROUND_KINDS) != (rnd is not None):
        raise ValidationError({"kind": _("报告类型与对象不符。")})
    report_request_authorize(actor=actor, kind=kind, assessment=assessment, rnd=rnd)
    existing = _in_flight(kind, assessment, rnd)
    if existing is not None:
        audit_record(
            actor=actor,
            action="report.request",
            obj=existing,
            after={"kind": kind, "reused": True},
            assessment=assessment,
        )
        if existing.status == JobStatus.PENDING and kind != ReportKind.ROUND_BULK:
            # Asked again while it waits (perhaps the broker was down): hand it over again, a duplicate is harmless.
            transaction.on_commit(partial(enqueue, [existing.pk]))
        return existing
    job = ReportJob.objects.create(
        kind=kind, assessment=assessment, round=rnd, requested_by=actor, language=language or "zh-hans"
    )
    children = _fan_out(job, actor) if kind == ReportKind.ROUND_BULK else []
    audit_record(
        actor=actor,
        action="report.request",
        obj=job,
        after={
            "kind": kind,
            "assessment": assessment.pk if assessment else None,
            "round": rnd.pk if rnd else None,
            "children": len(children),
        },
        assessment=assessment,
    )
    # A bulk job itself is queued when its last child finishes (see _child_finished).
    transaction.on_commit(partial(enqueue, [c.pk for c in children] or [job.pk]))
    return job


def enqueue(job_ids: Iterable[int]) -> int:
    """Hand jobs to the broker and note when; returns how many went. A broker that is down is logged, not raised."""
    from .tasks import render_report  # the task module imports these services

    queued: list[int] = []
    for job_id in job_ids:
        try:
            render_report.delay(job_id)
        except BrokerError as exc:
            # The rows stay pending with no queued_at; the sweep hands them over once the broker answers.
            logger.warning("report jobs %s not queued, broker unavailable: %s", list(job_ids), exc)
            break
        queued.append(job_id)
    if queued:
        ReportJob.objects.filter(pk__in=queued, status=JobStatus.PENDING).update(queued_at=timezone.now())
    return len(queued)


def report_download_record(*, actor: User, job: ReportJob) -> None:
    """Audit a download of a finished report."""
    assessment = job.assessment if job.assessment_id else None
    audit_record(actor=actor, action="report.download", obj=job, after={"sha256": job.sha256}, assessment=assessment)


# --- running -----------------------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.REPORT_TIME_LIMIT) + LEASE_MARGIN


def _claimable(now: Any) -> Q:
    return Q(status=JobStatus.PENDING) | Q(status=JobStatus.RUNNING, lease_until__lt=now)


def _unfinished_children() -> Exists:
    return Exists(ReportJob.objects.filter(parent=OuterRef("pk")).exclude(status__in=FINISHED))


def report_claim(*, job_id: int, worker: str) -> ReportJob | None:
    """Take the job for one render attempt, or None if it is not free to take.

    One conditional UPDATE decides: of two deliveries of the same task only one matches.
    A bulk job is free only once every child has finished.
    """
    now = timezone.now()
    claimed = (
        ReportJob.objects.filter(_claimable(now), pk=job_id, attempts__lt=settings.REPORT_MAX_ATTEMPTS)
        .exclude(kind=ReportKind.ROUND_BULK, pk__in=ReportJob.objects.filter(_unfinished_children()).values("pk"))
        .update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            worker=worker[:200],
            lease_until=now + _lease(),
            started_at=now,
            error="",
        )
    )
    if not claimed:
        return None
    return ReportJob.objects.select_related("assessment__hospital", "round").get(pk=job_id)


def _mine(job: ReportJob) -> Any:
    """The job's row while this attempt's claim stands."""
    return ReportJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)


def _progress(job: ReportJob, value: int) -> None:
    _mine(job).update(progress=value)


def _child_finished(parent_id: int) -> None:
    """Count a bulk job's finished children; when all are, queue the bulk job to assemble the ZIP.

    Runs inside the child's finishing transaction with the parent row locked, so of two
    children finishing together exactly one sees the other done.
    """
    parent = ReportJob.objects.select_for_update().filter(pk=parent_id, status=JobStatus.PENDING).first()
    if parent is None:
        return
    counts = ReportJob.objects.filter(parent_id=parent_id).aggregate(
        total=Count("id"), finished=Count("id", filter=Q(status__in=FINISHED))
    )
    total, finished = counts["total"], counts["finished"]
    ReportJob.objects.filter(pk=parent_id).update(progress=finished * 95 // max(total, 1))
    if finished == total:
        transaction.on_commit(partial(enqueue, [parent_id]))


def _record_finished(job: ReportJob, action: str, *, error: str = "") -> None:
    """A finished job in the trail (by the worker, no actor): who asked for it is told (notifications)."""
    audit_record(
        actor=None,
        action=action,
        obj=job,
        after={"parent": job.parent_id, "error": error[:500]} if error else {"parent": job.parent_id},
        assessment=job.assessment,
    )


def report_fail(*, job: ReportJob, error: str) -> bool:
    """Mark a claimed job failed with a message for people; False if the claim was lost meanwhile."""
    with transaction.atomic():
        failed = _mine(job).update(
            status=JobStatus.FAILED, error=error[:2000], finished_at=timezone.now(), lease_until=None
        )
        if failed:
            _record_finished(job, "report.failed", error=error)
        if failed and job.parent_id:
            _child_finished(job.parent_id)
    return bool(failed)


def report_release(*, job: ReportJob, error: str) -> None:
    """Give a claimed job back after a transient error, so the retry can claim it; fail it on the last attempt."""
    if job.attempts >= settings.REPORT_MAX_ATTEMPTS:
        report_fail(job=job, error=_("多次尝试均失败：%(error)s") % {"error": error})
        return
    _mine(job).update(status=JobStatus.PENDING, lease_until=None, error=error[:2000], queued_at=timezone.now())


def report_give_up(*, job: ReportJob) -> bool:
    """Fail a job that used up its attempts without finishing (its workers were lost or timed out)."""
    now = timezone.now()
    with transaction.atomic():
        failed = ReportJob.objects.filter(
            _claimable(now), pk=job.pk, attempts__gte=settings.REPORT_MAX_ATTEMPTS
        ).update(
            status=JobStatus.FAILED,
            error=_("多次尝试均未完成（工作进程中断或超时），已停止重试。"),
            finished_at=now,
            lease_until=None,
        )
        if failed:
            _record_finished(job, "report.failed", error=_("多次尝试均未完成（工作进程中断或超时），已停止重试。"))
        if failed and job.parent_id:
            _child_finished(job.parent_id)
    return bool(failed)


def _why_not_claimed(job_id: int) -> RunOutcome:
    job = ReportJob.objects.filter(pk=job_id).first()
    if job is None:
        return RunOutcome("missing")
    if job.is_finished:
        return RunOutcome("finished")  # e.g. a duplicate delivery: nothing left to do
    now = timezone.now()
    if job.status == JobStatus.RUNNING and job.lease_until is not None and job.lease_until >= now:
        # Another attempt holds it: look again once its claim has run out (it has finished or died by then).
        return RunOutcome("busy", retry_in=math.ceil((job.lease_until - now).total_seconds()) + 1)
    if job.attempts >= settings.REPORT_MAX_ATTEMPTS:
        report_give_up(job=job)
        return RunOutcome("failed")
    if job.kind == ReportKind.ROUND_BULK:
        return RunOutcome("waiting")  # queued again by its last child
    return RunOutcome("busy", retry_in=5)


def report_run(*, job_id: int, worker: str) -> RunOutcome:
    """One delivery of the render task: claim the job, render it, store the file; idempotent."""
    job = report_claim(job_id=job_id, worker=worker)
    if job is None:
        return _why_not_claimed(job_id)
    try:
        stored = report_render(job=job)
    except ReportFailed as exc:
        report_fail(job=job, error=str(exc))
        return RunOutcome("failed")
    except TRANSIENT_ERRORS as exc:
        try:
            report_release(job=job, error=f"{type(exc).__name__}: {exc}")
        except TRANSIENT_ERRORS:
            logger.warning("report job %s not released; its claim runs out by itself", job.pk)
        raise
    except Exception as exc:
        # The job boundary: whatever went wrong (a template error, WeasyPrint, the soft time limit) is
        # written on the row for the person waiting, then re-raised for Celery's log and result.
        report_fail(job=job, error=_("报告生成失败：%(error)s") % {"error": f"{type(exc).__name__}: {exc}"})
        raise
    return RunOutcome("done" if stored else "lost")


def _css(*, header_left: str, header_right: str, generated_at: str, report_no: str) -> dict[str, Any]:
    footer = _("报告编号 %(no)s · 生成时间 %(time)s") % {"no": report_no, "time": generated_at}
    return {
        "header_left": mark_safe(rendering.css_string(header_left)),  # noqa: S308 (escaped for CSS)
        "header_right": mark_safe(rendering.css_string(header_right)),  # noqa: S308
        "footer_left": mark_safe(rendering.css_string(footer)),  # noqa: S308
        "page_counter": rendering.page_counter_css(_("第 {page} 页 共 {pages} 页")),
    }


def _html_lang(language: str) -> str:
    return "zh-CN" if language.startswith("zh") else language


def _render_pdf(job: ReportJob) -> tuple[bytes, str]:
    """Gather the content, lay it out and write the PDF; returns the bytes and the content checksum."""
    generated_at = timezone.now()
    if job.kind == ReportKind.ASSESSMENT:
        assert job.assessment_id is not None  # a database constraint
        assessment = Assessment.objects.select_related("hospital", "standard", "submitted_by", "finalized_by").get(
            pk=job.assessment_id
        )
        data = content.assessment_report(assessment, job_id=job.pk, generated_at=generated_at)
        template = "reports/pdf/assessment.html"
        header_left = _("麻醉医疗质量控制评审报告")
        header_right = f"{assessment.hospital.name} · {assessment.year} {assessment.get_kind_display()}"
    else:
        assert job.round_id is not None  # a database constraint
        rnd = InspectionRound.objects.select_related("standard").get(pk=job.round_id)
        data = content.round_summary(rnd, job_id=job.pk, generated_at=generated_at)
        template = "reports/pdf/round_summary.html"
        header_left = _("检查轮次汇总报告")
        header_right = f"{rnd.year} · {rnd.name}"
    digest = content.content_sha256(data)
    _progress(job, 30)
    context = {
        "report": data,
        "content_sha256": digest,
        "html_lang": _html_lang(job.language),
        "css": _css(
            header_left=header_left,
            header_right=header_right,
            generated_at=data["generated_at"],
            report_no=data["report_no"],
        ),
    }
    document = rendering.layout(template, context)
    _progress(job, 70)
    return rendering.write(document).pdf, digest


def _safe_name(text: str) -> str:
    return "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 0x20 else ch for ch in text).strip() or "_"


def _render_zip(job: ReportJob, target: Any) -> str:
    """Write the bulk job's ZIP (every child's file and a SHA256SUMS.txt) to `target`; returns the content checksum."""
    children = list(job.children.select_related("assessment__hospital", "round").order_by("id"))
    failed = [c for c in children if c.status != JobStatus.DONE]
    if failed:
        raise ReportFailed(
            _("%(n)s 份报告未能生成，未打包：%(which)s")
            % {"n": len(failed), "which": "；".join(f"#{c.pk} {c.error[:100]}" for c in failed[:5])}
        )
    left_out = selectors.left_out_of(job, children)
    members = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, child in enumerate(children):
            if child.kind == ReportKind.ASSESSMENT and child.assessment is not None:
                a = child.assessment
                name = f"{index:02d}-{_safe_name(a.hospital.name)}-{a.year}-{a.get_kind_display()}.pdf"
            else:
                name = f"{index:02d}-{_safe_name(str(child.get_kind_display()))}.pdf"
            with default_storage.open(str(child.file.name), "rb") as handle:
                archive.writestr(name, handle.read())
            members.append({"name": name, "sha256": child.sha256, "content_sha256": child.content_sha256})
            _progress(job, 95 + 4 * (index + 1) // max(len(children), 1))
        if left_out:
            archive.writestr(README, _readme(job, members, left_out))
        archive.writestr("SHA256SUMS.txt", "".join(f"{m['sha256']}  {m['name']}\n" for m in members))
    data: dict[str, Any] = {"report_no": f"R{job.pk:06d}", "members": members}
    if left_out:
        data["left_out"] = left_out
    return content.content_sha256(data)


README = "说明.txt"


def _readme(job: ReportJob, members: list[dict[str, str]], left_out: list[str]) -> str:
    """What the ZIP holds and which hospitals of the round it leaves out, for whoever opens it."""
    assert job.round is not None
    lines = [
        _("%(year)s %(name)s：全部报告") % {"year": job.round.year, "name": job.round.name},
        _("批量报告编号 R%(no)06d") % {"no": job.pk},
        "",
        _("包含 %(n)s 份报告：") % {"n": len(members)},
        *(f"  {m['name']}" for m in members),
        "",
        _("未打包 %(n)s 家医院（现场检查尚未开始评分，没有可报告的内容）：") % {"n": len(left_out)},
        *(f"  {name}" for name in left_out),
    ]
    return "\r\n".join(lines) + "\r\n"  # CRLF: Windows Notepad is where most of these will be read


def _store(job: ReportJob, handle: Any, *, suffix: str, digest: str) -> bool:
    """Save the file and mark the job done while this attempt's claim stands; otherwise drop the file.

    Files of attempts that died before finishing are removed, so a done job has exactly one file.
    """
    handle.seek(0)
    sha = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        sha.update(chunk)
    size = handle.tell()
    handle.seek(0)
    folder = f"reports/{job.pk}"
    name = default_storage.save(f"{folder}/{job.attempts}.{suffix}", File(handle))
    with transaction.atomic():
        done = _mine(job).update(
            status=JobStatus.DONE,
            progress=100,
            file=name,
            size=size,
            sha256=sha.hexdigest(),
            content_sha256=digest,
            finished_at=timezone.now(),
            lease_until=None,
            error="",
        )
        if done:
            _record_finished(job, "report.ready")
        if done and job.parent_id:
            _child_finished(job.parent_id)
    if not done:
        default_storage.delete(name)
        return False
    _files, leftovers = default_storage.listdir(folder)
    for leftover in leftovers:
        if f"{folder}/{leftover}" != name:
            default_storage.delete(f"{folder}/{leftover}")
    return True


def report_render(*, job: ReportJob) -> bool:
    """Render a claimed job and store its file; False if the claim was lost before storing."""
    with translation.override(job.language):
        if job.kind == ReportKind.ROUND_BULK:
            with tempfile.TemporaryFile() as handle:
                digest = _render_zip(job, handle)
                return _store(job, handle, suffix="zip", digest=digest)
        pdf, digest = _render_pdf(job)
        _progress(job, 90)
        with tempfile.TemporaryFile() as handle:
            handle.write(pdf)
            return _store(job, handle, suffix="pdf", digest=digest)


# --- the sweep ---------------------------------------------------------------------------------------


def report_sweep() -> dict[str, int]:
    """Queue again what was lost on the way: jobs never handed to the broker, pending too long, or whose claim ran out.

    Jobs that used up their attempts are failed instead. Run periodically (celery beat) and
    by `manage.py reports_sweep`.
    """
    now = timezone.now()
    never_queued = Q(status=JobStatus.PENDING, queued_at__isnull=True, created_at__lt=now - JUST_CREATED)
    waited_too_long = Q(status=JobStatus.PENDING, queued_at__lt=now - timedelta(seconds=settings.REPORT_REQUEUE_AFTER))
    claim_ran_out = Q(status=JobStatus.RUNNING, lease_until__lt=now)
    candidates = list(
        ReportJob.objects.filter(never_queued | waited_too_long | claim_ran_out)
        .annotate(busy_children=_unfinished_children())
        .exclude(kind=ReportKind.ROUND_BULK, busy_children=True)
        .order_by("created_at", "id")
    )
    failed = sum(report_give_up(job=j) for j in candidates if j.attempts >= settings.REPORT_MAX_ATTEMPTS)
    retry = [j.pk for j in candidates if j.attempts < settings.REPORT_MAX_ATTEMPTS]
    # A claim that ran out goes back to pending, so the job is sent once per REPORT_REQUEUE_AFTER, not every sweep.
    ReportJob.objects.filter(claim_ran_out, pk__in=retry).update(status=JobStatus.PENDING, lease_until=None)
    requeued = enqueue(retry)
    if candidates:
        logger.info("report sweep: %s queued again, %s given up", requeued, failed)
    return {"requeued": requeued, "failed": failed}
