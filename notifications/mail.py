"""Composing and sending one e-mail through Django's mail framework: Chinese, a plain-text and an HTML part."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .models import MailMessage, Notification

# What a failed attempt may raise: SMTP refusals, a server that is down or unreachable, a timeout.
SEND_ERRORS: tuple[type[Exception], ...] = (smtplib.SMTPException, OSError)


def absolute(link: str) -> str:
    """The page's full address, for a mail read outside the app."""
    return settings.SITE_URL.rstrip("/") + link


def compose_notification(notification: Notification) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the mail about one notification, in the mail language (Chinese)."""
    with translation.override(settings.NOTIFICATION_MAIL_LANGUAGE):
        context = {
            "text": notification.text,
            "url": absolute(notification.link),
            "settings_url": absolute("/notifications/settings/"),
            "kind": str(notification.get_kind_display()),
        }
        subject = _("【麻醉质控】%(kind)s") % context
        return (
            subject,
            render_to_string("notifications/mail/notification.txt", context),
            render_to_string("notifications/mail/notification.html", context),
        )


def compose_digest(notifications: list[Notification]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of one person's daily digest."""
    with translation.override(settings.NOTIFICATION_MAIL_LANGUAGE):
        entries = [{"text": n.text, "url": absolute(n.link), "at": n.created_at} for n in notifications]
        context = {
            "entries": entries,
            "inbox_url": absolute("/notifications/"),
            "settings_url": absolute("/notifications/settings/"),
        }
        subject = _("【麻醉质控】每日摘要：%(n)s 条新通知") % {"n": len(entries)}
        return (
            subject,
            render_to_string("notifications/mail/digest.txt", context),
            render_to_string("notifications/mail/digest.html", context),
        )


def deliver(mail: MailMessage) -> None:
    """Send one mail now (raises one of SEND_ERRORS when the server refuses or cannot be reached)."""
    if mail.notification is not None:
        subject, text, html = compose_notification(mail.notification)
    else:
        subject, text, html = mail.subject, mail.body_text, mail.body_html
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[mail.to])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
