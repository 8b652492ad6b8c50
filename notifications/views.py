"""Browser pages of notifications: the inbox with its filters, the bell, open / mark read, the e-mail choice.

Everything is the signed-in person's own (`selectors.notifications_of`): someone else's notification
answers 404. The bell is a fragment the header loads after the page (htmx), so no page pays for it.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.typing import signed_in
from common.filters import filter_status
from common.http import HtmxHttpRequest

from . import selectors, services
from .filters import NotificationFilter
from .forms import PreferenceForm
from .models import Kind

PAGE_SIZE = 50


@login_required
@require_safe
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    """The person's notifications, newest first, filterable by unread and kind, 50 a page."""
    filterset = NotificationFilter(request.GET, queryset=selectors.notifications_of(request.user))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "filter": filterset,
        "page": page,
        "notifications": list(page.object_list),
        "kinds": Kind.choices,
        "unread": selectors.unread_count(request.user),
    }
    template = "notifications/partials/rows.html" if request.htmx else "notifications/list.html"
    return TemplateResponse(request, template, context, status=filter_status(filterset))


@login_required
@require_safe
def notification_bell(request: HtmxHttpRequest) -> HttpResponse:
    """The header's bell with the unread count (one query), loaded by htmx after the page."""
    return TemplateResponse(
        request, "notifications/partials/bell.html", {"unread": selectors.unread_count(request.user)}
    )


def _own(request: HtmxHttpRequest, pk: int) -> Any:
    return get_object_or_404(selectors.notifications_of(request.user), pk=pk)


@login_required
@require_POST
def notification_open(request: HtmxHttpRequest, pk: int) -> HttpResponseRedirect:
    """Mark it read and go to the exact place it is about."""
    notification = services.notification_mark_read(actor=signed_in(request.user), notification=_own(request, pk))
    if not url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None):
        return redirect("notification-list")
    return HttpResponseRedirect(notification.link)


def _back(request: HtmxHttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect("notification-list")


@login_required
@require_POST
def notification_read(request: HtmxHttpRequest, pk: int) -> HttpResponseRedirect:
    """Mark one read and go back to the list."""
    services.notification_mark_read(actor=signed_in(request.user), notification=_own(request, pk))
    return _back(request)


@login_required
@require_POST
def notification_read_all(request: HtmxHttpRequest) -> HttpResponseRedirect:
    """Mark every unread notification read and go back to the list."""
    count = services.notifications_mark_all_read(actor=signed_in(request.user))
    messages.success(request, _("已将 %(n)s 条通知标为已读。") % {"n": count})
    return _back(request)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HtmxHttpRequest) -> HttpResponse:
    """The person's e-mail choice: every notification, a daily digest, or none."""
    user = signed_in(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            services.preference_set(actor=user, email=form.cleaned_data["email"])
            messages.success(request, _("通知设置已保存。"))
            return redirect("notification-settings")
        status = 400
    else:
        form = PreferenceForm(initial={"email": services.email_choice(user)})
        status = 200
    return TemplateResponse(
        request, "notifications/settings.html", {"form": form, "has_email": bool(user.email)}, status=status
    )
