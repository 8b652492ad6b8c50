"""Excel score sheets in the browser: the blank sheet of a standard, the filled sheet of an assessment, the import.

Visibility comes from `assessments_visible_to` (foreign → 404), the right to rate from
`scoring.permissions` (→ 403); the import goes through `services.score_sheet_import`, which
stores every row through scoring's `rating_set` or nothing.
"""

import io
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.typing import signed_in
from scoring import excel, permissions
from scoring.errors import AssessmentLocked
from scoring.models import Assessment, Standard
from scoring.permissions import Action
from scoring.selectors import assessments_visible_to, score_sheet_assessment, score_sheet_standard

from . import services


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("_.")


def sheet_filename(standard: Standard, assessment: Assessment | None = None) -> str:
    """E.g. cq2011-空白评分表.xlsx, or cq2011-甲医院-2026-自评-12.xlsx."""
    if assessment is None:
        return f"{_safe(standard.code)}-{_safe(_('空白评分表'))}.xlsx"
    parts = (standard.code, assessment.hospital.name, str(assessment.year), assessment.get_kind_display())
    return "-".join(_safe(p) for p in parts) + f"-{assessment.pk}.xlsx"


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    """An XLSX download (the filename may be Chinese: the header carries the RFC 5987 form too)."""
    response = HttpResponse(data, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def blank_sheet(standard: Standard) -> bytes:
    return excel.build_sheet(score_sheet_standard(standard), exported_at=timezone.now())


def filled_sheet(assessment: Assessment) -> bytes:
    return excel.build_sheet(
        score_sheet_standard(assessment.standard),
        score_sheet_assessment(assessment),
        exported_at=timezone.now(),
    )


@login_required
@require_GET
def standard_sheet(request: HttpRequest, code: str) -> HttpResponse:
    """The blank score sheet of a standard (reference data: every signed-in user)."""
    standard = get_object_or_404(Standard, code=code)
    return xlsx_response(blank_sheet(standard), sheet_filename(standard))


@login_required
@require_GET
def assessment_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The filled score sheet of an assessment the user can see."""
    assessment = get_object_or_404(assessments_visible_to(request.user), pk=pk)
    return xlsx_response(filled_sheet(assessment), sheet_filename(assessment.standard, assessment))


@login_required
@require_http_methods(["GET", "POST"])
def assessment_sheet_import(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the upload form; POST: import a filled sheet, or list every error by row and column."""
    assessment = get_object_or_404(assessments_visible_to(request.user), pk=pk)
    if not permissions.may(request.user, assessment, Action.RATE):
        raise PermissionDenied
    errors: list[excel.SheetError] = []
    problem = ""
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            problem, status = _("请选择要上传的评分表（.xlsx）。"), 400
        elif (upload.size or 0) > excel.MAX_UPLOAD_BYTES:
            problem = _("文件过大（%(size)s 字节）：评分表不超过 %(max)s 字节。") % {
                "size": upload.size,
                "max": excel.MAX_UPLOAD_BYTES,
            }
            status = 400
        else:
            try:
                sheet = excel.read_sheet(io.BytesIO(upload.read()))
                done = services.score_sheet_import(
                    actor=signed_in(request.user), assessment=assessment, sheet=sheet, file_name=upload.name or ""
                )
            except excel.ScoreSheetInvalid as exc:
                errors, status = exc.errors, 400
                problem = _("评分表中有 %(n)s 处错误，未导入任何评分。请修正后重新上传。") % {"n": len(errors)}
            except AssessmentLocked as exc:
                problem, status = exc.message, 409
            else:
                if done.imported or done.unchanged:
                    messages.success(
                        request,
                        _("已从评分表导入 %(imported)s 项评分；%(unchanged)s 项与已有评分相同，未改动。")
                        % {"imported": done.imported, "unchanged": done.unchanged},
                    )
                else:
                    messages.info(request, _("评分表中没有已评定的细则，未导入任何评分。"))
                return redirect("assessment-detail", pk=pk)
    context = {
        "assessment": assessment,
        "editable": permissions.status_allows(assessment, Action.RATE),
        "errors": errors,
        "problem": problem,
    }
    return render(request, "workspace/assessment_sheet.html", context, status=status)
