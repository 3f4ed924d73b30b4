"""The monthly report's figures in words, for its pages (`reports/_monthly.html`): the same
words as its e-mail and its PDF (`reports.export`)."""

from django import template

from reports import export, selectors

register = template.Library()


@register.filter
def month_words(month):
    """{{ report.month|month_words }}: "2026-11" -> "November 2026"."""
    return export.month_words(month) if month else ""


@register.filter
def report_sentiment_reading(sentiment):
    """{{ report.sentiment|report_sentiment_reading }}: the month's sentiment in words, from its
    average score and the mix of its items ("Mixed: more negative than positive items")."""
    return export.report_sentiment_reading(sentiment) if sentiment else ""


@register.filter
def sentiment_scale(score):
    """{{ score|sentiment_scale }}: "0.09 on a scale of −1 (negative) to 1 (positive)"."""
    return export.sentiment_scale(score)


@register.filter
def target_words(report):
    """{{ report|target_words }}: how many replies came within the reply target, a sentence."""
    return export.target_words(report)


@register.filter
def answered_elsewhere(brand):
    """{{ platform|answered_elsewhere }}: "on the platform directly or before Brightside Care
    Reviews answered for the clinic", as the PDF and the e-mail say it."""
    return selectors.answered_elsewhere_words(brand)


@register.filter
def rating_and_negative(report):
    """{{ report|rating_and_negative }}: why the average rating and the negative share moved
    apart this month, a sentence; "" when they did not."""
    return export.rating_and_negative_words(report)


@register.filter
def report_number(value, digits=None):
    """{{ value|report_number:2 }}: "−0.48" (the typographic minus, as the PDF and the e-mail
    write it: `reports.export.number`); "–" when None."""
    return export.number(value, None if digits is None else int(digits))


@register.filter
def report_signed(value, digits=0):
    """{{ change|report_signed:2 }}: a change, "+0.44" / "−0.04" (`reports.export.number`)."""
    return export.number(value, int(digits), signed=True)


@register.filter
def handled_privately(report):
    """{{ report|handled_privately }}: "3 of the 14 not answered were handled privately (…)",
    as the PDF and the e-mail say it; "" when none was."""
    return export.handled_privately_words(report)
