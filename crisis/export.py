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
from core.days import zone_words
from core.pdf import html_pdf
from core.text import duration_said
from crisis.charts import (
    DAY,
    as_data_uri,
    chart_alt,
    chart_picture,
    rate_unit,
    rate_words,
    sentiment_chart,
    too_early_for_a_rate,
    volume_chart,
)
from crisis.metrics import LABELS, NOT_YET, WINDOW_NAMES
from crisis.models import PostCrisisReview
from crisis.room import incident_words, local
from crisis.services import review_metrics_current
from crisis.timeline import review_timeline

WINDOW_TITLES = {"before": "Before", "during": "During", "after": "After"}
STATE_WORDS = {"complete": "complete", "in_progress": "so far", "not_yet": "not yet"}


def duration_text(seconds: int | None, *, missing: str = "—") -> str:
    """A span of time in the client's document, in words as the alerts say it ("70 minutes",
    "about 5.5 hours", "7 days"; core.text.duration_said)."""
    if seconds is None:
        return missing
    return duration_said(seconds / 60)


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


def _sentiment_text(window: dict, usual: str = "") -> str:
    """ "-0.36: 21 items in 81 minutes (about 16 an hour; usually about 1 a day), 86%
    negative": a window's mean score, its items, their rate in the unit that suits its length
    (`crisis.charts.rate_words`: an hour below a day) and, for the crisis and after it,
    `usual`: the rate before it."""
    if window["state"] == NOT_YET:
        return "not yet"
    days = _days_text(window.get("days"))
    if not window["volume"]:
        return f"no items in {days}" if days else "no items"
    score = "no score" if window["mean_score"] is None else signed_2(window["mean_score"])
    volume = window["volume"]
    said = f"{volume} item{'s' if volume != 1 else ''}" + (f" in {days}" if days else "")
    if window["state"] == "in_progress":
        said += " so far"
    rated = window.get("per_day") is not None and not too_early_for_a_rate(window)
    rates = [rate_words(volume, window.get("days"))] if rated else []
    rates += [f"usually {usual}"] if usual else []
    if left_out := window.get("other_incidents_left_out"):
        # "before" leaves another incident's mentions out: the clinic's usual is no crisis
        rates.append(f"leaving out {_mentions(left_out)} of another incident")
    if rates := [r for r in rates if r]:
        said += f" ({'; '.join(rates)})"
    negative = (
        "" if window["negative_share"] is None else f", {window['negative_share']:.0%} negative"
    )
    return f"{score}: {said}{negative}"


def history_note(before: dict, tz) -> str:
    """What the "before" window stands on when the clinic's history starts inside the week
    before: "; the clinic's history starts on 3 Dec 2026 14:05 EST, so its usual is from the
    days since" (none before the crisis: "nothing before the crisis to compare with")."""
    if not before.get("history_from") or before.get("state") == NOT_YET:
        return ""
    start = _dt(before["history_from"])
    if before.get("end") and start >= _dt(before["end"]):
        return (
            f"; the clinic's history starts with the crisis ({local(start, tz)}): nothing "
            "before it to compare with"
        )
    return (
        f"; the clinic's history starts on {local(start, tz)}, so its usual is from the days since"
    )


def usual_rate(windows: dict) -> str:
    """The clinic's usual rate: the "before" window's, a day ("about 1 a day", "none")."""
    before = windows.get("before") or {}
    if before.get("state") == NOT_YET or before.get("per_day") is None:
        return ""
    if not before.get("volume"):
        return "none"
    return rate_words(before["volume"], before.get("days"), DAY)


BEFORE_ALERT = "before the alert: it was already public when the alert was raised"


def _after_alert(seconds: int | None, *, before: bool = False) -> str:
    """ "4 minutes after the alert"; `before`: what was public before the alert, whose time
    from it is kept as 0 (never "0 minutes after the alert")."""
    if before:
        return BEFORE_ALERT
    return f"{duration_text(seconds)} after the alert"


def first_response_text(m: dict, tz) -> str:
    """What counted as the first public response, and when: "4 min after the alert: the
    statement “…”, published 2026-12-04 23:12 PST"."""
    first = m.get("first_public_response")
    seconds = m["time_to_first_public_response_seconds"]
    if seconds is None:
        return "none: no statement was published and no mention was replied to in public"
    before = bool(
        m.get("first_reply_before_alert")
        if first and first["kind"] != "statement"
        else m.get("first_statement_before_alert")
    )
    if not first:  # figures frozen before the review said what counted
        return _after_alert(seconds)
    when = local(_dt(first["at"]), tz)
    what = (
        f"the statement “{first['title']}”"
        if first["kind"] == "statement"
        else "a public reply to a mention"
    )
    return f"{_after_alert(seconds, before=before)}: {what}, published {when}"


def _days_text(days: float | None) -> str:
    if days is None:
        return ""
    return duration_text(round(days * 86400))


def _mentions(n: int) -> str:
    return f"{n:,} mention{'s' if n != 1 else ''}"


def _by_status(counts: dict) -> str:
    return ", ".join(f"{v} {k.lower()}" for k, v in counts.items() if k != "total" and v)


def replies_waiting_text(m: dict, *, for_clinic: bool = True) -> str:
    """The linked mentions not answered in public, by where their reply stands. The clinic
    reads a reply not approved yet as "a draft at the agency": nothing waits for it (a reply
    that waits for the clinic's approval is in its portal's Replies tab)."""
    waiting = m.get("replies_waiting")
    if waiting is None:  # figures frozen before they were counted
        return "—"
    parts = []
    if waiting["approved"]:
        parts.append(
            f"{_mentions(waiting['approved'])} with an approved reply waiting to be posted (for "
            "its channel to be connected, or to be posted by hand)"
        )
    if waiting["in_approval"]:
        parts.append(
            f"{_mentions(waiting['in_approval'])} with a draft at the agency"
            if for_clinic
            else f"{_mentions(waiting['in_approval'])} with a reply not approved yet"
        )
    if waiting["none"]:
        parts.append(f"{_mentions(waiting['none'])} with no reply")
    return "; ".join(parts) or "none: every mention was answered in public"


def publishing_text(m: dict, *, for_clinic: bool = False) -> str:
    """What failed to post, by its first reason, and how it ended (`publishing_troubles`). The
    clinic's copy leaves the reasons out, as its timeline does (the agency's plumbing)."""
    p = m.get("publishing")
    if p is None:  # figures frozen before they were counted
        return "—"
    if not p["writes"]:
        return "none: nothing was sent to a platform"
    if not p["failed"]:
        return (
            f"none: no reply or statement failed to post ({p['reached']} of {p['writes']} posted)"
        )
    reasons = ", ".join(f"{label.lower()}: {n}" for label, n in p["reasons"].items())
    parts = [
        f"{p['failed']} of {p['writes']} failed to post" + ("" if for_clinic else f" ({reasons})")
    ]
    if p["posted_later"]:
        parts.append(
            f"{p['posted_later']} posted later"
            + (
                f", the longest {duration_text(p['longest_wait_seconds'])} after it failed"
                if p["longest_wait_seconds"] is not None
                else ""
            )
        )
    if p["still_failed"]:
        parts.append(f"{p['still_failed']} still not posted")
    if p["still_waiting"]:
        parts.append(f"{p['still_waiting']} being retried or waiting to be posted by hand")
    if p["cancelled"]:
        parts.append(f"{p['cancelled']} cancelled")
    return "; ".join(parts)


def channels_down_text(m: dict, tz, *, for_clinic: bool = False) -> str:
    """The channels that stopped delivering during the crisis (`channels_down_during`): for
    how long of it, from when to when, and why (the agency's copy; the clinic's says only
    that its reviews and mentions did not arrive, as its timeline does)."""
    rows = m.get("channels_down")
    if rows is None:  # figures frozen before they were counted
        return "—"
    if not rows:
        return "none: every channel delivered throughout"
    parts = []
    for row in rows:
        down = duration_text(row["down_seconds"])
        back = (
            f"back {local(_dt(row['ended_at']), tz)}"
            if row["ended_at"]
            else "not back when these figures were counted"
        )
        if for_clinic:
            parts.append(
                f"{row['source']}: new reviews and mentions did not arrive for {down} of the "
                f"crisis ({back})"
            )
            continue
        why = row["kind_label"].lower() + (f" by {row['started_by']}" if row["started_by"] else "")
        came = (
            f"; {_mentions(row['mentions'])} of the incident came from it"
            if row["mentions"]
            else ""
        )
        parts.append(
            f"{row['source']} ({row['platform']}): down {down} of the crisis, {why}; stopped "
            f"{local(_dt(row['started_at']), tz)}, {back}{came}"
        )
    return "; ".join(parts)


def _flagged_only(m: dict) -> str:
    n = m.get("false_claims_flagged_only") or 0
    return (
        f"; {_mentions(n)} the claim checker flagged {'is' if n == 1 else 'are'} not counted"
        if n
        else ""
    )


def false_claims_text(m: dict) -> str:
    """The reach of the false claims, and what was counted as one: the claims the agency
    answered as false (a correction citing the fact sheet, or the statement), never the claim
    checker's flag alone (a complaint it matched against a myth is no false claim)."""
    claims = m["false_claims"]
    established = m.get("false_claims_basis") == "established"
    if not claims:
        if established:
            return f"none: no claim was answered as false{_flagged_only(m)}"
        return "no false claims flagged"
    clusters = m.get("false_claim_clusters") or 0
    if established:
        what = _mentions(claims) + (
            f" of {clusters} claim{'s' if clusters != 1 else ''}" if clusters else ""
        )
        return (
            f"{m['false_claims_reach']:,} likes, shares and replies across {what} answered as "
            f"false{_flagged_only(m)}"
        )
    what = (
        f"{_mentions(claims)} repeating {clusters} false claim{'s' if clusters != 1 else ''}"
        if clusters
        else f"{_mentions(claims)} flagged as false claims"
    )
    return f"{m['false_claims_reach']:,} likes, shares and replies across {what}"


def correction_text(m: dict) -> str:
    """The reach of the correction: the false claims answered in public with it (a reply of
    a batch that corrects the claim or points to the statement, or a reply quoting the fact
    sheet or linking to the public statement); an apology or any other reply is not a
    correction."""
    claims = m["false_claims"]
    if not claims:
        return "—"
    said = (
        f"{m['correction_reach']:,}{_share(m['correction_reach_share'])}: "
        f"{m['false_claims_corrected']} of {_mentions(claims)}"
    )
    if m.get("false_claims_basis") == "established":
        return f"{said} answered in public with the correction"
    return f"{said} answered in public"


AT_RESOLVE = "not acknowledged before it was resolved"


def acknowledged_by_resolving(m: dict) -> bool:
    """Nobody acknowledged the incident before it was resolved: resolving it set the
    acknowledgement (`incident_status_set` acknowledges on the first step past open), so the
    time to it is the time to resolve."""
    ack, resolved = m.get("acknowledged_at"), m.get("resolved_at")
    return bool(ack and resolved and _dt(ack) >= _dt(resolved))


def acknowledge_text(m: dict) -> str:
    if acknowledged_by_resolving(m):
        return AT_RESOLVE
    if m["time_to_acknowledge_seconds"] is None:
        return "not acknowledged"
    return _after_alert(m["time_to_acknowledge_seconds"])


def follow_ups_text(m: dict) -> str:
    """The private follow-ups with the incident's mentions, and those started during the
    crisis with a mention of that time that the alert did not link."""
    linked, other = m["private_follow_ups"], m.get("private_follow_ups_other") or {}
    parts = []
    if linked.get("total"):
        parts.append(f"{linked['total']} with the incident's mentions ({_by_status(linked)})")
    if other.get("total"):
        parts.append(
            f"{other['total']} started during the crisis with "
            f"{'a mention' if other['total'] == 1 else 'mentions'} of that time not linked to "
            f"the incident ({_by_status(other)})"
        )
    return "; ".join(parts) or "none"


def review_figures(metrics: dict, tz, *, for_clinic: bool = True) -> list[tuple[str, str, str]]:
    """(key, label, value) of the figures a client asks for, in the order the summary shows
    them. Labels are stable: tests and readers find them by name."""
    m = metrics
    resolved = m.get("resolved", m.get("resolved_at") is not None)
    figures = [
        ("onset", "Crisis began", f"{local(_dt(m['onset_at']), tz)} ({m['onset_from']})"),
        ("detected", "Alert raised", local(_dt(m["opened_at"]), tz)),
        ("resolved", "Resolved", local(_dt(m["resolved_at"]), tz) if resolved else "not yet"),
        (
            "time_to_detect",
            "Time to detect",
            f"{duration_text(m['time_to_detect_seconds'])}, from when the crisis began "
            "to the alert",
        ),
        (
            "time_to_acknowledge",
            "Time to acknowledge",
            acknowledge_text(m),
        ),
        (
            "time_to_first_public_response",
            "First public response (statement or reply, whichever came first)",
            first_response_text(m, tz),
        ),
        (
            "time_to_statement",
            "First statement published",
            _after_alert(
                m["time_to_statement_seconds"], before=m.get("first_statement_before_alert", False)
            )
            if m["time_to_statement_seconds"] is not None
            else "no statement published",
        ),
        (
            "time_to_first_reply",
            "First public reply to a mention",
            _after_alert(
                m["time_to_first_reply_seconds"], before=m.get("first_reply_before_alert", False)
            )
            if m["time_to_first_reply_seconds"] is not None
            else "none: no mention was replied to in public",
        ),
        (
            "time_to_resolve",
            "Time to resolve",
            _after_alert(m["time_to_resolve_seconds"])
            if m["time_to_resolve_seconds"] is not None
            else "not yet",
        ),
        (
            "mentions_answered",
            "Mentions answered in public",
            f"{m['mentions_answered']} of {m['mentions_linked']}"
            + _share(m["mentions_answered_share"]),
        ),
        (
            "replies_waiting",
            "Replies not posted yet",
            replies_waiting_text(m, for_clinic=for_clinic),
        ),
        ("publishing", "Posting problems", publishing_text(m, for_clinic=for_clinic)),
        ("channels_down", "Channels down", channels_down_text(m, tz, for_clinic=for_clinic)),
        (
            "negative_answered",
            "Negative mentions answered in public",
            f"{m['negative_answered']} of {m['negative_linked']}" + _share(m["answered_share"]),
        ),
        *[
            (
                f"sentiment_{name}",
                f"Sentiment {name}",
                _sentiment_text(
                    m["windows"][name], usual_rate(m["windows"]) if name != "before" else ""
                )
                + (history_note(m["windows"][name], tz) if name == "before" else ""),
            )
            for name in WINDOW_NAMES
        ],
        (
            "false_claims_reach",
            "Reach of the false claims",
            false_claims_text(m),
        ),
        (
            "correction_reach",
            "Reach of the correction",
            correction_text(m),
        ),
        ("statements_published", "Statements published", str(m["statements_published"])),
        ("private_follow_ups", "Private follow-ups", follow_ups_text(m)),
        (
            "escalated",
            "Escalated",
            f"yes, after {duration_text(m['escalated_after_seconds'])}" if m["escalated"] else "no",
        ),
    ]
    if m.get("resolve_reason"):
        figures.append(("resolved_anyway", "Resolved anyway", m["resolve_reason"]))
    return figures


def trigger_text(incident, tz, clinic: Clinic) -> str:
    """What set the alert off, in words a clinic owner reads (the statistics stay in the
    agency's room): the sentence the alerts and the portal say (crisis.room.incident_words)."""
    return incident_words(incident, tz, clinic_name=clinic.name)


NOTHING_HELD = "none of it yet"


def _held_text(after: dict) -> str:
    """How much of the "after" period the figures hold: "only its first 90 minutes", or
    "none of it yet" when it had just begun (never "its first 0 hours")."""
    days = after.get("days")
    if not days or days * 24 * 60 < 1:
        return NOTHING_HELD
    held = _days_text(days)
    return "only its first minute" if held == "1 minute" else f"only its first {held}"


def after_note(metrics: dict, review: PostCrisisReview, tz) -> str:
    """Said plainly when the "after" period had not ended when these figures were taken."""
    after = metrics["windows"]["after"]
    if after.get("state") != "in_progress" or not after.get("full_end"):
        return ""
    ends = local(_dt(after["full_end"]), tz)
    held = _held_text(after)
    if review.metrics_frozen_at is not None:
        return (
            f"The “after” period runs until {ends}. These figures were taken on "
            f"{local(review.metrics_frozen_at, tz)}, when the review was sent, so they hold "
            f"{held}."
        )
    if held == NOTHING_HELD:
        return f"The “after” period runs until {ends}: it has only just begun."
    return f"The “after” period runs until {ends}: so far it holds {held.removeprefix('only ')}."


def send_advice(metrics: dict, review: PostCrisisReview, tz, *, now=None) -> str:
    """For the agency, beside "Send to the clinic": when the "after" period ends, and what
    sending before then means (the figures are frozen when the review is first sent)."""
    after = metrics["windows"]["after"]
    if after.get("state") != "in_progress" or not after.get("full_end"):
        return ""
    ends = local(_dt(after["full_end"]), tz)
    if review.metrics_frozen_at is None:
        return (
            f"The “after” period ends {ends}. The figures are frozen when the review is first "
            f"sent: sent now, they hold {_held_text(after)} and say so; sent "
            f"after {ends}, they hold the whole period. Sending again once it has ended takes "
            "the figures anew."
        )
    if _dt(after["full_end"]) <= (now or timezone.now()):
        return f"The “after” period ended {ends}: send again to give the clinic its whole figures."
    return (
        f"The figures were taken before the “after” period ended; send again after {ends} "
        "to give the clinic the whole period."
    )


_UNIT_WORDS = {"hour": "items an hour", "day": "items a day"}


def volume_caption(units: dict[str, str]) -> str:
    """What the volume chart's scales are: "Items by sentiment, each period on its own scale
    (before and after: items a day; during: items an hour)"."""
    by_unit: dict[str, list[str]] = {}
    for name in WINDOW_NAMES:
        if units.get(name):
            by_unit.setdefault(units[name], []).append(name)
    if not by_unit:
        return "Volume per period, by sentiment"
    said = "; ".join(
        f"{' and '.join(names)}: {_UNIT_WORDS[unit]}" for unit, names in by_unit.items()
    )
    return f"Items by sentiment, each period on its own scale ({said})"


def review_context(
    review: PostCrisisReview,
    clinic: Clinic,
    *,
    now: datetime | None = None,
    for_clinic: bool = True,
) -> dict:
    """Everything the review page, the portal page, the HTML export and the PDF show: one
    context, so their figures, rates and charts are the same. `for_clinic` False: the
    agency's own page, whose timeline keeps the agency's drafts the clinic never saw, marked
    internal (the clinic's copy, the exports and the portal leave them out)."""
    incident = review.incident
    metrics = review_metrics_current(review)
    tz = clinic_zone(clinic)
    agency = clinic.agency
    palette = brand_palette(agency.primary_colour)
    brand_colour = palette["brand_text"]
    windows, units = [], {}
    for name in WINDOW_NAMES:
        w = metrics["windows"][name]
        # the rate in the unit that suits the window (an hour below a day), as the summary
        # and the chart say it
        units[name] = (
            rate_unit(w.get("days"))
            if w.get("per_day") is not None and not too_early_for_a_rate(w)
            else ""
        )
        windows.append(
            {
                "name": name,
                "title": WINDOW_TITLES[name],
                "state_text": STATE_WORDS.get(w.get("state"), ""),
                "start_text": local(_dt(w["start"]), tz) or "—",
                "length_text": _days_text(w.get("days")) or "—",
                "end_text": local(_dt(w["end"]), tz) or "—",
                "rate_text": rate_words(w.get("volume"), w.get("days"), units[name]) or "—",
                **w,
            }
        )
    series = [
        {
            **row,
            "start_text": local(_dt(row["start"]), tz),
            "title": WINDOW_TITLES[row["window"]],
            "rate_text": rate_words(row.get("volume"), row.get("days"), units[row["window"]])
            or "—",
        }
        for row in metrics["series"]
    ]
    timeline = [
        {**line, "at_text": local(_dt(line["at"]), tz)}
        for line in review_timeline(incident, clinic, for_client=True, with_internal=not for_clinic)
    ]
    figures = review_figures(metrics, tz, for_clinic=for_clinic)
    volume_svg = volume_chart(metrics, brand_colour, tz)
    sentiment_svg = sentiment_chart(metrics, brand_colour, tz)
    # what a phone shows instead (the pages' <picture>): drawn for its width, text kept readable
    volume_narrow = volume_chart(metrics, brand_colour, tz, narrow=True)
    sentiment_narrow = sentiment_chart(metrics, brand_colour, tz, narrow=True)
    # the clinic's copy (its page, the HTML file, the PDF) was prepared when it was sent: one
    # time on each, however many minutes apart they are opened
    prepared = review.sent_at if for_clinic and review.sent_at else None
    generated = timezone.localtime(prepared or now or timezone.now(), tz)
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
        "before_text": duration_text(metrics.get("before_seconds", metrics["window_seconds"])),
        "after_text": duration_text(metrics.get("after_seconds") or metrics["window_seconds"]),
        "per_day_windows": "before_seconds" in metrics,
        "rate_units": units,
        "volume_caption": volume_caption(units),
        "for_clinic": for_clinic,
        "internal_lines": sum(1 for line in timeline if line["visibility"] == "internal"),
        "after_note": after_note(metrics, review, tz),
        "send_advice": send_advice(metrics, review, tz, now=now),
        "trigger_text": trigger_text(incident, tz, clinic),
        "timeline": timeline,
        "statement_lines": [
            statement_line(st, tz)
            for st in metrics.get("statements", [])
            if not (for_clinic and st.get("agency_draft_only"))
        ],
        "volume_svg": volume_svg,
        "sentiment_svg": sentiment_svg,
        "volume_uri": as_data_uri(volume_svg),
        "sentiment_uri": as_data_uri(sentiment_svg),
        "volume_alt": chart_alt(volume_svg),
        "sentiment_alt": chart_alt(sentiment_svg),
        "volume_narrow": chart_picture(volume_narrow),
        "sentiment_narrow": chart_picture(sentiment_narrow),
        "timezone": zone_words(tz, incident.opened_at),
        "generated_text": generated.strftime("%Y-%m-%d %H:%M %Z"),
        "frozen_text": local(review.metrics_frozen_at, tz),
        "opened_text": local(incident.opened_at, tz),
    }


def review_html(review: PostCrisisReview, clinic: Clinic) -> str:
    return render_to_string("crisis/review_export.html", review_context(review, clinic))


def review_pdf(review: PostCrisisReview, clinic: Clinic) -> bytes:
    """The export as a tagged PDF (`core.pdf.html_pdf`), its footer naming the agency and
    the clinic on every page."""
    context = review_context(review, clinic)
    footer = f"{context['agency_name']} · {clinic.name}"
    html = render_to_string(
        "crisis/review_export.html",
        {**context, "for_pdf": True, "footer_css": mark_safe(css_string(footer))},  # noqa: S308
    )
    return html_pdf(html)


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
    """ "Title — published 2026-03-04 10:05 EST (on the public page; pinned on Facebook page)"
    or "Title — draft". "Pinned" only for the channels that confirmed it."""
    if statement.get("published_at"):
        when = local(_dt(statement["published_at"]), tz or UTC)
        pinned_on = statement.get("pinned_on") or []
        if "on_public_page" not in statement:  # figures frozen before channels were told apart
            where = " (on the public page)" if statement.get("pinned") else ""
        elif statement["on_public_page"]:
            where = (
                f" (on the public page; pinned on {_joined(pinned_on)})"
                if pinned_on
                else " (on the public page; no channel has pinned it)"
            )
        else:
            where = " (taken down from the public page)"
        return f"{statement['title']} — published {when}{where}"
    return f"{statement['title']} — {statement.get('status', '').replace('_', ' ')}"


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
