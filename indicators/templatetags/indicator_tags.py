"""A rate and its verdict as the indicator pages print them, in one place (tables of up to 800 hospitals call it)."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from indicators.presentation import RateShown

register = template.Library()


@register.simple_tag
def rate_cell(r: RateShown | None, missing: str = "", show_ci: bool = False, show_counts: bool = False) -> SafeString:
    """The rate with its counts as a tooltip; optionally the counts, the 95% interval, last year's rate.

    `missing` is printed (muted) where there is no rate at all; a rate of 0/0 says 无数据.
    """
    if not r:
        return format_html('<span class="muted">{}</span>', missing) if missing else SafeString()
    if r.no_data:
        return format_html('<span class="badge">{}</span>', _("无数据"))
    parts = [format_html('<span class="rate" title="{}">{}</span>', r.counts, r.text)]
    if show_counts:
        parts.append(format_html(' <small class="muted">（{}）</small>', r.counts))
    if show_ci and r.ci:
        parts.append(
            format_html(
                '<br><small class="ci"><abbr title="{}">95% CI</abbr> {}</small>', _("95% Wilson 置信区间"), r.ci
            )
        )
    if r.previous:
        parts.append(
            format_html(
                '<br><small class="muted" data-testid="previous">{}</small>',
                _("上年 %(previous)s") % {"previous": r.previous},
            )
        )
    if r.too_few:
        parts.append(
            format_html(
                '<br><span class="badge badge-incomplete" title="{}">{}</span>',
                _("分母小于最小分母，结果仅供参考"),
                _("例数过少"),
            )
        )
    return format_html_join("", "{}", ((part,) for part in parts))


@register.simple_tag
def met_badge(r: RateShown | None) -> SafeString:
    """达标 / 未达标 for a rate with a verdict; nothing without data or without a target."""
    if not r or r.no_data or r.met is None:
        return SafeString()
    if r.met:
        return format_html('<span class="badge badge-pass">{}</span>', _("达标"))
    return format_html('<span class="badge badge-fail">{}</span>', _("未达标"))
