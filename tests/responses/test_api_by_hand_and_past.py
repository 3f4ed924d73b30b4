"""The replies API says what the editor and the approval pages show: where a reply goes once
approved, and whether a person posts it by hand there (the platform takes no replies from
Carewatch, or the agency posts on that channel by hand); and whether the review it answers
is a past one imported as history (no reply clock). The sources API says which channels the
agency posts on by hand. Read-only: a write that sends one is refused and changes nothing."""

from __future__ import annotations

from django_tenants.utils import schema_context

from feeds.models import Review, Source
from tests.responses.conftest import OK_TEXT, review_in

BY_HAND_REASON = (
    "Google Business Profile replies are posted by hand here: copy the reply, post it, then mark "
    "it posted."
)


def _draft(as_user, clinic, review) -> dict:
    made = as_user("alpha_writer", clinic).post(
        "drafts/", {"review_id": review.pk, "text": OK_TEXT}
    )
    assert made.status_code == 201, made.json()
    return made.json()


def test_a_reply_says_where_it_goes_and_that_a_person_posts_it_by_hand_there(
    platforms, clinic_a, as_user, login
):
    # given a reply on a connected Google channel, and one on Yelp (which takes no replies)
    google = _draft(as_user, clinic_a, review_in(clinic_a, fake=platforms))
    yelp = _draft(as_user, clinic_a, review_in(clinic_a, "yelp"))
    writer = as_user("alpha_writer", clinic_a)

    # then each says its channel, and whether Carewatch posts it there
    channel = writer.get(f"drafts/{google['id']}/").json()["channel"]
    with schema_context(clinic_a.schema_name):
        source = Source.objects.get(kind="google")
    assert channel == {
        "source_id": source.pk,
        "source_name": "google source",
        "source_kind": "google",
        "replies_by_hand": False,
        "by_hand": False,
        "connected": True,
        "problem": "",
    }
    on_yelp = writer.get(f"drafts/{yelp['id']}/").json()["channel"]
    assert (on_yelp["by_hand"], on_yelp["replies_by_hand"], on_yelp["connected"]) == (
        True, False, False,
    )  # fmt: skip
    assert on_yelp["problem"].startswith("Yelp Fusion is read-only")

    # when the agency marks the Google channel "we post replies on this channel by hand"
    answer = login("alpha_manager").post(
        f"/clinics/{clinic_a.slug}/sources/",
        {"action": "replies_by_hand", "source": source.pk, "by_hand": "on"},
    )
    assert answer.status_code == 302

    # then its reply says it goes to be posted by hand, and why, as the editor's page says
    channel = writer.get(f"drafts/{google['id']}/").json()["channel"]
    assert (channel["by_hand"], channel["replies_by_hand"], channel["connected"]) == (
        True, True, False,
    )  # fmt: skip
    assert channel["problem"] == BY_HAND_REASON
    # the list says the same as the detail
    listed = {d["id"]: d["channel"] for d in writer.get("drafts/").json()["results"]}
    assert listed[google["id"]] == channel

    # and the sources API says which channel the agency posts on by hand
    sources = {s["id"]: s for s in writer.get("sources/").json()["results"]}
    assert sources[source.pk]["replies_by_hand"] is True


def test_replies_by_hand_is_read_only_in_the_sources_api(clinic_a, as_user):
    # the choice is the Sources page's: the API says it, and refuses to take it (a 400 naming
    # the field, nothing changed), as for any field of the answer that is not an input
    review = review_in(clinic_a)
    manager = as_user("alpha_manager", clinic_a)
    answer = manager.patch(f"sources/{review.source_id}/", {"replies_by_hand": True})
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"replies_by_hand": ["Unknown field."]}
    with schema_context(clinic_a.schema_name):
        assert Source.objects.get(pk=review.source_id).replies_by_hand is False


def test_a_reply_says_when_its_review_is_a_past_one_imported_as_history(clinic_a, as_user):
    today = review_in(clinic_a)
    past = review_in(clinic_a)
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=past.pk).update(imported_as_past=True)
    writer = as_user("alpha_writer", clinic_a)

    on_past = writer.get(f"drafts/{_draft(as_user, clinic_a, past)['id']}/").json()
    on_today = writer.get(f"drafts/{_draft(as_user, clinic_a, today)['id']}/").json()

    assert on_past["review"]["imported_as_past"] is True and on_past["sla"] is None
    assert on_today["review"]["imported_as_past"] is False and on_today["sla"] is not None
