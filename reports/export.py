"""The monthly report as the agency sends it: a branded, tagged PDF (PDF/UA-1) and the headline
figures its e-mail states. It reuses the post-crisis review's machinery (`crisis.export`:
WeasyPrint, the agency's name, logo and contrast-checked colour, the DejaVu fonts, data-URI
images only) so both documents a clinic receives look and print alike; the figures are those
of `reports.selectors.monthly_report`, the same the staff tab, the portal and the API show."""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from agency.branding import brand_name, brand_palette, logo_data_uri
from clinics.models import Clinic, clinic_zone
from core.pdf import html_pdf
from core.text import duration_words
from crisis.charts import COLOURS, GRID, INK, MUTED, as_data_uri, chart_alt, count_ticks
from crisis.export import css_string
from reports.selectors import (
    LABELS,
    ReportMonths,
    answered_elsewhere_words,
    history_notice,
    report_comparison,
    report_months,
)

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 44


def month_words(month: str | date) -> str:
    """ "2026-11" (or its first day) -> "November 2026"."""
    first = date.fromisoformat(f"{month}-01") if isinstance(month, str) else month
    return f"{first:%B %Y}"


MINUS = "\u2212"  # the typographic minus every negative number of the report is shown with


def number(value, digits: int | None = None, *, signed: bool = False) -> str:
    """A figure of the report as its page, PDF and e-mail show it, a negative one always with
    the typographic minus ("−0.48", never "-0.48"): `digits` decimals (None: as the value
    reads), `signed` with "+" before a positive one ("+0.44", "−0.04"); "–" when None. The
    one formatting the report's numbers go through (`report_words.report_number`)."""
    if value is None:
        return "–"
    if digits is None:
        text = str(value)
    else:
        text = f"{float(value):{'+' if signed else ''}.{int(digits)}f}"
    return text.replace("-", MINUS)


def _signed(value, digits: int) -> str:
    return number(value, digits, signed=True)


def _share(value) -> str:
    return "" if value is None else f"{value:.0%}".replace("%", " %")


def _n(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def answered_words(report: dict, *, brand: str) -> str:
    """ "41 of 52 (79 %): 12 through Brightside Care Reviews (3 of them posted by hand), 29 on
    the platform directly or before Brightside Care Reviews answered for the clinic" (`brand`:
    the agency's; `answered_elsewhere_words`)."""
    a = report["answered"]
    if not report["volume"]:
        return "nothing received in this period"
    text = f"{a['reviews']:,} of {report['volume']:,}"
    if a["share"] is not None:
        text += f" ({_share(a['share'])})"
    private = handled_privately_words(report)
    if not a["reviews"]:
        return f"{text}; {private}" if private else text
    parts = [f"{a['through_carewatch']:,} through {brand}"]
    if a["posted_by_hand"]:
        parts[0] += f" ({a['posted_by_hand']:,} of them posted by hand)"
    if a["elsewhere"]:
        parts.append(f"{a['elsewhere']:,} {answered_elsewhere_words(brand)}")
    text = f"{text}: " + ", ".join(parts)
    return f"{text}; {private}" if private else text


def handled_privately_words(report: dict) -> str:
    """ "3 of the 14 not answered were handled privately (“In private follow-up” or
    “Resolved”)": the items not answered that were taken off the platform, as the page, the
    PDF and the e-mail say it; "" when none was."""
    a = report["answered"]
    private = a.get("handled_privately") or 0
    if not private:
        return ""
    unanswered = report["volume"] - a["reviews"]
    who = "the one" if unanswered == 1 else f"{private:,} of the {unanswered:,}"
    were = "was" if private == 1 else "were"
    return f"{who} not answered {were} handled privately (“In private follow-up” or “Resolved”)"


# An average score (-1 … 1) read as words: the lowest average each reading starts at.
SENTIMENT_READINGS = (
    (0.5, "Clearly positive"),
    (0.2, "Mostly positive"),
    (0.05, "Slightly positive"),
    (-0.05, "Neutral on balance"),
    (-0.2, "Slightly negative"),
    (-0.5, "Mostly negative"),
)


MIXED_NEGATIVE = "Mixed: more negative than positive items"
MIXED_POSITIVE = "Mixed: more positive than negative items"


def sentiment_reading(
    score: float | None, *, negative: float | None = None, positive: float | None = None
) -> str:
    """ "Slightly positive": an average score in words, its strength said as it is (an average
    of 0.09 is not "positive"); "" when nothing was scored.

    `negative`, `positive`: the shares of the scored items labelled so. Where the average
    points one way and the items the other (a few very positive items outweigh many mildly
    negative ones: "Slightly positive" beside "Negative share 60 %"), the words say the mix
    instead (`MIXED_NEGATIVE`, `MIXED_POSITIVE`); a neutral average does so where half the
    items or more lean one way. The number stays beside them (`sentiment_scale`)."""
    if score is None:
        return ""
    words = next(
        (words for lowest, words in SENTIMENT_READINGS if score >= lowest), "Clearly negative"
    )
    if negative is None or positive is None:
        return words
    side = 1 if score >= SENTIMENT_READINGS[2][0] else -1 if score < SENTIMENT_READINGS[3][0] else 0
    if negative > positive and (side > 0 or (side == 0 and negative >= 0.5)):
        return MIXED_NEGATIVE
    if positive > negative and (side < 0 or (side == 0 and positive >= 0.5)):
        return MIXED_POSITIVE
    return words


def report_sentiment_reading(sentiment: dict) -> str:
    """The month's sentiment in words (`sentiment_reading`), from the report's `sentiment`:
    its average score and the mix of its scored items. The one rule the page, the e-mail and
    the PDF read."""
    scored = sum(sentiment.get(label) or 0 for label in LABELS)
    shares = (
        {
            "negative": (sentiment.get("negative") or 0) / scored,
            "positive": (sentiment.get("positive") or 0) / scored,
        }
        if scored
        else {}
    )
    return sentiment_reading(sentiment.get("average_score"), **shares)


def sentiment_scale(score: float | None) -> str:
    """ "0.09 on a scale of −1 (negative) to 1 (positive)"; "" when nothing was scored."""
    if score is None:
        return ""
    return f"{number(score, 2)} on a scale of {MINUS}1 (negative) to 1 (positive)"


def target_words(report: dict) -> str:
    """How many replies came within the reply target, as a sentence: "1 of the 2 replies to
    negative or 1–2★ reviews came within the 3 h reply target (50 %)"."""
    rt = report["response_time"]
    counted, within = rt["target_counted"], rt["within_target"]
    target = duration_words(rt["target_minutes"])
    if not counted:
        return (
            f"none was to a negative or 1–2★ review, the reviews the {target} reply target is for"
        )
    if counted == 1:
        came = "came" if within else "did not come"
        return f"the one reply to a negative or 1–2★ review {came} within the {target} reply target"
    return (
        f"{within:,} of the {counted:,} replies to negative or 1–2★ reviews came within the "
        f"{target} reply target ({_share(rt['within_target_share'])})"
    )


def response_words(report: dict) -> str:
    rt = report["response_time"]
    if not rt["replies"]:
        return "no reply with a known reply time in this period"
    return (
        f"median {duration_words(rt['median_minutes'])} over "
        f"{_n(rt['replies'], 'reply', 'replies')}; {target_words(report)}"
    )


def rating_and_negative_words(report: dict) -> str:
    """Why the average rating and the negative share moved the "wrong" way together (the
    rating up and more negative items, or the rating down and fewer), as one plain sentence;
    "" when they agree or either cannot be compared. They read different things: the stars of
    the items that have them, and the words of every item scored."""
    change = report["change"]
    rating, negative = change["average_rating"], change["negative_share"]
    if not rating or not negative or (rating > 0) != (negative > 0):
        return ""
    scored = sum(report["sentiment"][label] for label in LABELS)
    went = "went up" if rating > 0 else "went down"
    share = "more" if negative > 0 else "fewer"
    return (
        f"The average rating {went} while {share} items read as negative: the rating is the "
        f"average of the {_n(report['rated'], 'star rating', 'star ratings')} given, the "
        f"negative share is read from the words of all {_n(scored, 'item', 'items')} scored "
        "(mentions and many reviews have no stars), so the two can move apart."
    )


def report_headlines(
    report: dict, *, brand: str, months: ReportMonths | None = None
) -> list[tuple[str, str, str]]:
    """(key, label, value) of the month's headline figures, in the order the e-mail and the
    PDF's first page state them; each change names what it is against, as the pages do
    (`reports.selectors.report_comparison`: "+4 vs October 2026", "+14 vs 1–5 November"
    while a month is in progress). With the clinic's `months`, a previous month before its
    first data says so ("no data for October 2026") instead of a change from nothing.
    `brand`: the agency's (`agency.branding.brand_name`)."""
    previous, change = report["previous"], report["change"]
    before = report_comparison(report).span
    no_data = months is not None and months.before_data(
        date.fromisoformat(f"{previous['month']}-01")
    )
    volume = f"{report['volume']:,}"
    if no_data:
        volume += f" (no data for {before} to compare with)"
    elif previous["volume"] or report["volume"]:
        volume += f" ({_signed(change['volume'], 0)}"
        volume += f", {_signed(change['volume_pct'], 1)} %" if change["volume_pct"] else ""
        volume += f" vs {before})"
    rating = "no ratings"
    if report["average_rating"] is not None:
        rating = (
            f"{report['average_rating']:.2f} of 5 from {_n(report['rated'], 'rating', 'ratings')}"
        )
        if change["average_rating"] is not None and not no_data:
            rating += f" ({_signed(change['average_rating'], 2)} vs {before})"
    sentiment = report["sentiment"]
    mood = "nothing scored yet"
    if sentiment["average_score"] is not None:
        score = sentiment["average_score"]
        mood = f"{report_sentiment_reading(sentiment)} ({sentiment_scale(score)})"
        if sentiment["negative_share"] is not None:
            mood += f", {_share(sentiment['negative_share'])} negative"
    return [
        ("volume", "Reviews and mentions received", volume),
        ("average_rating", "Average rating", rating),
        ("sentiment", "Average sentiment", mood),
        ("answered", "Answered", answered_words(report, brand=brand)),
        ("response_time", "Response time", response_words(report)),
    ]


def weekly_chart(report: dict, brand: str) -> str:
    """Items per week, stacked by sentiment, as SVG (presentation attributes only)."""
    weeks = report["weekly"]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(w[label] for label in LABELS) + _unscored(w) for w in weeks]
    ticks = count_ticks(max(totals, default=0))
    peak = ticks[-1]
    body = []
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / peak
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="0.5"/><text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{MUTED}">{tick}</text>'
        )
    slot = plot_w / max(len(weeks), 1)
    bar = min(60.0, slot * 0.6)
    for i, week in enumerate(weeks):
        x = LEFT + i * slot + (slot - bar) / 2
        y = TOP + plot_h
        for label in ("negative", "neutral", "positive", "unscored"):
            count = _unscored(week) if label == "unscored" else week[label]
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[label]}"/>'
            )
        body.append(
            f'<text x="{x + bar / 2:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle" '
            f'fill="{INK}">{escape(_week_label(week))}</text>'
        )
    body.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        f'stroke="{INK}"/>'
    )
    x = LEFT
    for label in ("positive", "neutral", "negative", "unscored"):
        name = "not scored yet" if label == "unscored" else label
        body.append(
            f'<rect x="{x}" y="{HEIGHT - 19}" width="10" height="10" fill="{COLOURS[label]}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 10}" fill="{INK}">{name}</text>'
        )
        x += 24 + 7 * len(name)
    desc = "; ".join(
        f"{_week_label(w)}: {total} items ({w['positive']} positive, {w['neutral']} "
        f"neutral, {w['negative']} negative)"
        for w, total in zip(weeks, totals, strict=True)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="weekly-t weekly-d" '
        f'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="11">'
        f'<title id="weekly-t">Items per week, by sentiment</title>'
        f'<desc id="weekly-d">{escape(desc or "no items")}</desc>'
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
        f'<rect x="0" y="0" width="{WIDTH}" height="3" fill="{brand}"/>' + "".join(body) + "</svg>"
    )


def _unscored(week: dict) -> int:
    return max(0, week["volume"] - sum(week[label] for label in LABELS))


def _week_label(week: dict) -> str:
    return week["label"]


def report_context(
    *, clinic: Clinic, report: dict, portal_url: str, now: datetime | None = None
) -> dict:
    """Everything the PDF shows."""
    agency = clinic.agency
    palette = brand_palette(agency.primary_colour)
    chart = weekly_chart(report, palette["brand_text"])
    generated = timezone.localtime(now or timezone.now(), clinic_zone(clinic))
    months = report_months(clinic, now=now)
    return {
        "clinic": clinic,
        "agency": agency,
        "agency_name": brand_name(agency),
        "logo_uri": logo_data_uri(agency),
        "palette": palette,
        "report": report,
        "month_text": month_words(report["month"]),
        "history_notice": history_notice(
            months,
            date.fromisoformat(f"{report['month']}-01"),
            clinic_name=clinic.name,
            brand=brand_name(agency),
        ),
        "comparison": report_comparison(report),
        "headlines": report_headlines(report, brand=brand_name(agency), months=months),
        "chart_uri": as_data_uri(chart),
        "chart_alt": chart_alt(chart),
        "portal_url": portal_url,
        "generated_text": generated.strftime("%Y-%m-%d %H:%M %Z"),
    }


def report_filename(clinic: Clinic, month: str) -> str:
    return f"{clinic.slug}-report-{month}.pdf"


def report_pdf(*, clinic: Clinic, report: dict, portal_url: str) -> bytes:
    """The month's report as a tagged PDF (`core.pdf.html_pdf`), as the post-crisis review's
    is (`crisis.export.review_pdf`): the chart and the logo are data URIs inside the HTML."""
    context = report_context(clinic=clinic, report=report, portal_url=portal_url)
    footer = f"{context['agency_name']} · {clinic.name} · {context['month_text']}"
    html = render_to_string(
        "reports/monthly_export.html",
        {**context, "footer_css": mark_safe(css_string(footer))},  # noqa: S308 - escaped
    )
    return html_pdf(html)
