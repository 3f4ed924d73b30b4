"""Django's `date` filter, made to name the time zone where the page's own line cannot.

Every page shows times in the active time zone (a clinic's pages: the clinic's) and says
once, under the breadcrumbs, which zone that is, by its abbreviation now ("Times are Riverside
Family Dental's local time (EST)"). A time from the other half of the year is in another
offset (EDT), and in the hour a clock goes back the same reading ("2026-11-01 01:30") is two
instants. So a time of day whose offset or abbreviation is not the one the page names now is
written with its own ("01:30 EDT"), and a format that names the zone (`T`) names it in that
hour too (Django writes "" there). The settings load this library as a builtin, so it replaces
the `date` filter on every page and e-mail, with no `{% load %}`."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.template import defaultfilters
from django.utils import timezone

register = template.Library()

# Format characters that read the clock (a time of day) and those that already carry the zone
# or are not a reading of a clock (ISO 8601, RFC 5322, Unix time).
_TIME_OF_DAY = frozenset("aAfgGhHiPsu")
_ZONE_SHOWN = frozenset("eOTZcrUI")


def _escaped(text: str) -> str:
    return "".join(f"\\{char}" for char in text)


def _unescaped(fmt: str):
    """(char, escaped) for each character of a `date` format."""
    chars = iter(fmt)
    for char in chars:
        if char == "\\":
            yield next(chars, ""), True
        else:
            yield char, False


def zone_named(value: datetime, fmt: str) -> str:
    """`fmt` for the aware `value` (in the zone it is shown in), naming the zone as the module
    says: its `T` spelled out, or its abbreviation added after a time of day whose offset or
    abbreviation differs from now's in the page's (the active) time zone."""
    name = value.tzinfo.tzname(value) or ""  # zoneinfo reads `fold`: 01:30 EDT / 01:30 EST
    shown = list(_unescaped(fmt))
    if any(char == "T" and not escaped for char, escaped in shown):
        return "".join(
            _escaped(name) if char == "T" and not escaped else (f"\\{char}" if escaped else char)
            for char, escaped in shown
        )
    reads_clock = any(char in _TIME_OF_DAY and not escaped for char, escaped in shown)
    names_zone = any(char in _ZONE_SHOWN and not escaped for char, escaped in shown)
    if not reads_clock or names_zone or not name:
        return fmt
    now = timezone.localtime(timezone.now())
    if (value.utcoffset(), name) == (now.utcoffset(), now.tzname()):
        return fmt
    return f"{fmt} {_escaped(name)}"


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """`{{ at|date:"Y-m-d H:i" }}` as Django writes it, naming the zone where the page's line
    does not (the module's docstring)."""
    if isinstance(value, datetime) and timezone.is_aware(value) and isinstance(arg, str):
        arg = zone_named(value, arg)
    return defaultfilters.date(value, arg)


@register.simple_tag
def zone_now() -> str:
    """The active time zone's abbreviation now ("EST"), for the line that names a page's zone:
    `{% now "T" %}` writes "" in the hour a clock goes back."""
    return timezone.localtime(timezone.now()).tzname() or ""
