"""Reads of report jobs, scoped to what the asking user may see.

An assessment's report is visible to whoever sees the assessment (the one hospital rule,
`scope_by_hospital`); round reports cover every hospital of a round, so only the QC centre
sees them. Anything else answers 404.
"""

import datetime

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import HOSPITAL_ROLES, User
from accounts.selectors import hospital_ids_visible_to
from accounts.typing import AnyUser
from common.next_steps import NextStep
from rounds.models import RoundHospital
from scoring.selectors import assessments_visible_to

from .models import JobStatus, ReportJob, ReportKind


def _jobs() -> QuerySet[ReportJob]:
    return ReportJob.objects.select_related("assessment__hospital", "round", "requested_by")


def reports_visible_to(user: AnyUser) -> QuerySet[ReportJob]:
    """Report jobs the user may see and download; the one scope for the pages and the API."""
    if not isinstance(user, User) or not user.is_active:
        return ReportJob.objects.none()
    ids = hospital_ids_visible_to(user)
    if ids is None:
        return _jobs()
    # A department sees reports of its inspections only once they are finalized (scoring.selectors).
    return _jobs().filter(kind=ReportKind.ASSESSMENT, assessment__in=assessments_visible_to(user))


def with_children_counts(qs: QuerySet[ReportJob]) -> QuerySet[ReportJob]:
    """Annotate each job with how many child jobs it has, finished and failed (bulk progress)."""
    return qs.annotate(
        children_total=Count("children", distinct=True),
        children_done=Count("children", filter=Q(children__status=JobStatus.DONE), distinct=True),
        children_failed=Count("children", filter=Q(children__status=JobStatus.FAILED), distinct=True),
    )


def report_list(user: AnyUser) -> QuerySet[ReportJob]:
    """Past and current reports for the list page, newest first.

    The QC centre sees each bulk request once (its per-hospital reports are inside it); a
    department sees its own hospital's reports, including those a bulk request produced.
    """
    qs = reports_visible_to(user)
    if hospital_ids_visible_to(user) is None:
        qs = qs.filter(parent__isnull=True)
    return with_children_counts(qs).order_by("-created_at", "-id")


def recent_for_assessment(user: AnyUser, assessment_id: int, *, limit: int = 3) -> list[ReportJob]:
    """The latest reports of one assessment the user may see (one query)."""
    return list(
        reports_visible_to(user)
        .filter(kind=ReportKind.ASSESSMENT, assessment_id=assessment_id)
        .order_by("-created_at", "-id")[:limit]
    )


def recent_for_round(user: AnyUser, round_id: int, *, limit: int = 3) -> list[ReportJob]:
    """The latest round reports (summary and bulk) the user may see (one query)."""
    qs = reports_visible_to(user).filter(kind__in=[ReportKind.ROUND_SUMMARY, ReportKind.ROUND_BULK], round_id=round_id)
    return list(with_children_counts(qs.filter(parent__isnull=True)).order_by("-created_at", "-id")[:limit])


def job_detail(user: AnyUser, pk: int) -> ReportJob | None:
    """One visible job with its bulk counts, or None."""
    return with_children_counts(reports_visible_to(user)).filter(pk=pk).first()


def children_of(job: ReportJob) -> list[ReportJob]:
    """A bulk job's child jobs, in order (one query)."""
    return list(job.children.select_related("assessment__hospital").order_by("id"))


def left_out_of(job: ReportJob, children: list[ReportJob]) -> list[str]:
    """The hospitals of a bulk job's round whose report it does not hold: their inspection had not begun (one query)."""
    if job.kind != ReportKind.ROUND_BULK or job.round_id is None:
        return []
    included = {c.assessment_id for c in children if c.assessment_id is not None}
    entries = (
        RoundHospital.objects.filter(round_id=job.round_id)
        .exclude(inspection_id__in=included)
        .order_by("hospital__level", "hospital__name")
    )
    return list(entries.values_list("hospital__name", flat=True))


READY_DAYS = 30  # a report finished within this many days counts as news on the home page
READY_MAX = 99  # counted up to this many (one query, however many there are)


def ready_report_steps(user: AnyUser, today: datetime.date) -> list[NextStep]:
    """The home page's "reports ready" step: finished reports of the last READY_DAYS days (one query).

    A department hears of every finished report of its hospital it may see; the QC side of those it asked for.
    """
    if not isinstance(user, User) or not user.is_active:
        return []
    since = datetime.datetime.combine(today - datetime.timedelta(days=READY_DAYS), datetime.time.min)
    qs = reports_visible_to(user).filter(
        status=JobStatus.DONE, finished_at__gte=timezone.make_aware(since), parent__isnull=True
    )
    if user.effective_role not in HOSPITAL_ROLES:
        qs = qs.filter(requested_by=user)
    ids = list(qs.order_by("-finished_at", "-id").values_list("id", flat=True)[:READY_MAX])
    if not ids:
        return []
    count = len(ids)
    url = reverse("report-detail", args=[ids[0]]) if count == 1 else reverse("report-list")
    text = ngettext("%(n)d 份报告已生成，可下载", "%(n)d 份报告已生成，可下载", count) % {"n": count}
    return [NextStep(kind="reports_ready", text=text, count=count, url=url)]
