"""The permission matrix, read from the URL configuration: every URL × every method × the cast × own or foreign.

Every URL pattern in `django.urls.get_resolver()` (DRF's format-suffix copies aside: same view,
same checks) must have a row in ROWS, one per HTTP method its view accepts; a view that takes any
method has a GET row. A new URL without a row fails `test_every_url_and_method_has_a_row`.

Read ROWS as the permission contract. Each row names how to build the URL for an object of
hospital A (own for the inspector, head_a and staff_a) and of hospital B (own for head_b only),
or `-` for a URL about no hospital, and the answer for each member of the cast in the order of
CAST: qc_admin, inspector, inspector_unassigned, head_a, staff_a, head_b, anonymous.

- A number is the exact status. Reads (GET) are exact, and so are the API writes sent with a
  valid body (`body=`) or needing none: creating hospitals, users, assignments and assessments,
  rating, submitting and finalizing, the veto flag, deleting an assignment.
- OK: the request got past the permission checks. Other writes are sent empty (or with a minimal
  body), so the answer may be a validation error (400, 409, 422), a page re-rendered with errors
  (200) or a redirect; anything but 401, 403, 404, 405, a sign-in redirect or a server error. What
  a valid write does is tested in each app's own tests and in tests/audit/test_completeness.py.
- LOGIN: a redirect to the sign-in page (anonymous visitors of the HTML pages; the API answers 401).

A row is one URL and method; a second row for the same URL and method names its `variant` (another
kind of assessment, another body). A row marked `absent` pins methods the view does not take: they
answer 405 (the API's anonymous callers 401 first), so no endpoint edits or deletes what it must not.

Every refusal (an expected status of 400 or more) is checked to change nothing: no change enters
the audit trail (the refusal itself may) and nobody's rating is written. Every expected 401 must
name the Token scheme in WWW-Authenticate.

Rules the table keeps (`test_the_table_keeps_the_rules` checks the table itself):
- an object of a hospital the caller cannot see answers 404, never 403 or 200 (a hospital named
  in the body answers 400 on `hospital` instead; a QC-only write answers 403 before it looks);
- anonymous visitors are sent to sign in (pages) or get 401 (API), unless the URL is public.

Decided here: /healthz, /sw.js (the service worker, code only), /api/schema/ and /api/docs/ are public. The health check is for load
balancers; the schema describes the shape of the API, never its data (drf-spectacular serves it
with AllowAny), so anonymous visitors get 200 too. The token endpoint needs no prior
authentication: it answers 200 to a user's own username and password and 400 to a wrong one.

The Django admin is one generic mechanism: `AdminSite.admin_view` lets in active staff only, and
the only staff member of the cast is qc_admin. Its URLs (one set per registered model) get one rule
rather than a row each: every admin URL, requested as every member of the cast, sends the others
to the admin's sign-in page and lets qc_admin through (no server error; a model admin may still
refuse an action with 403, as the read-only audit trail does). Its sign-in and sign-out pages have
rows of their own.

Each request runs in a savepoint that is rolled back, so one world per cast member serves every
row: a write that goes through leaves nothing for the next row to trip on.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Hospital, Role, User
from audit.models import AuditEvent
from notifications.models import Notification
from scoring.models import Rating
from tests.accounts.factories import PASSWORD, TOTPDeviceFactory
from tests.conftest import CAST, Cast
from tests.matrix.world import CRITERION, YEAR, A, B, World, build_world

NONE, ROUND = "-", "round"
LOGIN, OK = "login", "ok"
Expect = int | str
Codes = tuple[Expect, Expect, Expect, Expect, Expect, Expect, Expect]
Kwargs = Callable[[World, str], dict[str, Any]]
Body = Callable[[World, str, str], dict[str, Any]]  # (world, target, caller) → the request's body

# Who sees which hospital (tests/conftest.py): the rule behind every 404 in the table.
SEES: dict[str, set[str]] = {
    "qc_admin": {A, B, ROUND},
    "inspector": {A},
    "inspector_unassigned": set(),
    "head_a": {A},
    "staff_a": {A},
    "head_b": {B},
    "anonymous": set(),
}

# --- the URL configuration, read back ------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    route: str
    name: str
    methods: frozenset[str]  # GET alone for a view that takes any method

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/") and self.name != "admin-password-change"


def _methods(callback: Any) -> frozenset[str]:
    actions = getattr(callback, "actions", None)  # a DRF viewset route (DRF adds HEAD to it once called)
    if actions:
        return frozenset(m.upper() for m in actions if m not in ("head", "options"))
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return frozenset(
            m.upper() for m in view_class.http_method_names if m not in ("options", "head") and hasattr(view_class, m)
        )
    func = callback
    while func is not None:  # through login_required & co. to require_http_methods' list
        code = getattr(func, "__code__", None)
        names = code.co_freevars if code is not None else ()
        for name, cell in zip(names, getattr(func, "__closure__", None) or (), strict=False):
            if name == "request_method_list":
                return frozenset(m.upper() for m in cell.cell_contents if m.upper() not in ("HEAD", "OPTIONS"))
        func = getattr(func, "__wrapped__", None)
    return frozenset({"GET"})


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Endpoint]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(p for p in (namespace, pattern.namespace or "") if p)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if "format>" in route:  # DRF's format-suffix copy of a route: the same view
                continue
            name = ":".join(p for p in (namespace, pattern.name or "") if p)
            yield Endpoint(route, name, _methods(pattern.callback))


def endpoints() -> list[Endpoint]:
    return list(_walk(get_resolver().url_patterns))


def _normal(route: str) -> str:
    return route.replace("^", "")


def fill(route: str, values: dict[str, Any]) -> str:
    """A path for a route string (path converters or regex groups), with the given values."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


# --- how to name an object of hospital A or B -----------------------------------------------------


def obj(attr: str, key: str = "pk", **extra: Any) -> Kwargs:
    """kwargs {key: <the target's object>.pk} plus constants."""

    def kwargs(w: World, target: str) -> dict[str, Any]:
        return {key: getattr(w[target], attr).pk, **extra}

    return kwargs


def hospital(key: str = "pk", **extra: Any) -> Kwargs:
    def kwargs(w: World, target: str) -> dict[str, Any]:
        return {key: w[target].hospital.pk, **extra}

    return kwargs


def indicator(key: str = "pk") -> Kwargs:
    def kwargs(w: World, target: str) -> dict[str, Any]:
        assert w.indicator is not None
        return {key: w[target].hospital.pk, "code": w.indicator.code}

    return kwargs


def report(w: World, target: str) -> dict[str, Any]:
    assert w.round_report is not None
    return {"pk": w.round_report.pk if target == ROUND else w[target].report.pk}


def round_entry(w: World, target: str) -> dict[str, Any]:
    return {"pk": w[target].round.pk, "entry_id": w[target].entry.pk}


def nothing(w: World, target: str) -> dict[str, Any]:
    return {}


def notification(w: World, target: str) -> dict[str, Any]:
    """A notification of the target hospital's head (the world's round and finalized inspection gave them some)."""
    head = w.cast.head_a if target == A else w.cast.head_b
    pk = Notification.objects.filter(recipient=head).order_by("pk").values_list("pk", flat=True).first()
    assert pk is not None, f"the world gave {head} no notification"
    return {"pk": pk}


def assessment_body(kind: str) -> Body:
    def body(w: World, target: str, who: str) -> dict[str, Any]:
        return {"hospital": w[target].hospital.pk, "standard": "cq2011", "kind": kind, "year": YEAR + 1}

    return body


def constant(data: dict[str, Any]) -> Body:
    return lambda w, target, who: data


def own_password(w: World, target: str, who: str) -> dict[str, Any]:
    """The caller's own username and password; anonymous tries a real account with a wrong one."""
    if who == "anonymous":
        return {"username": "head_a", "password": "wrong"}
    return {"username": who, "password": PASSWORD}


def new_department_head(w: World, target: str, who: str) -> dict[str, Any]:
    hospital = w[target].hospital.pk
    return {
        "username": "new_head",
        "password": "a-long-unusual-passphrase-42",
        "role": Role.DEPARTMENT_HEAD,
        "hospital": hospital,
    }


def new_assignment(w: World, target: str, who: str) -> dict[str, Any]:
    assert w.newcomer is not None
    return {"inspector": w.newcomer.pk, "hospital": w[target].hospital.pk}


RATE_MET = constant({"rating": "met"})


STANDARD = {"code": "cq2011"}


@dataclass(frozen=True)
class Row:
    name: str
    methods: tuple[str, ...]
    codes: dict[str, Codes]
    kwargs: Kwargs = nothing
    body: Body | None = None
    # What a caller who cannot see the target's hospital gets, when the hospital is named in the
    # body rather than in the URL (a 400 on the field: no existence leak either way), or when the
    # answer comes before the hospital is looked at (403 for a QC-only write, 405 for `absent`).
    hidden: int = 404
    query: str = ""  # a query string the view needs, e.g. "year=2026"
    variant: str = ""  # what sets a second row for the same URL and method apart
    absent: bool = False  # methods the view does not take (405)

    @property
    def api(self) -> bool:
        return self.name.startswith("v1:")


def row(name: str, methods: str, kwargs: Kwargs = nothing, **codes: Any) -> Row:
    """Row("name", "GET POST", kwargs, A=(...), B=(...)) or with `_=(...)` for a URL about no hospital."""
    options = ("body", "hidden", "query", "variant", "absent")
    targets = {NONE if k == "_" else k: v for k, v in codes.items() if k not in options}
    extra = {k: v for k, v in codes.items() if k in options}
    return Row(name, tuple(methods.split()), targets, kwargs, **extra)


SIGNED_IN_200: Codes = (200, 200, 200, 200, 200, 200, LOGIN)
API_SIGNED_IN_200: Codes = (200, 200, 200, 200, 200, 200, 401)
QC_ONLY_PAGE: Codes = (200, 403, 403, 403, 403, 403, LOGIN)
QC_ONLY_WRITE: Codes = (OK, 403, 403, 403, 403, 403, LOGIN)
API_QC_ONLY: Codes = (200, 403, 403, 403, 403, 403, 401)
API_QC_ONLY_WRITE: Codes = (OK, 403, 403, 403, 403, 403, 401)
API_QC_CREATED: Codes = (201, 403, 403, 403, 403, 403, 401)
API_NOT_ALLOWED: Codes = (405, 405, 405, 405, 405, 405, 401)

# Columns:                         qc_admin, inspector, insp_unassigned, head_a, staff_a, head_b, anonymous
ROWS: list[Row] = [
    # --- public pages and the account ---------------------------------------------------------
    row("home", "GET", _=(200, 200, 200, 200, 200, 200, 200)),
    row("healthz", "GET", _=(200, 200, 200, 200, 200, 200, 200)),
    row("service-worker", "GET", _=(200, 200, 200, 200, 200, 200, 200)),
    row("schema", "GET", _=(200, 200, 200, 200, 200, 200, 200)),
    row("api-docs", "GET", _=(200, 200, 200, 200, 200, 200, 200)),
    row("set_language", "GET", _=(302, 302, 302, 302, 302, 302, 302)),
    row("login", "GET", _=(200, 200, 200, 200, 200, 200, 200)),
    # An empty sign-in form is shown again with its errors.
    row("login", "POST PUT", _=(200, 200, 200, 200, 200, 200, 200)),
    # Signing out lands on the sign-in page, whoever asks.
    row("logout", "POST", _=(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    row("password_change", "GET POST PUT", _=SIGNED_IN_200),
    row("password_change_done", "GET", _=SIGNED_IN_200),
    # The admin's own password page is the app's (anesqc/urls.py): a redirect, for everyone.
    row("admin-password-change", "GET POST PUT PATCH DELETE", _=(302, 302, 302, 302, 302, 302, 302)),
    # The second factor is for the QC side only.
    row("two-factor-setup", "GET", _=(200, 200, 200, 403, 403, 403, LOGIN)),
    row("two-factor-setup", "POST", _=(OK, OK, OK, 403, 403, 403, LOGIN)),
    row("two-factor-verify", "GET POST", _=(OK, OK, OK, 403, 403, 403, LOGIN)),
    # --- assessments (HTML) ---------------------------------------------------------------------
    row("assessment-list", "GET", _=SIGNED_IN_200),
    # Staff create nothing; an unassigned inspector may open the form (it offers no hospital).
    row("assessment-create", "GET", _=(200, 200, 200, 200, 403, 200, LOGIN)),
    row("assessment-create", "POST", _=(OK, OK, OK, OK, 403, OK, LOGIN)),
    row(
        "assessment-detail",
        "GET",
        obj("self_draft"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "assessment-chapter",
        "GET",
        obj("self_draft", chapter=1),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    # A criterion's details, fetched when its line is opened: whoever sees the assessment (issue 13).
    row(
        "criterion-details",
        "GET",
        obj("self_draft", code=CRITERION),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "criterion-details",
        "GET",
        obj("inspection_draft", code=CRITERION),
        variant="inspection",  # departments do not see an inspection before it is finalized (issue 12)
        A=(200, 200, 404, 404, 404, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 404, LOGIN),
    ),
    # Self-assessments are rated by the department, inspections by the QC side.
    row(
        "rating-save",
        "POST",
        obj("self_draft", code=CRITERION),
        A=(403, 403, 404, OK, OK, 404, LOGIN),
        B=(403, 404, 404, 404, 404, OK, LOGIN),
    ),
    # Rating the rest of a chapter 达标 is rating: the same seats, in one request.
    row(
        "chapter-rest-met",
        "POST",
        obj("self_draft", chapter=1),
        A=(403, 403, 404, OK, OK, 404, LOGIN),
        B=(403, 404, 404, 404, 404, OK, LOGIN),
    ),
    row(
        "criterion-return",
        "POST",
        obj("self_submitted", code=CRITERION),
        A=(OK, OK, 404, 403, 403, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 403, LOGIN),
    ),
    # A round's team: its lead (another inspector here) returns, reviews, submits and finalizes; the
    # cast's inspector, assigned to the hospital but off the team, sees everything and does none of it.
    row(
        "criterion-return",
        "POST",
        obj("team_self", code=CRITERION),
        variant="round team",
        A=(OK, 403, 404, 403, 403, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 403, LOGIN),
    ),
    row(
        "evidence-review",
        "POST",
        obj("team_evidence", "evidence_id"),
        variant="round team",
        A=(OK, 403, 404, 403, 403, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 403, LOGIN),
    ),
    row(
        "v1:assessment-finalize",
        "POST",
        obj("team_self"),
        variant="round team",
        A=(200, 403, 404, 403, 403, 404, 401),
        B=(200, 404, 404, 404, 404, 403, 401),
    ),
    row(
        "v1:assessment-submit",
        "POST",
        obj("team_inspection"),
        variant="round team",
        A=(200, 403, 404, 404, 404, 404, 401),
        B=(200, 404, 404, 404, 404, 404, 401),
    ),
    # Only the head submits a self-assessment.
    row(
        "assessment-submit",
        "GET",
        obj("self_draft"),
        A=(403, 403, 404, 200, 403, 404, LOGIN),
        B=(403, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "assessment-submit",
        "POST",
        obj("self_draft"),
        A=(403, 403, 404, OK, 403, 404, LOGIN),
        B=(403, 404, 404, 404, 404, OK, LOGIN),
    ),
    # Only the QC centre reopens a submitted inspection (a draft answers 409, an empty reason 400: both OK).
    # Departments do not see an inspection before it is finalized: 404 (issue 12).
    row(
        "assessment-reopen",
        "GET",
        obj("inspection_draft"),
        A=(200, 403, 404, 404, 404, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 404, LOGIN),
    ),
    row(
        "assessment-reopen",
        "POST",
        obj("inspection_draft"),
        A=(OK, 403, 404, 404, 404, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 404, LOGIN),
    ),
    # Only the QC side finalizes.
    row(
        "assessment-finalize",
        "GET",
        obj("self_submitted"),
        A=(200, 200, 404, 403, 403, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 403, LOGIN),
    ),
    row(
        "assessment-finalize",
        "POST",
        obj("self_submitted"),
        A=(OK, OK, 404, 403, 403, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 403, LOGIN),
    ),
    row(
        "assessment-result",
        "GET",
        obj("inspection_final"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "assessment-variance",
        "GET",
        obj("inspection_final"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "assessment-history",
        "GET",
        obj("self_submitted"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "assessment-history-csv",
        "GET",
        obj("self_submitted"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "assessment-sheet",
        "GET",
        obj("self_draft"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    # The sheet import is for those who rate the assessment.
    row(
        "assessment-sheet-import",
        "GET",
        obj("self_draft"),
        A=(403, 403, 404, 200, 200, 404, LOGIN),
        B=(403, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "assessment-sheet-import",
        "POST",
        obj("self_draft"),
        A=(403, 403, 404, OK, OK, 404, LOGIN),
        B=(403, 404, 404, 404, 404, OK, LOGIN),
    ),
    row("standard-sheet", "GET", lambda w, t: STANDARD, _=SIGNED_IN_200),
    # --- evidence -------------------------------------------------------------------------------
    row(
        "evidence-upload",
        "POST",
        obj("self_draft", code=CRITERION),
        A=(403, 403, 404, OK, OK, 404, LOGIN),
        B=(403, 404, 404, 404, 404, OK, LOGIN),
    ),
    row(
        "evidence-download",
        "GET",
        obj("evidence_draft", "evidence_id"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "evidence-delete",
        "POST",
        obj("evidence_draft", "evidence_id"),
        A=(403, 403, 404, OK, OK, 404, LOGIN),
        B=(403, 404, 404, 404, 404, OK, LOGIN),
    ),
    row(
        "evidence-review",
        "POST",
        obj("evidence_submitted", "evidence_id"),
        A=(OK, OK, 404, 403, 403, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 403, LOGIN),
    ),
    # The inspectors' own evidence on an inspection (issue 13): attached and removed by those who rate it,
    # seen by whoever sees the inspection (a department only once it is finalized), reviewed by nobody (400).
    row(
        "inspection-evidence-upload",
        "POST",
        obj("inspection_draft", code=CRITERION),
        A=(OK, OK, 404, 404, 404, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 404, LOGIN),
    ),
    row(
        "evidence-download",
        "GET",
        obj("inspection_evidence_draft", "evidence_id"),
        variant="inspection",
        A=(200, 200, 404, 404, 404, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 404, LOGIN),
    ),
    row(
        "evidence-delete",
        "POST",
        obj("inspection_evidence_draft", "evidence_id"),
        variant="inspection",
        A=(OK, OK, 404, 404, 404, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 404, LOGIN),
    ),
    row(
        "evidence-review",
        "POST",
        obj("inspection_evidence_submitted", "evidence_id"),
        variant="inspection",
        A=(400, 400, 404, 404, 404, 404, LOGIN),
        B=(400, 404, 404, 404, 404, 404, LOGIN),
    ),
    # --- rectification --------------------------------------------------------------------------
    row("rectification-list", "GET", _=SIGNED_IN_200),
    row(
        "rectification-detail",
        "GET",
        obj("item"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    # The department answers; the QC side assigns and verifies.
    row(
        "rectification-answer",
        "POST",
        obj("item"),
        A=(403, 403, 404, OK, OK, 404, LOGIN),
        B=(403, 404, 404, 404, 404, OK, LOGIN),
    ),
    row(
        "rectification-verify",
        "POST",
        obj("item"),
        A=(OK, OK, 404, 403, 403, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 403, LOGIN),
    ),
    row(
        "rectification-assign",
        "POST",
        obj("item"),
        A=(OK, OK, 404, 403, 403, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 403, LOGIN),
    ),
    row(
        "rectification-evidence",
        "GET",
        obj("item_evidence", "evidence_id"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    # --- rounds: a round is seen by whoever sees one of its hospitals; only qc_admin runs it -----
    row("round-list", "GET", _=SIGNED_IN_200),
    row("round-create", "GET", _=QC_ONLY_PAGE),
    row("round-create", "POST", _=QC_ONLY_WRITE),
    row(
        "round-detail",
        "GET",
        obj("round"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "round-add-hospital",
        "POST",
        obj("round"),
        A=(OK, 403, 404, 403, 403, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 403, LOGIN),
    ),
    # The assignment form (the board fetches it when a row's 指派专家 is opened), and the assignment.
    row(
        "round-assign",
        "GET",
        round_entry,
        A=(200, 403, 404, 403, 403, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 403, LOGIN),
    ),
    row(
        "round-assign",
        "POST",
        round_entry,
        A=(OK, 403, 404, 403, 403, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 403, LOGIN),
    ),
    # --- indicators and case imports: the department enters its counts, qc_admin may correct ------
    row(
        "indicator-hospital",
        "GET",
        hospital(),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "indicator-grid",
        "GET",
        lambda w, t: indicator()(w, t) | {"year": YEAR},
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "indicator-grid",
        "POST",
        lambda w, t: indicator()(w, t) | {"year": YEAR},
        A=(OK, 403, 404, OK, OK, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, OK, LOGIN),
    ),
    row(
        "indicator-dashboard",
        "GET",
        indicator(),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    # A department is sent to its own hospital's indicators; the QC centre and inspectors pick a hospital.
    row("indicator-home", "GET", _=(200, 200, 200, 302, 302, 302, LOGIN)),
    # The city-wide comparison is the QC centre's, and so is the list of indicators that leads to it.
    row("indicator-comparison-home", "GET", _=QC_ONLY_PAGE),
    row("indicator-comparison", "GET", lambda w, t: {"code": w.indicator.code}, _=QC_ONLY_PAGE),  # type: ignore[union-attr]
    row(
        "hospital-cases",
        "GET",
        hospital("hospital_id"),
        A=(200, 403, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "hospital-cases",
        "POST",
        hospital("hospital_id"),
        A=(OK, 403, 404, OK, OK, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, OK, LOGIN),
    ),
    # A case import is seen by whoever sees its hospital (its page polls while the import runs).
    row(
        "case-import-detail",
        "GET",
        obj("case_import"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    # --- department profiles: kept by the department, qc_admin may correct ------------------------
    # A department has one hospital: its profile page is where it is sent.
    row("profile-home", "GET", _=(200, 200, 200, 302, 302, 302, LOGIN)),
    row("profile-shortfalls", "GET", _=QC_ONLY_PAGE),
    row("profile-shortfalls-xlsx", "GET", _=QC_ONLY_PAGE),
    # The QC centre's choices where the standard is ambiguous (issue 14): readings and not-applicable levels.
    row("rule-settings", "GET", _=QC_ONLY_PAGE),
    row("rule-reading-set", "POST", lambda w, t: {"code": "2.1-3-2"}, _=QC_ONLY_WRITE),
    row("criterion-levels-set", "POST", _=QC_ONLY_WRITE),
    row(
        "profile-trend",
        "GET",
        hospital(),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "profile-detail",
        "GET",
        hospital(year=YEAR),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "profile-detail",
        "POST",
        hospital(year=YEAR),
        A=(OK, 403, 404, OK, OK, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, OK, LOGIN),
    ),
    row(
        "profile-document-upload",
        "POST",
        hospital(year=YEAR),
        A=(OK, 403, 404, OK, OK, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, OK, LOGIN),
    ),
    row(
        "profile-document",
        "GET",
        obj("document"),
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
    ),
    row(
        "profile-document-delete",
        "POST",
        obj("document"),
        A=(OK, 403, 404, OK, OK, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, OK, LOGIN),
    ),
    # --- reports: an assessment's report is seen with the assessment; round reports by qc_admin ----
    row("report-list", "GET", _=SIGNED_IN_200),
    row(
        "report-detail",
        "GET",
        report,
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
        round=(200, 404, 404, 404, 404, 404, LOGIN),
    ),
    row(
        "report-download",
        "GET",
        report,
        A=(200, 200, 404, 200, 200, 404, LOGIN),
        B=(200, 404, 404, 404, 404, 200, LOGIN),
        round=(200, 404, 404, 404, 404, 404, LOGIN),
    ),
    row(
        "assessment-report-request",
        "POST",
        obj("self_draft"),
        A=(OK, OK, 404, OK, OK, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, OK, LOGIN),
    ),
    # The kind is read before the role: a valid one, so the answer is about the role.
    row(
        "round-report-request",
        "POST",
        obj("round"),
        body=constant({"kind": "round_summary"}),
        A=(OK, 403, 404, 403, 403, 404, LOGIN),
        B=(OK, 404, 404, 404, 404, 403, LOGIN),
    ),
    # --- notifications: everyone's own inbox; someone else's notification answers 404, whoever asks ---
    row("notification-list", "GET", _=SIGNED_IN_200),
    row("notification-bell", "GET", _=SIGNED_IN_200),
    row("notification-read-all", "POST", _=(302, 302, 302, 302, 302, 302, LOGIN)),
    row("notification-settings", "GET", _=SIGNED_IN_200),
    # Sent empty: the form is shown again with its error (400).
    row("notification-settings", "POST", _=(400, 400, 400, 400, 400, 400, LOGIN)),
    row(
        "notification-open",
        "POST",
        notification,
        A=(404, 404, 404, 302, 404, 404, LOGIN),
        B=(404, 404, 404, 404, 404, 302, LOGIN),
    ),
    row(
        "notification-read",
        "POST",
        notification,
        A=(404, 404, 404, 302, 404, 404, LOGIN),
        B=(404, 404, 404, 404, 404, 302, LOGIN),
    ),
    # --- the audit trail is the QC centre's -------------------------------------------------------
    row("audit-log", "GET", _=QC_ONLY_PAGE),
    row("audit-log-csv", "GET", _=QC_ONLY_PAGE),
    # --- API v1: anonymous calls answer 401 -------------------------------------------------------
    row("v1:api-root", "GET", _=API_SIGNED_IN_200),
    # No credentials needed; an empty request names no account.
    row("v1:api-token", "POST", _=(400, 400, 400, 400, 400, 400, 400)),
    # Each member's own username and password get a token; anonymous tries head_a's with a wrong one.
    row("v1:api-token", "POST", variant="own password", body=own_password, _=(200, 200, 200, 200, 200, 200, 400)),
    row("v1:standard-list", "GET", _=API_SIGNED_IN_200),
    row("v1:standard-detail", "GET", lambda w, t: STANDARD, _=API_SIGNED_IN_200),
    row("v1:standard-criterion", "GET", lambda w, t: {**STANDARD, "criterion_code": CRITERION}, _=API_SIGNED_IN_200),
    # Only qc_admin flips a veto flag (of a criterion that has none yet, so the flag changes).
    row(
        "v1:standard-criterion",
        "PATCH",
        lambda w, t: {**STANDARD, "criterion_code": "1.2-1-2"},
        body=constant({"veto": True, "reason": "专家组决议"}),
        _=API_QC_ONLY,
    ),
    row(
        "v1:standard-criterion",
        "PATCH",
        lambda w, t: {**STANDARD, "criterion_code": "2.2-1"},
        variant="not-applicable levels",
        body=constant({"not_applicable_levels": ["2A", "2B"], "reason": "原文仅对三级医院作要求"}),
        _=API_QC_ONLY,
    ),
    row(
        "v1:rule-detail",
        "PUT",
        lambda w, t: {"code": "2.1-3-2"},
        variant="choose a reading",
        body=constant({"valid_from": 2026, "reading": "le", "reason": "质控中心确认"}),
        _=API_QC_ONLY,
    ),
    row("v1:standard-sheet", "GET", lambda w, t: STANDARD, _=API_SIGNED_IN_200),
    row("v1:rule-list", "GET", _=API_SIGNED_IN_200),
    row("v1:rule-detail", "PUT", lambda w, t: {"code": "3.1-2-1"}, _=API_QC_ONLY_WRITE),
    row("v1:indicator-list", "GET", _=API_SIGNED_IN_200),
    row("v1:indicator-detail", "GET", lambda w, t: {"code": w.indicator.code}, _=API_SIGNED_IN_200),  # type: ignore[union-attr]
    row(
        "v1:indicator-comparison-api",
        "GET",
        lambda w, t: {"code": w.indicator.code},  # type: ignore[union-attr]
        query=f"year={YEAR}",
        _=API_QC_ONLY,
    ),
    row(
        "v1:hospital-indicators",
        "GET",
        hospital("hospital_id", year=YEAR),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    row(
        "v1:hospital-indicator-values",
        "PUT",
        lambda w, t: indicator("hospital_id")(w, t) | {"year": YEAR},
        A=(OK, 403, 404, OK, OK, 404, 401),
        B=(OK, 404, 404, 404, 404, OK, 401),
    ),
    row(
        "v1:hospital-case-import",
        "POST",
        hospital("hospital_id"),
        A=(OK, 403, 404, OK, OK, 404, 401),
        B=(OK, 404, 404, 404, 404, OK, 401),
    ),
    row(
        "v1:case-import-detail",
        "GET",
        obj("case_import"),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    row("v1:hospital-list", "GET", _=API_SIGNED_IN_200),
    # Hospitals are registered by the QC centre only.
    row(
        "v1:hospital-list",
        "POST",
        body=constant({"name": "丙医院", "level": "3B", "district": "沙坪坝区"}),
        _=API_QC_CREATED,
    ),
    row(
        "v1:hospital-detail",
        "GET",
        hospital(),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    # No endpoint edits a hospital.
    row("v1:hospital-detail", "PATCH", hospital(), absent=True, hidden=405, A=API_NOT_ALLOWED, B=API_NOT_ALLOWED),
    # A department head of A or of B, created by the QC centre only (refused before the hospital is looked at).
    row("v1:user-list", "POST", body=new_department_head, hidden=403, A=API_QC_CREATED, B=API_QC_CREATED),
    row("v1:assignment-list", "GET", _=API_SIGNED_IN_200),
    row("v1:assignment-list", "POST", body=new_assignment, hidden=403, A=API_QC_CREATED, B=API_QC_CREATED),
    # Departments see no assignments; the inspector sees, but may not delete, their own.
    row(
        "v1:assignment-detail",
        "DELETE",
        obj("assignment"),
        A=(204, 403, 404, 404, 404, 404, 401),
        B=(204, 404, 404, 404, 404, 404, 401),
    ),
    row("v1:assessment-list", "GET", _=API_SIGNED_IN_200),
    # The hospital is in the body: one the caller cannot see is a 400 on `hospital`, before the role
    # (even for staff, who may never create). The department opens self-assessments, the QC side inspections.
    row(
        "v1:assessment-list",
        "POST",
        body=assessment_body("self"),
        hidden=400,
        A=(201, 403, 400, 201, 403, 400, 401),
        B=(201, 400, 400, 400, 400, 201, 401),
    ),
    row(
        "v1:assessment-list",
        "POST",
        variant="inspection",
        body=assessment_body("inspection"),
        hidden=400,
        A=(201, 201, 400, 403, 403, 400, 401),
        B=(201, 400, 400, 400, 400, 403, 401),
    ),
    row(
        "v1:assessment-detail",
        "GET",
        obj("self_draft"),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    # No endpoint deletes an assessment.
    row(
        "v1:assessment-detail",
        "DELETE",
        obj("self_draft"),
        absent=True,
        hidden=405,
        A=API_NOT_ALLOWED,
        B=API_NOT_ALLOWED,
    ),
    row(
        "v1:assessment-ratings",
        "GET",
        obj("self_draft"),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    row(
        "v1:assessment-result",
        "GET",
        obj("inspection_final"),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    row(
        "v1:assessment-suggestions",
        "GET",
        obj("self_draft"),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    row(
        "v1:assessment-sheet",
        "GET",
        obj("self_draft"),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    row(
        "v1:assessment-sheet-import",
        "POST",
        obj("self_draft"),
        A=(403, 403, 404, OK, OK, 404, 401),
        B=(403, 404, 404, 404, 404, OK, 401),
    ),
    # Self-assessments are rated by the department; inspections by the QC side.
    row(
        "v1:assessment-rating",
        "PUT",
        obj("self_draft", "pk", criterion_code=CRITERION),
        body=RATE_MET,
        A=(403, 403, 404, 200, 200, 404, 401),
        B=(403, 404, 404, 404, 404, 200, 401),
    ),
    row(
        "v1:assessment-rating",
        "PUT",
        obj("inspection_draft", "pk", criterion_code=CRITERION),
        variant="inspection",
        body=RATE_MET,
        # A department does not see an inspection before it is finalized: 404 (issue 12).
        A=(200, 200, 404, 404, 404, 404, 401),
        B=(200, 404, 404, 404, 404, 404, 401),
    ),
    row(
        "v1:assessment-chapter-rest-met",
        "POST",
        obj("self_draft", chapter=1),
        A=(403, 403, 404, 200, 200, 404, 401),
        B=(403, 404, 404, 404, 404, 200, 401),
    ),
    row(
        "v1:assessment-chapter-rest-met",
        "POST",
        obj("inspection_draft", chapter=1),
        variant="inspection",
        # A department does not see an inspection before it is finalized: 404 (issue 12).
        A=(200, 200, 404, 404, 404, 404, 401),
        B=(200, 404, 404, 404, 404, 404, 401),
    ),
    # Only the head submits a self-assessment; the QC side submits inspections.
    row(
        "v1:assessment-submit",
        "POST",
        obj("self_draft"),
        A=(403, 403, 404, 200, 403, 404, 401),
        B=(403, 404, 404, 404, 404, 200, 401),
    ),
    row(
        "v1:assessment-submit",
        "POST",
        obj("inspection_draft"),
        variant="inspection",
        # A department does not see an inspection before it is finalized: 404 (issue 12).
        A=(200, 200, 404, 404, 404, 404, 401),
        B=(200, 404, 404, 404, 404, 404, 401),
    ),
    row(
        "v1:assessment-reopen",
        "POST",
        obj("inspection_draft"),
        A=(OK, 403, 404, 404, 404, 404, 401),
        B=(OK, 404, 404, 404, 404, 404, 401),
    ),
    # Only the QC side finalizes (a submitted assessment) of either kind.
    row(
        "v1:assessment-finalize",
        "POST",
        obj("self_submitted"),
        A=(200, 200, 404, 403, 403, 404, 401),
        B=(200, 404, 404, 404, 404, 403, 401),
    ),
    row(
        "v1:assessment-finalize",
        "POST",
        obj("inspection_submitted"),
        variant="inspection",
        # A department does not see an inspection before it is finalized: 404 (issue 12).
        A=(200, 200, 404, 404, 404, 404, 401),
        B=(200, 404, 404, 404, 404, 404, 401),
    ),
    row(
        "v1:assessment-reports",
        "GET",
        obj("self_draft"),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    row(
        "v1:assessment-reports",
        "POST",
        obj("self_draft"),
        A=(OK, OK, 404, OK, OK, 404, 401),
        B=(OK, 404, 404, 404, 404, OK, 401),
    ),
    row(
        "v1:round-reports",
        "POST",
        obj("round"),
        body=constant({"kind": "round_summary"}),
        A=(OK, 403, 404, 403, 403, 404, 401),
        B=(OK, 404, 404, 404, 404, 403, 401),
    ),
    row("v1:report-list", "GET", _=API_SIGNED_IN_200),
    row(
        "v1:report-detail",
        "GET",
        report,
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
        round=(200, 404, 404, 404, 404, 404, 401),
    ),
    row(
        "v1:report-download",
        "GET",
        report,
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
        round=(200, 404, 404, 404, 404, 404, 401),
    ),
    row("v1:profile-list", "GET", _=API_SIGNED_IN_200),
    row("v1:profile-shortfalls", "GET", _=API_QC_ONLY),
    row(
        "v1:profile-detail",
        "GET",
        hospital("hospital_id", year=YEAR),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    row(
        "v1:profile-detail",
        "PUT PATCH",
        hospital("hospital_id", year=YEAR),
        A=(OK, 403, 404, OK, OK, 404, 401),
        B=(OK, 404, 404, 404, 404, OK, 401),
    ),
    row(
        "v1:profile-evaluations",
        "GET",
        hospital("hospital_id", year=YEAR),
        A=(200, 200, 404, 200, 200, 404, 401),
        B=(200, 404, 404, 404, 404, 200, 401),
    ),
    row("v1:audit-event-list", "GET", _=API_QC_ONLY),
    row("v1:notification-list", "GET", _=API_SIGNED_IN_200),
    row("v1:notification-read-all", "POST", _=API_SIGNED_IN_200),
    row(
        "v1:notification-read",
        "POST",
        notification,
        A=(404, 404, 404, 200, 404, 404, 401),
        B=(404, 404, 404, 404, 404, 200, 401),
    ),
    # --- the admin site's own sign-in and sign-out (the rest: the admin rule below) -------------------
    # Signed in as staff, the sign-in page goes on to the admin; everyone else gets the form.
    row("admin:login", "GET", _=(302, 200, 200, 200, 200, 200, 200)),
    # Signing out is a POST; the others are sent to the admin's front door first.
    row("admin:logout", "GET", _=(405, 302, 302, 302, 302, 302, 302)),
]

# --- the admin rule ---------------------------------------------------------------------------------

ADMIN_ROWS = {"admin:login", "admin:logout"}


def _admin_model(route: str) -> type | None:
    parts = route.split("/")
    if len(parts) > 3:
        try:
            return apps.get_model(parts[1], parts[2])
        except (LookupError, ValueError):
            return None
    return None


def admin_path(endpoint: Endpoint, w: World) -> str:
    """A path for an admin URL: a real object of its model where it names one."""
    model = _admin_model(endpoint.route)
    first = model._default_manager.order_by("pk").first() if model is not None else None  # type: ignore[attr-defined]
    pk = first.pk if first is not None else 0
    values = {
        "object_id": pk,
        "pk": pk,  # django-otp's extra device pages
        "id": w.cast.head_a.pk,  # a user's admin password page
        "content_type_id": ContentType.objects.get_for_model(Hospital).pk,
        "app_label": "accounts",
        "url": "no-such-page/",
    }
    if endpoint.name == "admin:view_on_site":
        values["object_id"] = w[A].hospital.pk
    return fill(endpoint.route, values)


def _reaches_itself(endpoint: Endpoint) -> bool:
    """False for a shadowed pattern: its path resolves to an earlier pattern, which is what answers it."""
    values = dict.fromkeys(("object_id", "pk", "id", "content_type_id"), 1) | {"app_label": "accounts", "url": "x/"}
    match = resolve(fill(endpoint.route, values))
    name = ":".join(p for p in (*match.namespaces, match.url_name or "") if p)
    return (_normal(match.route), name) == (_normal(endpoint.route), endpoint.name)


def admin_endpoints() -> list[Endpoint]:
    return [e for e in endpoints() if e.is_admin and e.name not in ADMIN_ROWS and _reaches_itself(e)]


# --- running the table ------------------------------------------------------------------------------


@dataclass
class Caller:
    """One cast member's clients: a signed-in browser session and an API token."""

    who: str
    page: Client
    api: Client
    session: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, cast: Cast, who: str) -> "Caller":
        page = Client(raise_request_exception=False)
        user = cast.users[who]
        if user is not None:
            page.force_login(user)
        api = cast.client(who)
        api.raise_request_exception = False
        session = {name: morsel.value for name, morsel in page.cookies.items()}
        return cls(who=who, page=page, api=api, session=session)

    def send(
        self, method: str, path: str, *, api: bool, body: dict[str, Any] | None, watch: bool = False
    ) -> tuple[HttpResponseBase, bool]:
        """One request in a savepoint that is rolled back; the session cookie is put back afterwards.

        Also answers whether the request left a trace (`watch`: a change in the audit trail or a rating
        written by someone), looked at before the rollback.
        """
        client = self.api if api else self.page
        send = getattr(client, method.lower())
        with transaction.atomic():
            before = traces() if watch else None
            if api:
                response = send(path, body or {}, format="json") if method != "GET" else send(path)
            elif method in ("GET", "POST"):
                response = send(path, body or {})
            else:
                response = send(path)
            left_trace = watch and traces() != before
            transaction.set_rollback(True)
        self.page.cookies = SimpleCookie(self.session)  # a sign-out or a new session key must not carry over
        return response, left_trace


def traces() -> tuple[int, int]:
    """What a refused request must not add: changes in the audit trail, ratings with a rater.

    The world's ratings are written directly (no rater); a request always records who rated.
    """
    return AuditEvent.objects.changes().count(), Rating.objects.exclude(rated_by=None).count()


def _redirects_to(response: HttpResponseBase, url: str) -> bool:
    return response.status_code == 302 and urlsplit(response["Location"]).path == url


def is_refusal(expected: Expect) -> bool:
    return isinstance(expected, int) and expected >= 400


def judge(expected: Expect, response: HttpResponseBase) -> bool:
    status = response.status_code
    if expected == LOGIN:
        return _redirects_to(response, reverse("login"))
    if expected == OK:
        return status < 500 and status not in (401, 403, 404, 405) and not _redirects_to(response, reverse("login"))
    return status == expected


def _seen(response: HttpResponseBase) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} → {response['Location']}"
    return str(response.status_code)


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize("who", CAST)
def test_every_url_answers_each_member_of_the_cast_as_the_table_says(cast: Cast, who: str) -> None:
    world = build_world(cast)
    caller = Caller.of(cast, who)
    column = CAST.index(who)
    wrong: list[str] = []
    for r in ROWS:
        label = f"{r.name} ({r.variant})" if r.variant else r.name
        for target, codes in r.codes.items():
            path = reverse(r.name, kwargs=r.kwargs(world, target)) + (f"?{r.query}" if r.query else "")
            body = r.body(world, target, who) if r.body else None
            expected = codes[column]
            for method in r.methods:
                response, left_trace = caller.send(method, path, api=r.api, body=body, watch=is_refusal(expected))
                request = f"{method} {label} [{target}] {path}"
                if not judge(expected, response):
                    wrong.append(f"{request}: expected {expected}, got {_seen(response)}")
                elif left_trace:
                    wrong.append(f"{request}: refused with {expected}, but left a change or a rating behind")
                elif expected == 401 and not response.get("WWW-Authenticate", "").startswith("Token"):
                    wrong.append(f"{request}: a 401 without WWW-Authenticate: Token")
    assert not wrong, f"{who}: {len(wrong)} answers differ from ROWS:\n" + "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize("how", ["expired", "password changed"])
def test_every_api_url_refuses_a_dead_token_as_it_refuses_none(cast: Cast, how: str) -> None:
    """The token lifecycle, across the API (issue 12, M2): a token past its lifetime, or issued before its
    user's password changed, answers 401 on every API URL the table lets that user read."""
    world = build_world(cast)
    if how == "password changed":
        User.objects.filter(pk=cast.qc_admin.pk).update(password_changed_at=timezone.now() + timedelta(hours=1))

    def dead_token() -> str:  # a refused token is deleted, so each request gets its own
        token = Token.objects.create(user=cast.qc_admin)
        if how == "expired":
            lifetime = timedelta(hours=settings.API_TOKEN_TTL_HOURS)
            Token.objects.filter(pk=token.pk).update(created=timezone.now() - lifetime)
        return token.key

    wrong: list[str] = []
    for r in ROWS:
        if not r.api or "GET" not in r.methods:
            continue
        for target, codes in r.codes.items():
            if codes[CAST.index("qc_admin")] != 200:
                continue
            path = reverse(r.name, kwargs=r.kwargs(world, target)) + (f"?{r.query}" if r.query else "")
            Token.objects.filter(user=cast.qc_admin).delete()
            response = APIClient(HTTP_AUTHORIZATION=f"Token {dead_token()}").get(path)
            if response.status_code != 401:
                wrong.append(f"GET {r.name} [{target}] {path}: {response.status_code}")
    assert not wrong, f"{how} token: {len(wrong)} API URLs did not answer 401:\n" + "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize("who", CAST)
def test_every_admin_url_lets_in_qc_admin_only(cast: Cast, who: str) -> None:
    world = build_world(cast)
    # django-otp's device pages need a device: its config and QR views answer 500 for a missing id.
    TOTPDeviceFactory(user=cast.inspector_unassigned, confirmed=False)
    caller = Caller.of(cast, who)
    sign_in = reverse("admin:login")
    wrong: list[str] = []
    for endpoint in admin_endpoints():
        path = admin_path(endpoint, world)
        response, _ = caller.send("GET", path, api=False, body=None)
        if who == "qc_admin":
            passed = response.status_code < 500 and not _redirects_to(response, sign_in)
        else:
            passed = _redirects_to(response, sign_in)
        if not passed:
            wrong.append(f"GET {endpoint.name} {path}: got {_seen(response)}")
    assert not wrong, f"{who}: {len(wrong)} admin URLs break the admin rule:\n" + "\n".join(wrong)


# --- the table against the URL configuration ----------------------------------------------------------


def _rows_by_key() -> dict[tuple[str, str, str], Row]:
    """The rows by URL name, method and variant."""
    keyed: dict[tuple[str, str, str], Row] = {}
    for r in ROWS:
        for method in r.methods:
            key = (r.name, method, r.variant)
            assert key not in keyed, f"two rows for {method} {r.name}" + (f" ({r.variant})" if r.variant else "")
            keyed[key] = r
    return keyed


def _covered() -> set[tuple[str, str]]:
    """The (URL name, method) pairs the table answers for, variants and absent methods aside."""
    return {(name, method) for (name, method, _), r in _rows_by_key().items() if not r.absent}


def test_every_url_and_method_has_a_row() -> None:
    covered = _covered()
    missing = sorted(
        f"{method} {e.name or '(unnamed)'} ({e.route})"
        for e in endpoints()
        if not e.is_admin or e.name in ADMIN_ROWS
        for method in e.methods
        if (e.name, method) not in covered and not (e.name in ADMIN_ROWS and method != "GET")
    )
    assert not missing, "These URLs have no row in ROWS (add one with the answer for each member of the cast):\n" + (
        "\n".join(missing)
    )


def test_the_table_names_only_urls_that_exist() -> None:
    found = {(e.name, m) for e in endpoints() for m in e.methods}
    names = {e.name for e in endpoints()}
    wrong = set()
    for (name, method, variant), r in _rows_by_key().items():
        if r.absent:  # a URL that exists, and a method its view does not take
            if name not in names or (name, method) in found:
                wrong.add((name, method, variant))
        elif (name, method) not in found or (variant and (name, method, "") not in _rows_by_key()):
            wrong.add((name, method, variant))  # a variant goes with its row

    assert wrong == set()


def test_url_names_outside_the_admin_are_unique() -> None:
    # Rows are keyed by URL name: two patterns under one name would share a row unseen.
    names = [e.name for e in endpoints() if not e.is_admin]

    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_the_only_shadowed_admin_url_is_the_password_page_which_has_a_row() -> None:
    shadowed = [e.route for e in endpoints() if e.is_admin and not _reaches_itself(e)]

    assert shadowed == ["admin/password_change/"]
    assert resolve("/admin/password_change/").url_name == "admin-password-change"
    assert ("admin-password-change", "GET") in _covered()


def test_the_admin_rule_covers_every_registered_model() -> None:
    routes = {e.route for e in admin_endpoints()}
    for model in admin.site._registry:
        assert f"admin/{model._meta.app_label}/{model._meta.model_name}/" in routes, model


def test_the_table_keeps_the_rules() -> None:
    """Foreign objects answer 404 (or `hidden`), and anonymous visitors sign in or get 401."""
    public = {
        "home",
        "healthz",
        "service-worker",
        "schema",
        "api-docs",
        "set_language",
        "login",
        "logout",
        "v1:api-token",
    }
    public |= {"admin-password-change", "admin:login", "admin:logout"}
    broken = []
    for r in ROWS:
        for target, codes in r.codes.items():
            assert len(codes) == len(CAST), r.name
            anonymous = codes[CAST.index("anonymous")]
            if r.name not in public and anonymous != (401 if r.api else LOGIN):
                broken.append(f"{r.name}: anonymous gets {anonymous}")
            if r.absent and set(codes[:-1]) != {405}:
                broken.append(f"{r.name} {r.methods}: a method the view does not take answers {codes}")
            if target == NONE:
                continue
            for who, expected in zip(CAST[:-1], codes[:-1], strict=True):
                if target not in SEES[who] and expected != r.hidden:
                    broken.append(f"{r.name} [{target}]: {who} cannot see it but gets {expected}")
    assert not broken, "\n".join(broken)


def test_the_settings_send_anonymous_visitors_to_the_page_the_table_expects() -> None:
    assert reverse(settings.LOGIN_URL) == reverse("login")
