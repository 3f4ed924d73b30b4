from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from core.http import clinic_urlconf
from core.text import MIN_REASON_CHARS, REASON_RULE, duration_words
from core.text import possessive as _possessive

register = template.Library()


@register.simple_tag
def public_url(name, *args):
    """A URL outside any clinic, from any page (clinic pages resolve with another URLconf)."""
    return reverse(name, urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=args)


@register.simple_tag
def clinic_url(clinic, name, *args):
    """A URL inside `clinic`, from any page."""
    return reverse(name, urlconf=clinic_urlconf(clinic.slug), args=args)


@register.filter(is_safe=True)
def possessive(name):
    """{{ clinic.name|possessive }}: "Clinic A’s", "Lakeview Pediatrics’" (core.text)."""
    return _possessive(name)


@register.simple_tag
def reason_rule() -> dict:
    """{% reason_rule as rule %}: the rule a reason must meet (`core.text.reason_problem`), for
    a form: `rule.text` its help and the browser's message, `rule.min_chars` its minlength."""
    return {"text": REASON_RULE, "min_chars": MIN_REASON_CHARS}


@register.filter
def ago(moment):
    """{{ told_at|ago }}: "just now" under a minute, else "5 minutes ago" (timesince)."""
    if not moment:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"


@register.filter
def minutes_words(value):
    """Minutes as "3 h 5 min" / "4 h" / "2 d 4 h"; "–" when there is none."""
    return duration_words(value)


@register.filter
def signed(value, digits=0):
    """+3 / -0.12 / "–"."""
    if value is None:
        return "–"
    number = round(float(value), int(digits))
    text = f"{number:.{int(digits)}f}"
    return text if number < 0 else f"+{text}"


@register.filter
def percent(value):
    return "–" if value is None else f"{round(float(value) * 100)} %"
