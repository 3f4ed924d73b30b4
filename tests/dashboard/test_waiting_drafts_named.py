"""Waiting for a reply names whose reply is in progress: the viewer's own draft not submitted
yet says so ("Your draft, not submitted yet"), anyone else's names its writer; and the page
lists the viewer's own unsubmitted drafts first, wherever they are (walk 15, finding 2)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from dashboard.services import clinic_snapshot_refresh
from responses.models import ApprovalStatus, ReplyDraft
from responses.services.workflow import DRAFT_NOT_SUBMITTED
from tests.responses.conftest import OK_TEXT

URL = "/agency/waiting/"


def _row(html: str, clinic, review) -> str:
    row = html[html.index(f'id="awaiting-{clinic.slug}-{review.pk}"') :]
    return row[: row.index("</tr>")]


def test_each_reply_in_progress_names_its_writer_and_the_viewers_own_draft_says_so(
    world, clinic_a, rows, login
):
    # given three waiting reviews: one with the writer's own draft, one with the manager's
    # draft, one with the manager's reply waiting for approval
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    a = rows(clinic_a)
    mine = a.review(hours_ago=30, rating=1, label="negative", text="Mine to answer")
    theirs = a.review(hours_ago=20, rating=1, label="negative", text="Theirs to answer")
    pending = a.review(hours_ago=10, rating=1, label="negative", text="Waits for approval")
    with schema_context(clinic_a.schema_name):
        for review, who, status in (
            (mine, writer, ApprovalStatus.DRAFT),
            (theirs, manager, ApprovalStatus.DRAFT),
            (pending, manager, ApprovalStatus.PENDING_AGENCY),
        ):
            ReplyDraft.objects.create(
                review=review, status=status, author_label=f"user:{who.pk}",
                author_name=who.full_name,
            )  # fmt: skip
    clinic_snapshot_refresh(clinic=clinic_a)

    # when the writer opens the page
    html = login("alpha_writer").get(URL).content.decode()

    # then each says whose it is
    assert '">Your draft, not submitted yet</a>' in _row(html, clinic_a, mine)
    assert '">Draft by Alpha Manager, not submitted yet</a>' in _row(html, clinic_a, theirs)
    assert '">Reply in progress, by Alpha Manager</a>' in _row(html, clinic_a, pending)
    # and the manager reads the writer's draft by its writer's name
    html = login("alpha_manager").get(URL).content.decode()
    assert '">Draft by Alpha Writer, not submitted yet</a>' in _row(html, clinic_a, mine)
    assert '">Your draft, not submitted yet</a>' in _row(html, clinic_a, theirs)


def test_the_page_lists_the_viewers_own_unsubmitted_drafts(clinic_a, login, rows):
    # given a draft the writer started and saved, on a review that needs no reply by the clock
    review = rows(clinic_a).review(hours_ago=2, rating=4, label="positive", text="Kind words")
    writer = login("alpha_writer")
    draft = writer.post(
        "/clinics/clinic-a/api/v1/drafts/",
        {"review_id": review.pk, "text": OK_TEXT},
        content_type="application/json",
    ).json()

    html = writer.get(URL).content.decode()

    section = html[html.index('data-testid="my-drafts"') :]
    section = section[: section.index("</section>")]
    assert "Your drafts, not submitted yet" in section
    assert (
        f'<a href="/clinics/clinic-a/replies/review/{review.pk}/">Clinic A: '
        f"{DRAFT_NOT_SUBMITTED}: a reply to a 4★"
    ) in section
    # submitted, it leaves the list
    writer.post(
        f"/clinics/clinic-a/api/v1/drafts/{draft['id']}/submit/", content_type="application/json"
    )
    assert 'data-testid="my-drafts"' not in writer.get(URL).content.decode()
    # nobody else sees it as theirs
    assert 'data-testid="my-drafts"' not in login("alpha_manager").get(URL).content.decode()
