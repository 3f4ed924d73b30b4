from django import template

from core.text import duration_words

register = template.Library()


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
