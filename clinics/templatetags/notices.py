"""A notice as a page shows it (`clinics.notifications.notice_title`)."""

from __future__ import annotations

from django import template

from clinics.notifications import notice_title as _notice_title

register = template.Library()


@register.filter
def notice_title(notice) -> str:
    """`{{ n|notice_title }}`: its line, the deadline it names said as it reads now."""
    return _notice_title(notice)
