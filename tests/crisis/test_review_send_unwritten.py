"""The review's "Send to the clinic" box says when the lessons or the prevention steps are not
written yet, and links to where they are written: on a phone that form is a dozen screens below
the send button, and the clinic's copy would say "Not written yet." (walk 1 on phones)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crisis.models import PostCrisisReview
from tests.crisis.conftest import resolved_anyway


def _box(html: str) -> str:
    box = html[html.index('aria-labelledby="send-h"') :]
    return box[: box.index("</section>")]


def test_the_send_box_says_what_is_not_written_yet(
    surge, login, clinic_a, django_capture_on_commit_callbacks
):
    incident, _ = surge
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    writer = login("alpha_writer")
    page = f"/clinics/clinic-a/incidents/{incident.pk}/review/"

    box = _box(writer.get(page).content.decode())
    assert 'data-testid="send-unwritten"' in box
    assert "Lessons and prevention steps are not written yet" in box
    assert 'href="#edit-h"' in box

    # blank lines are not lessons
    writer.post(page, {"lessons": "Parents heard of it before we spoke.", "prevention": "  \n"})
    box = _box(writer.get(page).content.decode())
    assert "Prevention steps are not written yet" in box and "Lessons are" not in box

    writer.post(
        page, {"lessons": "Parents heard of it first.", "prevention": "Post within 30 min."}
    )
    with schema_context(clinic_a.schema_name):
        assert PostCrisisReview.objects.get(incident=incident).prevention == "Post within 30 min."
    assert 'data-testid="send-unwritten"' not in _box(writer.get(page).content.decode())


def test_a_reader_who_may_not_send_is_not_told_to_write_them(
    surge, login, django_capture_on_commit_callbacks
):
    incident, _ = surge
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    html = login("alpha_analyst").get(f"/clinics/clinic-a/incidents/{incident.pk}/review/")
    assert 'data-testid="send-unwritten"' not in html.content.decode()
