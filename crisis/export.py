"""A post-crisis review as the agency sends it to its client: the staff page, the portal page,
a self-contained HTML file and a tagged PDF, all from one context and the same SVG charts
(`crisis.charts`), carrying the agency's name, logo and colour and the clinic's local time.

The PDF is WeasyPrint's rendering of the HTML export (PDF/UA-1: a tagged structure tree, the
document language and title, alt text on the charts), so the file and the page cannot drift."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from agency.branding import brand_palette, logo_data_uri
from clinics.models import Clinic, clinic_zone
from crisis.charts import as_data_uri, chart_alt, sentiment_chart, volume_chart
from crisis.metrics import LABELS, NOT_YET, WINDOW_NAMES
from crisis.models import PostCrisisReview
from crisis.room import local
from crisis.services import review_metrics_current
from crisis.timeline import review_timeline

WINDOW_TITLES = {"before": "Before", "during": "During", "after": "After"}
STATE_WORDS = {"complete": "complete", "in_progress": "so far", "not_yet": "not yet"}


def duration_text(seconds: int | None, *, missing: str = "—") -> str:
    if seconds is None:
        return missing
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _dt(value: str | datetime | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _share(value: float | None) -> str:
    return "" if value is None else f" ({value:.0%})"


def signed_2(value: float) -> str:
    """+0.27 / -0.60: rounded half up from the value's decimal form, as the windows table's
    `floatformat:2` rounds it (an f-string rounds -0.595 to -0.59 through its binary form, so
    the summary and the table disagreed)."""
    quantised = Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{quantised:+.2f}"


def _sentiment_text(window: dict) -> str:
    if window["state"] == NOT_YET:
        return "not yet"
    if not window["volume"]:
        return "no items"
    score = "no score" if window["mean_score"] is None else signed_2(window["mean_score"])
    negative = "" if window["negative_share"] is None else f", {window['negative_share']:.0%}"
    so_far = " so far" if window["state"] == "in_progress" else ""
    return f"{score} ({window['volume']} items{negative} negative{so_far})"


def review_figures(metrics: dict, tz) -> list[tuple[str, str, str]]:
    """(key, label, value) of the figures a client asks for, in the order the summary shows
    them. Labels are stable: tests and readers find them by name."""
    m = metrics
    resolved = m.get("resolved", m.get("resolved_at") is not None)
    claims = m["false_claims"]
    follow = m["private_follow_ups"]
    follow_text = (
        f"{follow['total']} ("
        + ", ".join(f"{v} {k.lower()}" for k, v in follow.items() if k != "total")
        + ")"
        if follow.get("total")
        else "none"
    )
    figures = [
        ("onset", "Crisis onset", f"{local(_dt(m['onset_at']), tz)} ({m['onset_from']})"),
        ("detected", "Detected", local(_dt(m["opened_at"]), tz)),
        ("resolved", "Resolved", local(_dt(m["resolved_at"]), tz) if resolved else "not yet"),
        ("time_to_detect", "Time to detect", duration_text(m["time_to_detect_seconds"])),
        (
            "time_to_acknowledge",
            "Time to acknowledge",
            duration_text(m["time_to_acknowledge_seconds"], missing="not acknowledged"),
        ),
        (
            "time_to_first_public_response",
            "Time to first public response",
            duration_text(m["time_to_first_public_response_seconds"], missing="none yet"),
        ),
        (
            "time_to_first_reply",
            "Time to first reply",
            duration_text(m["time_to_first_reply_seconds"], missing="none yet"),
        ),
        (
            "time_to_statement",
            "Time to statement",
            duration_text(m["time_to_statement_seconds"], missing="no statement published"),
        ),
        (
            "time_to_resolve",
            "Time to resolve",
            duration_text(m["time_to_resolve_seconds"], missing="not yet"),
        ),
        (
            "mentions_answered",
            "Mentions answered",
            f"{m['mentions_answered']} of {m['mentions_linked']}"
            + _share(m["mentions_answered_share"]),
        ),
        (
            "negative_answered",
            "Negative mentions answered",
            f"{m['negative_answered']} of {m['negative_linked']}" + _share(m["answered_share"]),
        ),
        *[
            (f"sentiment_{name}", f"Sentiment {name}", _sentiment_text(m["windows"][name]))
            for name in WINDOW_NAMES
        ],
        (
            "false_claims_reach",
            "Reach of the false claims",
            f"{m['false_claims_reach']:,} across {claims} false claim{'s' if claims != 1 else ''}"
            if claims
            else "no false claims flagged",
        ),
        (
            "correction_reach",
            "Reach of the correction",
            f"{m['correction_reach']:,}{_share(m['correction_reach_share'])}: "
            f"{m['false_claims_corrected']} of {claims} answered in public"
            if claims
            else "—",
        ),
        ("statements_published", "Statements published", str(m["statements_published"])),
        ("private_follow_ups", "Private follow-ups", follow_text),
        (
            "escalated",
            "Escalated",
            f"yes, after {duration_text(m['escalated_after_seconds'])}" if m["escalated"] else "no",
        ),
    ]
    if m.get("resolve_reason"):
        figures.append(("resolved_anyway", "Resolved anyway", m["resolve_reason"]))
    return figures


def review_context(
    review: PostCrisisReview, clinic: Clinic, *, now: datetime | None = None
) -> dict:
    """Everything the review page, the portal page, the HTML export and the PDF show."""
    incident = review.incident
    metrics = review_metrics_current(review)
    tz = clinic_zone(clinic)
    agency = clinic.agency
    palette = brand_palette(agency.primary_colour)
    brand_colour = palette["brand_text"]
    windows = []
    for name in WINDOW_NAMES:
        w = metrics["windows"][name]
        windows.append(
            {
                "name": name,
                "title": WINDOW_TITLES[name],
                "state_text": STATE_WORDS.get(w.get("state"), ""),
                "start_text": local(_dt(w["start"]), tz) or "—",
                "end_text": local(_dt(w["end"]), tz) or "—",
                **w,
            }
        )
    series = [
        {**row, "start_text": local(_dt(row["start"]), tz), "title": WINDOW_TITLES[row["window"]]}
        for row in metrics["series"]
    ]
    timeline = [
        {**line, "at_text": local(_dt(line["at"]), tz)}
        for line in review_timeline(incident, clinic)
    ]
    figures = review_figures(metrics, tz)
    volume_svg = volume_chart(metrics, brand_colour)
    sentiment_svg = sentiment_chart(metrics, brand_colour)
    generated = timezone.localtime(now or timezone.now(), tz)
    return {
        "clinic": clinic,
        "agency": agency,
        "agency_name": agency.display_name or agency.name,
        "logo_uri": logo_data_uri(agency),
        "palette": palette,
        "incident": incident,
        "review": review,
        "metrics": metrics,
        "figures": figures,
        "summary": [(label, value) for _, label, value in figures],
        "windows": windows,
        "series": series,
        "labels": LABELS,
        "window_text": duration_text(metrics["window_seconds"]),
        "timeline": timeline,
        "statement_lines": [statement_line(st, tz) for st in metrics.get("statements", [])],
        "volume_svg": volume_svg,
        "sentiment_svg": sentiment_svg,
        "volume_uri": as_data_uri(volume_svg),
        "sentiment_uri": as_data_uri(sentiment_svg),
        "volume_alt": chart_alt(volume_svg),
        "sentiment_alt": chart_alt(sentiment_svg),
        "timezone": str(tz),
        "generated_text": generated.strftime("%Y-%m-%d %H:%M %Z"),
        "frozen_text": local(review.metrics_frozen_at, tz),
        "opened_text": local(incident.opened_at, tz),
    }


def review_html(review: PostCrisisReview, clinic: Clinic) -> str:
    return render_to_string("crisis/review_export.html", review_context(review, clinic))


def review_pdf(review: PostCrisisReview, clinic: Clinic) -> bytes:
    """The export rendered by WeasyPrint as PDF/UA-1 (tagged). Everything it shows is inside
    the HTML (charts and logo as data URIs): only `data:` URLs are fetched."""
    # Imported here: only the export needs WeasyPrint and its Pango bindings (~0.3 s to load),
    # and the web process should not pay for it at start-up.
    import weasyprint
    from weasyprint.urls import URLFetcher

    context = review_context(review, clinic)
    footer = f"{context['agency_name']} · {clinic.name}"
    html = render_to_string(
        "crisis/review_export.html",
        {**context, "for_pdf": True, "footer_css": mark_safe(css_string(footer))},  # noqa: S308
    )
    document = weasyprint.HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=["data"]))
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)


def css_string(value: str) -> str:
    """A CSS string literal of `value` that cannot end the string or the style element."""
    out = []
    for char in value:
        if char in '"\\<>&' or ord(char) < 32:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def statement_line(statement: dict, tz=None) -> str:
    """ "Title — published 2026-03-04 10:05 EST (pinned)" or "Title — draft"."""
    if statement.get("published_at"):
        pinned = " (pinned)" if statement.get("pinned") else ""
        when = local(_dt(statement["published_at"]), tz or UTC)
        return f"{statement['title']} — published {when}{pinned}"
    return f"{statement['title']} — {statement.get('status', '').replace('_', ' ')}"
