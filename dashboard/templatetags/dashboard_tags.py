"""The dashboard's rows (their sparklines, figures and words) and sortable column links."""

from __future__ import annotations

import html

from django import template
from django.template.defaultfilters import floatformat, timesince_filter
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import capfirst

from clinics.paused import deactivated_on
from dashboard.selectors import DASHBOARD_URGENCY
from dashboard.services import SPARK_DAYS, TREND_MIN_REVIEWS, SentimentTrend, sentiment_trend

register = template.Library()


def _html(template_string: str, *args) -> SafeString:
    """`format_html` for the hundred rows of a page: each argument HTML-escaped unless it is
    safe already (a number needs none), without the lazy-string wrapper of Django's `escape`,
    which took a third of the rows' time."""
    return mark_safe(  # noqa: S308 - every argument is escaped or safe
        template_string.format(
            *(a if isinstance(a, SafeData | int | float) else html.escape(str(a)) for a in args)
        )
    )


SPARK_WIDTH, SPARK_HEIGHT = 112, 28  # static/css/app.css sizes `.spark` the same


def sparkline(values: list, trend: SentimentTrend | None) -> str:
    """Daily mean sentiment (-1..1, None for a day without scored reviews) as an SVG polyline
    with a text alternative (its <title>), coloured by the trend (`sentiment_trend` of the
    same days). No style on the row: the CSP forbids inline styles, and what every line shares
    (its size, the dashed zero line across the middle) is `.spark` in the stylesheet."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        # the line covers the last days only: a clinic whose reviews are all older is scored
        return _html('<span class="muted">No scored reviews in the last {} days</span>', SPARK_DAYS)
    step = SPARK_WIDTH / max(len(values) - 1, 1)

    def x(i: int) -> str:
        return _short(i * step)

    def y(v: float) -> str:
        return _short((1 - (v + 1) / 2) * (SPARK_HEIGHT - 4) + 2)

    coords = " ".join(f"{x(i)},{y(v)}" for i, v in points)
    first, last = points[0][1], points[-1][1]
    label = (
        f"Sentiment over {len(values)} days, from {first:+.2f} to {last:+.2f} "
        f"({len(points)} days with scored reviews)"
    )
    tone = trend.direction if trend and trend.direction != "few" else "flat"
    return _html(
        '<svg class="spark spark-{}" viewBox="0 0 {} {}" role="img"><title>{}</title>'
        '<polyline points="{}"/><circle cx="{}" cy="{}" r="2.5"/></svg>',
        tone,
        SPARK_WIDTH,
        SPARK_HEIGHT,
        label,
        coords,
        x(points[-1][0]),
        y(last),
    )


def _short(n: float) -> str:
    """A coordinate to one decimal, without a trailing ".0"."""
    return f"{round(n, 1):g}"


@register.simple_tag(takes_context=True)
def sort_query(context, key: str) -> str:
    """The query string that sorts by `key`: descending first, then toggles; the name A to Z
    first; "urgency" one way only (most urgent first). The filters the page could read stay
    (`filter_query`: the name search, the status, the agency); a sort starts at page 1."""
    current = context.get("sort_raw", "")
    if current == DASHBOARD_URGENCY:  # the most severe incident first: Severity, descending
        current = "-severity"
    new = key if current == f"-{key}" else f"-{key}"
    if key == "name":
        new = "-name" if current == "name" else "name"
    elif key == DASHBOARD_URGENCY:
        new = key
    params = context["filter_query"].copy()
    params["sort"] = new
    return params.urlencode()


@register.filter
def spark_mean(values, counts=None) -> dict | None:
    """The number the row shows beside its sparkline: the mean sentiment of the last days
    (`TREND_WINDOW_DAYS`, weighted by reviews), the very figure the trend arrow compares with
    the first days' (`dashboard.services.sentiment_trend`'s `end`), never one day's value.
    `{"mean", "n", "days", "words"}`; `mean` is None when those days hold no scored review.
    None when no day of the line has one."""
    return _mean_of(sentiment_trend(values, counts))


def _mean_of(trend: SentimentTrend | None) -> dict | None:
    if trend is None:
        return None
    days = f"{trend.days} day{'' if trend.days == 1 else 's'}"
    if trend.end is None:
        words = f"no scored reviews in the last {days}"
    else:
        words = (
            f"mean sentiment of the last {days}: {trend.end:+.2f} from {_reviews(trend.end_n)} "
            "(the figure the arrow compares with the first days)"
        )
    return {"mean": trend.end, "n": trend.end_n, "days": trend.days, "words": words}


TREND_WORDS = {
    "up": ("↑", "better: {end} over the last {days} ({end_n}), up from {start} over the first {days} ({start_n})"),
    "down": ("↓", "worse: {end} over the last {days} ({end_n}), down from {start} over the first {days} ({start_n})"),
    "flat": ("→", "about the same: {end} over the last {days} ({end_n}), against {start} over the first {days} ({start_n})"),
    "few": ("?", "too few reviews to tell: {start_n} in the first {days} and {end_n} in the last {days}, at least {least} at each end needed"),
}  # fmt: skip


def _reviews(n: int) -> str:
    return f"{n} review{'' if n == 1 else 's'}"


@register.filter
def spark_trend(values, counts=None) -> dict | None:
    """Which way the sparkline went ("up", "down", "flat", or "few": too few reviews to tell),
    its arrow and its words: what the row says beside the line, from the same figure as the
    line's colour: the first days' mean against the last days', weighted by reviews
    (`dashboard.services.sentiment_trend`), never one day's mean against another's."""
    return _direction_of(sentiment_trend(values, counts))


def _direction_of(trend: SentimentTrend | None) -> dict | None:
    if trend is None:
        return None
    arrow, words = TREND_WORDS[trend.direction]
    text = words.format(
        days=f"{trend.days} day{'' if trend.days == 1 else 's'}",
        start=f"{trend.start:+.2f}" if trend.start is not None else "",
        end=f"{trend.end:+.2f}" if trend.end is not None else "",
        start_n=_reviews(trend.start_n),
        end_n=_reviews(trend.end_n),
        least=TREND_MIN_REVIEWS,
    )
    return {"direction": trend.direction, "arrow": arrow, "words": text}


@register.filter
def awaiting_words(figures) -> str:
    """ "1 reply, 1 statement, 2 batches of replies": what an approval count holds, for a
    row's snapshot or the page's totals."""

    def read(name: str) -> int:
        if isinstance(figures, dict):
            return figures.get(f"approval_{name}", 0)
        return getattr(figures, f"awaiting_{name}")

    parts = []
    for name, one, many in (
        ("replies", "reply", "replies"),
        ("statements", "statement", "statements"),
        ("batches", "batch of replies", "batches of replies"),
    ):
        if count := read(name):
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)


def _plural(n: int, one: str = "", many: str = "s") -> str:
    return one if n == 1 else many


def _alarm_pill(count: int, href: str, testid: str, label: str) -> SafeString | str:
    """A count that asks for action (failed deliveries, SLA breaches): a red pill linking to
    where it is acted on, "0" when there is none."""
    if not count:
        return "0"
    return _html(
        '<a href="{}" aria-label="{}"><span class="pill negative" data-testid="{}">{}</span></a>',
        href, label, testid, count,
    )  # fmt: skip


def _severity_cell(s) -> str:
    if not s.top_severity_label:
        return mark_safe('<span class="muted">–</span>')  # noqa: S308 - constant
    pill = _html(
        '<span class="pill sev-{}" data-testid="severity">{}</span>',
        s.top_severity_label,
        capfirst(s.top_severity_label),
    )
    if not s.oldest_unacknowledged_at:
        return pill
    return _html(
        '{} <span class="{} whole-words" data-testid="unack">unacknowledged {}{}</span>',
        pill,
        "late" if s.escalated else "muted",
        timesince_filter(s.oldest_unacknowledged_at),
        " / escalated" if s.escalated else "",
    )


def _sentiment_cell(s) -> str:
    """The line, the last days' mean and the arrow, from one `sentiment_trend`. Each figure's
    words are written once, in a `.tip` that screen readers read and the pointer and the
    keyboard show (each figure takes focus)."""
    values = list(s.sentiment_daily or [])
    trend = sentiment_trend(values, s.sentiment_counts)
    line = sparkline(values, trend)
    mean, direction = _mean_of(trend), _direction_of(trend)
    if mean is None or direction is None:
        return line
    value = mean["mean"]
    tone = "" if value is None else " down" if value < -0.2 else " up" if value > 0.2 else ""
    return _html(
        '{} <span class="trend{}" tabindex="0" data-testid="spark-mean" data-reviews="{}">{}'
        '<span class="tip"> {}</span></span> <span class="trend" tabindex="0" '
        'data-testid="trend" data-trend="{}">{}<span class="tip"> {}</span></span>',
        line,
        tone,
        mean["n"],
        floatformat(value, 2) if value is not None else "–",
        mean["words"],
        direction["direction"],
        direction["arrow"],
        direction["words"],
    )


def _arrived(s) -> str:
    """Under the unread count: what arrived in the last 24 hours, and how much of it is
    negative (`ClinicSnapshot.arrived_24h`); nothing when nothing arrived."""
    n, negative = s.arrived_24h, s.arrived_24h_negative
    if not n:
        return ""
    return _html(
        '<br><small class="muted" data-testid="arrived-24h">{} new in 24 h{}</small>',
        n,
        _html(", {} negative", negative) if negative else "",
    )


def _figure_cells(clinic, s) -> str:
    base = f"/clinics/{clinic.slug}/"
    name = clinic.name
    if s.open_incidents:
        incidents = _html(
            '<a class="incident-link" href="{}incidents/{}/" title="{}" aria-label="{} open '
            'incident{} at {}; open the most severe: {}"><span class="pill negative">{}</span>'
            "</a>{}",
            base,
            s.top_incident_id,
            s.top_incident_title,
            s.open_incidents,
            _plural(s.open_incidents),
            name,
            s.top_incident_title,
            s.open_incidents,
            _html(' <span class="muted">{} unack.</span>', s.unacknowledged_incidents)
            if s.unacknowledged_incidents
            else "",
        )
    else:
        incidents = "0"
    if s.awaiting_approval:
        words = awaiting_words(s)
        approvals = _html(
            '<a href="{}replies/" data-testid="approvals" aria-label="{} awaiting approval at '
            '{}: {}">{}</a> <small class="muted">{}</small>',
            base,
            s.awaiting_approval,
            name,
            words,
            s.awaiting_approval,
            words,
        )
    else:
        approvals = "0"
    n = s.failed_deliveries
    failed = _alarm_pill(
        n, f"{base}outbox/#failed", "failed-deliveries",
        f"{n} failed deliver{_plural(n, 'y', 'ies')} at {name}: open the outbox",
    )  # fmt: skip
    n = s.sla_breaches
    sla = _alarm_pill(
        n, f"{base}inbox/?sla=breached", "sla-breaches",
        f"{n} SLA breach{_plural(n, '', 'es')} at {name}: open them in the inbox",
    )  # fmt: skip
    rating = (
        _html(
            '{}★ <span class="muted">({})</span>',
            floatformat(s.average_rating, 1),
            s.rating_count,
        )
        if s.average_rating is not None
        else mark_safe('<span class="muted">–</span>')  # noqa: S308 - constant
    )
    return _html(
        "<td>{}</td>"
        '<td class="num"><a href="{}inbox/?status=new" aria-label="{} unread reviews at {}, of any date">{}</a>'
        '{}</td><td class="num">{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td class="num">{}</td>',
        _severity_cell(s),
        base,
        s.new_reviews,
        name,
        s.new_reviews,
        _arrived(s),
        rating,
        _sentiment_cell(s),
        incidents,
        approvals,
        failed,
        sla,
    )


@register.simple_tag
def clinic_row(clinic) -> str:
    """One clinic's row of the dashboard (`dashboard_clinics`, with its snapshot), built here
    rather than in the template: a hundred rows of some fifty template nodes each were half
    the page's CPU. A phone labels each cell from the stylesheet (`td:nth-child`), in the
    order of `dashboard.views.DASHBOARD_COLUMNS`."""
    s = getattr(clinic, "snapshot", None)
    base = f"/clinics/{clinic.slug}/"
    if clinic.deactivated_at:
        cells = _html(
            '<td colspan="8" data-testid="paused">Deactivated on {}{}: its portal is paused and '
            'its reviews are not watched. <a href="{}settings/leaving/">Export, reactivate or '
            "delete it</a></td>",
            deactivated_on(clinic),
            _html(" by {}", clinic.deactivated_by_name) if clinic.deactivated_by_name else "",
            base,
        )
    elif s is not None:
        cells = _figure_cells(clinic, s)
    else:
        cells = mark_safe('<td colspan="8" class="muted">Figures are being computed…</td>')  # noqa: S308 - constant
    return _html(
        '<tr data-clinic="{}"><th scope="row"><a class="clinic-name" href="{}">{}</a>{}</th>{}</tr>',
        clinic.slug,
        base,
        clinic.name,
        mark_safe(' <small class="muted">updating…</small>')  # noqa: S308 - constant
        if s is not None and s.stale_since
        else "",
        cells,
    )
