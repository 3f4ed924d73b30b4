"""A mention of a batch edited on its platform after the batch's reply to it was written (walk
21: a reply written alone said so and told its writer; a batch's reply said nothing anywhere,
and the batch went out answering words its mention no longer said). The batch's page marks the
mention and says how many changed; the batch's writer is told once per version of the reply,
led to the mention's row. `responses.services.review_edits`."""

from __future__ import annotations

from clinics.models import Notification
from tests.feeds.test_ingest_api import item, post
from tests.responses.conftest import OK_TEXT

ANGRY = "Rude front desk, waited an hour, never again."
CALMER = "Front desk was busy, but the doctor was lovely. Better than I first said."


def _pushed(api, text: str, rating: int, external_id: str) -> int:
    body = item(external_id=external_id, text=text, rating=rating, author="Emerson C.")
    response = post(api("key_a"), body)
    assert response.status_code == 200, response.content
    return response.json()["results"][0]["id"]


def _told(world) -> list[Notification]:
    return list(
        Notification.objects.filter(user=world.users["alpha_writer"], kind="review_changed")
    )


def test_a_batch_mention_edited_after_its_reply_is_marked_and_the_batch_writer_told_once(
    api, as_user, login, clinic_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    # given one reply for two 1★ mentions, submitted by alpha_writer
    first = _pushed(api, ANGRY, 1, "g-batch-1")
    second = _pushed(api, "Waited an hour. Rude.", 1, "g-batch-2")
    writer = as_user("alpha_writer", clinic_a)
    created = writer.post(
        "reply-batches/", {"review_ids": [first, second], "kind": "reply", "text": OK_TEXT}
    )
    assert created.status_code == 201, created.json()
    bid = created.json()["id"]
    assert writer.post(f"reply-batches/{bid}/submit/").status_code == 200
    page = f"/clinics/{clinic_a.slug}/replies/batches/{bid}/"
    html = login("alpha_manager").get(page).content.decode()
    assert 'data-testid="review-changed"' not in html
    assert 'data-testid="batch-reviews-changed"' not in html

    # when the first mention's author edits it to 4★ with new words
    with django_capture_on_commit_callbacks(execute=True):
        _pushed(api, CALMER, 4, "g-batch-1")

    # then the batch's page says so above the mentions and in that mention's row only
    html = login("alpha_manager").get(page).content.decode()
    summary = html[html.index('data-testid="batch-reviews-changed"') :]
    summary = summary[: summary.index("</p>")]
    assert "1 mention changed after its reply was written" in summary
    assert f'href="#item-{first}"' in summary
    row = html[html.index(f'<tr id="item-{first}"') :]
    row = row[: row.index("</tr>")]
    assert "The review was changed after this reply was written: it now says" in row
    assert "(was 1★, now 4★)" in row
    assert "change the text, or take this mention out" in row
    other = html[html.index(f'<tr id="item-{second}"') :]
    assert 'data-testid="review-changed"' not in other[: other.index("</tr>")]
    # the writer is told once, for information, led to the mention's row
    [notice] = _told(world)
    assert notice.title == (
        "A mention your batch reply answers was changed after you wrote it (now 4★, was 1★)"
    )
    [mail] = [m for m in mailoutbox if "batch reply answers was changed" in m.subject]
    assert mail.to == ["writer@alpha.test"]
    assert "Emerson C. on Google Business Profile (“" in mail.body
    assert "the review was changed after this reply was written: it now says" in mail.body
    assert "change the batch's text or take the mention out" in mail.body
    assert (notice.open, notice.waits, notice.url) == (False, False, f"{page}#item-{first}")

    # when it is edited again: nobody is told twice about the same version
    _pushed(api, CALMER + " Thanks.", 5, "g-batch-1")
    assert len(_told(world)) == 1

    # and a new version of the batch (new text for every mention) clears the mark: the new
    # reply was written for what the mention says now
    edited = writer.patch(
        f"reply-batches/{bid}/",
        {"text": OK_TEXT + " Thank you again.", "expected_version": 1},
    )
    assert edited.status_code == 200, edited.json()
    html = login("alpha_manager").get(page).content.decode()
    assert 'data-testid="batch-reviews-changed"' not in html
