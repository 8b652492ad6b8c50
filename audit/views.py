"""The QC centre's audit log: a filtered, paginated page and the same set as a streamed CSV file.

Only qc_admin reads it (others 403, visitors are sent to sign in). The page, the CSV and the API
share one filter class (`AuditEventFilter`) and one selector. Exporting is itself recorded.
"""

import csv
import datetime
import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from common.exports import csv_cell
from common.filters import filter_status
from common.http import HtmxHttpRequest

from . import selectors
from .filters import AuditEventFilter
from .models import AuditEvent
from .services import audit_record

PAGE_SIZE = 100
CSV_CHUNK = 2000


def _filtered(request: HtmxHttpRequest) -> AuditEventFilter:
    if not selectors.can_read_audit_log(request.user):
        raise PermissionDenied
    return AuditEventFilter(request.GET, queryset=selectors.audit_log_events(request.user))


@login_required
@require_safe
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    """Browse the trail, newest first, 100 at a time; filters as query parameters; a fragment for htmx."""
    filterset = _filtered(request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    events = list(page.object_list)
    names = selectors.hospital_names(events)
    rows = [
        {"row": row, "hospital": names.get(row.event.hospital_id or 0, "")} for row in selectors.history_rows(events)
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "filter": filterset,
        "page": page,
        "rows": rows,
        "actions": selectors.action_choices(),
        "query": query.urlencode(),
    }
    template = "audit/partials/log_rows.html" if request.htmx else "audit/log.html"
    return render(request, template, context, status=filter_status(filterset))


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    # Usernames, remarks and paths are typed by people: keep Excel from reading them as formulas.
    return csv_cell("" if value is None else str(value))


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)


CSV_HEADER = [
    "time_utc",
    "time_local",
    "actor",
    "action",
    "action_label",
    "object_type",
    "object_id",
    "object",
    "hospital_id",
    "assessment_id",
    "criterion",
    "ip",
    "request_id",
    "before",
    "after",
    "reason",
]


def _csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    for event in events.iterator(chunk_size=CSV_CHUNK):
        yield writer.writerow(
            [
                event.created_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
                timezone.localtime(event.created_at).isoformat(timespec="seconds"),
                _cell(event.actor_username),
                event.action,
                selectors.action_label(event.action),
                event.object_type,
                _cell(event.object_id),
                _cell(event.object_repr),
                event.hospital_id if event.hospital_id is not None else "",
                event.assessment_id if event.assessment_id is not None else "",
                event.criterion_code,
                event.ip or "",
                event.request_id,
                _cell(_json(event.before)),
                _cell(_json(event.after)),
                _cell(event.reason),
            ]
        )


@login_required
@require_safe
def audit_log_csv(request: HtmxHttpRequest) -> HttpResponseBase:
    """Every event of the filtered set as CSV (UTF-8 with BOM, for Excel), streamed row by row."""
    filterset = _filtered(request)
    if not filterset.is_valid():
        # An invalid filter would otherwise be ignored and export everything.
        return HttpResponse(
            _("筛选条件无效：%(errors)s") % {"errors": filterset.errors.as_text()},
            status=400,
            content_type="text/plain",
        )
    filters = {key: value for key, value in request.GET.items() if value}
    audit_record(actor=request.user, action="audit.export", object_type="audit.auditevent", after={"filters": filters})
    response = StreamingHttpResponse(_csv_lines(filterset.qs), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
