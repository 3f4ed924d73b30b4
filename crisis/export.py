"""A post-crisis review as a file: a self-contained HTML page or a PDF (reportlab, rendered
here on the server; its charts are tables of numbers)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from django.template.loader import render_to_string
from django.utils import timezone

from clinics.models import Clinic
from crisis.metrics import LABELS
from crisis.models import PostCrisisReview
from crisis.services import review_metrics_current

WINDOW_NAMES = ("before", "during", "after")
BAR_WIDTH, BAR_STEP = 480, 18  # the HTML export's bar chart (SVG), in pixels


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _when(value: str | datetime | None) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def review_context(review: PostCrisisReview, clinic: Clinic) -> dict:
    """Everything the review page, the HTML export and the PDF show."""
    incident = review.incident
    metrics = review_metrics_current(review)
    share = metrics["answered_share"]
    summary = [
        ("Opened", _when(metrics["opened_at"])),
        ("Time to acknowledge", duration_text(metrics["time_to_acknowledge_seconds"])),
        ("Time to first public reply", duration_text(metrics["time_to_first_reply_seconds"])),
        ("Time to resolve", duration_text(metrics["time_to_resolve_seconds"])),
        (
            "Escalated",
            f"yes, after {duration_text(metrics['escalated_after_seconds'])}"
            if metrics["escalated"]
            else "no",
        ),
        ("Linked mentions", str(metrics["mentions_linked"])),
        (
            "Negative mentions answered",
            f"{metrics['negative_answered']} of {metrics['negative_linked']}"
            + (f" ({share:.0%})" if share is not None else ""),
        ),
    ]
    windows = [
        {
            "name": name,
            **metrics["windows"][name],
            "start_text": _when(metrics["windows"][name]["start"]),
        }
        for name in WINDOW_NAMES
    ]
    series = [{**row, "start_text": _when(row["start"])} for row in metrics["series"]]
    peak = max([sum(row[label] for label in LABELS) for row in series] + [1])
    bars = []
    for index, row in enumerate(series):
        x, segments = 0.0, []
        for label in LABELS:
            width = BAR_WIDTH * row[label] / peak
            if width:
                segments.append({"label": label, "x": round(x, 1), "width": round(width, 1)})
            x += width
        bars.append({"y": index * BAR_STEP, "row": row, "segments": segments})
    return {
        "clinic": clinic,
        "incident": incident,
        "review": review,
        "metrics": metrics,
        "summary": summary,
        "statement_lines": [statement_line(st) for st in metrics.get("statements", [])],
        "windows": windows,
        "series": series,
        "bars": bars,
        "chart_height": len(series) * BAR_STEP,
        "labels": LABELS,
        "window_text": duration_text(metrics["window_seconds"]),
        "events": list(incident.events.all()),
        "generated_at": timezone.now(),
    }


def review_html(review: PostCrisisReview, clinic: Clinic) -> str:
    return render_to_string("crisis/review_export.html", review_context(review, clinic))


def review_pdf(review: PostCrisisReview, clinic: Clinic) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from reportlab.platypus.flowables import KeepTogether

    ctx = review_context(review, clinic)
    incident, metrics = ctx["incident"], ctx["metrics"]
    styles = getSampleStyleSheet()
    body, h1, h2 = styles["BodyText"], styles["Title"], styles["Heading2"]
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)

    def p(text: str, style=body) -> Paragraph:
        escaped = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped.replace("\n", "<br/>"), style)

    def table(rows: list[list], widths=None, header: bool = True) -> Table:
        t = Table([[p(str(c), small) for c in row] for row in rows], colWidths=widths)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eaeef2")))
        t.setStyle(TableStyle(style))
        return t

    story = [
        p(f"Post-crisis review — incident #{incident.pk}", h1),
        p(f"{clinic.name} · {incident.get_kind_display()} · {incident.get_severity_display()}"),
        p(f"Generated {ctx['generated_at']:%Y-%m-%d %H:%M} UTC"),
        Spacer(1, 4 * mm),
        p("What triggered it", h2),
        p(incident.trigger.get("explanation", "")),
        p("How the response went", h2),
        table([["Measure", "Value"], *[[k, v] for k, v in ctx["summary"]]], [70 * mm, 90 * mm]),
        p(f"Volume and sentiment before, during and after ({ctx['window_text']} each)", h2),
        table(
            [
                [
                    "Window",
                    "Start",
                    "Items",
                    "Negative†",
                    "Negative share",
                    "Not scored yet",
                    "Mean score",
                    "Mean rating",
                ],
                *[
                    [
                        w["name"] + ("" if w["complete"] else " (so far)"),
                        w["start_text"],
                        w["volume"],
                        w["negative_all"],
                        "—" if w["negative_share"] is None else f"{w['negative_share']:.0%}",
                        w["unscored"],
                        "—" if w["mean_score"] is None else f"{w['mean_score']:+.2f}",
                        "—" if w["mean_rating"] is None else f"{w['mean_rating']:.1f}",
                    ]
                    for w in ctx["windows"]
                ],
            ]
        ),
        p(
            "† Scored negative, or not scored yet and rated 1–2★ (as the detectors count them).",
            small,
        ),
        Spacer(1, 3 * mm),
        KeepTogether(
            [
                p("Over time", h2),
                table(
                    [
                        ["Window", "From", *LABELS, "Mean score"],
                        *[
                            [
                                row["window"],
                                row["start_text"],
                                *[row[label] for label in LABELS],
                                "—" if row["mean_score"] is None else f"{row['mean_score']:+.2f}",
                            ]
                            for row in ctx["series"]
                        ],
                    ]
                ),
            ]
        ),
        p("Timeline", h2),
        table(
            [
                ["When", "What", "Who", "Details"],
                *[
                    [f"{e.at:%Y-%m-%d %H:%M}", e.get_kind_display(), e.actor, e.message]
                    for e in ctx["events"]
                ],
            ],
            [28 * mm, 28 * mm, 32 * mm, 82 * mm],
        ),
        p("Statements", h2),
        p("\n".join(statement_line(s) for s in metrics["statements"]) or "None drafted."),
        p("Lessons", h2),
        p(review.lessons or "Not written yet."),
        p("Prevention steps", h2),
        p(review.prevention or "Not written yet."),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Post-crisis review — incident #{incident.pk}",
        author="Carewatch",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
    ).build(story)
    return buffer.getvalue()


def statement_line(statement: dict) -> str:
    """ "Title — published 3 Dec 2026 14:05 UTC (pinned)" or "Title — draft"."""
    if statement.get("published_at"):
        pinned = " (pinned)" if statement.get("pinned") else ""
        return f"{statement['title']} — published {_when(statement['published_at'])}{pinned}"
    return f"{statement['title']} — {statement.get('status', '').replace('_', ' ')}"
