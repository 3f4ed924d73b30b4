"""Small words of the post-crisis review and the incident room (walk 11, #13): sent right after
the resolution, the review holds "none" of the "after" period (not "its first 0 hours"); the
document says its figures are frozen when it is first sent, as they are; in the PDF "The
numbers behind the charts" stays with its table (never alone at a page's foot); the room says
who confirms the facts waiting on the fact sheet, as the fact sheet does."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django_tenants.utils import schema_context

from crisis.export import css_string, review_context, review_html
from crisis.models import Incident, IncidentMention, PostCrisisReview
from crisis.services import review_send
from facts.models import Fact
from tests.crisis.conftest import HOUR, NOW, acting, resolved_anyway
from tests.responses.test_batches import _claim

SECONDS = timezone.timedelta(seconds=1)


def test_sent_right_after_the_resolution_the_review_holds_none_of_the_after_period(
    surge, in_utc, monkeypatch, django_capture_on_commit_callbacks
):
    # given a surge resolved at 19:00, its review read ten seconds later
    incident, _ = surge
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + 4 * HOUR + 10 * SECONDS)
    draft = PostCrisisReview.objects.get(incident=incident)
    # then the advice beside "Send" says what sending now holds, and when figures freeze
    advice = review_context(draft, in_utc)["send_advice"]
    assert advice == (
        "The “after” period ends 2026-03-05 19:00 UTC. The figures are frozen when the review "
        "is first sent: sent now, they hold none of it yet and say so; sent "
        "after 2026-03-05 19:00 UTC, they hold the whole period. Sending again once it has "
        "ended takes the figures anew."
    )
    assert "0 hours" not in advice
    # and once sent, the document says so plainly
    with django_capture_on_commit_callbacks(execute=False):
        review = review_send(incident_id=incident.pk, clinic=in_utc, actor=acting("Alpha Writer"))
    note = review_context(review, in_utc)["after_note"]
    assert note == (
        "The “after” period runs until 2026-03-05 19:00 UTC. These figures were taken on "
        "2026-03-04 19:00 UTC, when the review was sent, so they hold none of it yet."
    )


def test_the_document_says_its_figures_are_frozen_when_first_sent_as_they_are(
    surge, in_utc, login, django_capture_on_commit_callbacks
):
    incident, _ = surge
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    review = PostCrisisReview.objects.get(incident=incident)
    # before it is sent: as of now, frozen when first sent (not "when marked reviewed")
    html = review_html(review, in_utc)
    assert (
        "figures as of now: they are frozen when the review is first sent to the clinic (or "
        "when the incident is marked reviewed, if that comes first)."
    ) in html
    staff = login("alpha_writer").get(f"/clinics/clinic-a/incidents/{incident.pk}/review/")
    assert "Its figures are frozen when it is first sent." in staff.content.decode()
    # and sending it does freeze them then
    with django_capture_on_commit_callbacks(execute=False), schema_context(in_utc.schema_name):
        sent = review_send(incident_id=incident.pk, clinic=in_utc, actor=acting("Alpha Writer"))
        html = review_html(sent, in_utc)
    assert sent.metrics_frozen_at == sent.sent_at
    assert f"figures frozen {timezone.localtime(sent.sent_at, UTC):%Y-%m-%d %H:%M} UTC" in html


POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo")


def _pages(pdf) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    count = int(info.stdout.split("Pages:")[1].split()[0])
    return [
        " ".join(
            subprocess.run(
                ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
        )
        for n in range(1, count + 1)
    ]


@pytest.mark.skipif(not POPPLER, reason="poppler-utils missing")
def test_the_numbers_behind_the_charts_stay_with_their_table_on_one_page_of_the_pdf(
    surge, in_utc, tmp_path, django_capture_on_commit_callbacks
):
    import weasyprint

    incident, _ = surge
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    context = review_context(PostCrisisReview.objects.get(incident=incident), in_utc)
    rows = [row["start_text"] for row in context["series"]]
    # wherever the page breaks fall (the text above the charts pushes the table down a line
    # at a time), the heading, the table's header and every row share one page
    for lines in range(0, 25, 4):
        html = render_to_string(
            "crisis/review_export.html",
            {
                **context,
                "for_pdf": True,
                "footer_css": mark_safe(css_string("Footer")),  # noqa: S308
                "after_note": "Padding that pushes the numbers down the page. " * 3 * lines,
            },
        )
        pdf = tmp_path / f"review-{lines}.pdf"
        pdf.write_bytes(weasyprint.HTML(string=html).write_pdf())
        [page] = [p for p in _pages(pdf) if "The numbers behind the charts" in p]
        said = page[page.index("The numbers behind the charts") :]
        assert "Window From Negative Neutral Positive Unscored" in said, lines
        assert all(start in said for start in rows), lines


def test_the_room_says_who_confirms_the_facts_waiting_as_the_fact_sheet_does(clinic_a, login):
    # given a claim in an incident and no fact citable: its fact and one more are drafts,
    # one of them asked of the clinic
    cluster_id, review_ids = _claim(clinic_a, 2)
    with schema_context(clinic_a.schema_name):
        Fact.objects.filter(slug="single-use-needles").update(
            status="draft", clinic_review="waiting", clinic_asked_at=timezone.now()
        )
        Fact.objects.create(slug="hours", title="Hours", statement="Open 8 to 6.", status="draft")
        incident = Incident.objects.create(
            kind="misinformation", title="Needles", severity="high", trigger={},
            opened_at=timezone.now(), last_detected_at=timezone.now(),
        )  # fmt: skip
        IncidentMention.objects.bulk_create(
            [
                IncidentMention(incident=incident, review_id=pk, added_at=timezone.now())
                for pk in review_ids
            ]
        )
        waiting = Fact.objects.filter(is_active=True, status="draft").count()
    writer = login("alpha_writer")
    room = writer.get(f"/clinics/clinic-a/incidents/{incident.pk}/").content.decode()
    hint = room[room.index('data-testid="answer-hint"') :]
    hint = " ".join(hint[: hint.index("</p>")].split())
    # then it does not say a manager confirms them: the clinic attests its medical facts
    assert "by a manager" not in hint
    assert (
        f"{waiting} facts wait on the fact sheet to be confirmed before a reply may cite them "
        "(1 asked of the clinic and waiting for it)."
    ) in hint
    said = "The clinic attests its own medical and safety facts: ask it, and its approvers "
    said += "confirm each one in their portal"
    assert said in hint
    sheet = writer.get("/clinics/clinic-a/facts/").content.decode()
    assert said in " ".join(sheet.split())
