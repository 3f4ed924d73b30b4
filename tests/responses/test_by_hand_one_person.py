"""A reply to post by hand waits for one person, named (`outbox.by_hand_owners`): its writer,
who knows the review and the text; else, when she no longer posts by hand there, who approved
it for the agency. Only that person is told ("… waits for you to post by hand"), e-mailed
once; the outbox names them beside the reply ("Waits for Alpha Writer to post by hand").
Anyone else who posts by hand may still do it, and two people marking it posted at the same
moment post it once: the second is refused (409) and nothing changes."""

from __future__ import annotations

from django_tenants.utils import schema_context

from agency.models import AgencyMembership
from clinics.models import Notification
from responses.models import AuditEntry, OutboxItem, OutboxStatus
from responses.services.outbox import by_hand_ref
from tests.fixtures.threads import race
from tests.responses.conftest import approved_reply, review_in
from tests.responses.test_by_hand import _run_notices
from tests.responses.test_publish import _api

OUTBOX = "/clinics/clinic-a/outbox/"


def _to_post_by_hand(clinic, as_user, capture, queued) -> OutboxItem:
    """An approved reply to a CSV review (no platform to post to: to post by hand), with the
    notices its approval queued run as the worker runs them."""
    with capture(execute=True):
        item_id = approved_reply(clinic, as_user, review_in(clinic, "csv"))["delivery"][0][
            "outbox_id"
        ]
    _run_notices(clinic, queued, capture)
    with schema_context(clinic.schema_name):
        item = OutboxItem.objects.select_related("source").get(pk=item_id)
    assert item.status == OutboxStatus.MANUAL
    return item


def test_one_person_is_named_told_and_shown_for_a_reply_to_post_by_hand(
    clinic_a, as_user, world, login, mailoutbox, queued, django_capture_on_commit_callbacks
):
    # given a reply its writer wrote, approved and waiting to be posted by hand
    item = _to_post_by_hand(clinic_a, as_user, django_capture_on_commit_callbacks, queued)
    users = world.users

    # then only its writer is told, by name, in a line that waits for her (it was every
    # writer, manager and owner of the agency, nobody named)
    told = [m for m in mailoutbox if "post by hand" in m.subject]
    assert [m.to for m in told] == [[users["alpha_writer"].email]]
    assert told[0].subject == "[Clinic A] 1 reply waits for you to post by hand on csv source"
    assert "Named to you as its writer, so that one person posts it" in told[0].body
    mine = by_hand_ref(item.source_id, users["alpha_writer"].pk)
    assert list(
        Notification.objects.filter(ref__startswith=by_hand_ref(item.source_id), open=True)
        .values_list("user__email", "ref")
    ) == [(users["alpha_writer"].email, mine)]  # fmt: skip

    # and the outbox names her: "you" to her, her name to the others, who may still post it
    card = _card(login("alpha_writer").get(OUTBOX).content.decode(), item.pk)
    assert "<strong>Waits for you to post by hand</strong> (you wrote it)" in card
    owners_card = _card(login("alpha_owner").get(OUTBOX).content.decode(), item.pk)
    assert "<strong>Waits for Alpha Writer to post by hand</strong> (its writer)" in owners_card
    assert "anyone who posts by hand may do it instead" in owners_card
    assert "I posted it by hand" in owners_card

    # when the owner posts it instead, her line leaves at once
    posted = login("alpha_owner").post(
        OUTBOX, {"item": item.pk, "action": "mark_posted", "url": "https://example.org/p/9"}
    )
    assert posted.status_code == 302
    assert not Notification.objects.filter(ref=mine, open=True).exists()


def test_a_writer_who_no_longer_posts_by_hand_leaves_it_to_the_agency_approver(
    clinic_a, as_user, world, login, mailoutbox, queued, django_capture_on_commit_callbacks
):
    # given the writer became an analyst before her approved reply went to post by hand
    users = world.users
    capture = django_capture_on_commit_callbacks
    review = review_in(clinic_a, "csv")
    writer = as_user("alpha_writer", clinic_a)
    draft = writer.post("drafts/", {"review_id": review.pk, "text": "Thank you for telling us."})
    writer.post(f"drafts/{draft.json()['id']}/submit/")
    as_user("alpha_manager", clinic_a).post(f"drafts/{draft.json()['id']}/approve/")
    AgencyMembership.objects.filter(user=users["alpha_writer"]).update(role="analyst")
    with capture(execute=True):
        as_user("a_approver", clinic_a).post(f"drafts/{draft.json()['id']}/approve/")
    _run_notices(clinic_a, queued, capture)

    # then the manager who approved it for the agency is the one named and told
    told = [m for m in mailoutbox if "post by hand" in m.subject]
    assert [m.to for m in told] == [[users["alpha_manager"].email]]
    with schema_context(clinic_a.schema_name):
        item = OutboxItem.objects.get(draft_id=draft.json()["id"])
    card = _card(login("alpha_owner").get(OUTBOX).content.decode(), item.pk)
    assert (
        "<strong>Waits for Alpha Manager to post by hand</strong> (who approved it for the agency)"
        in card
    )


def test_two_people_marking_one_reply_posted_at_once_post_it_once(
    world, committed_clinic, queued, django_capture_on_commit_callbacks
):
    # given a reply waiting to be posted by hand, and two people who may mark it posted
    clinic = committed_clinic
    review = review_in(clinic, "csv")
    writer = _api(world, "alpha_writer", clinic)
    draft_id = writer.post("drafts/", {"review_id": review.pk, "text": "Thank you."}).json()["id"]
    writer.post(f"drafts/{draft_id}/submit/")
    _api(world, "alpha_manager", clinic).post(f"drafts/{draft_id}/approve/")
    approved = _api(world, "a_approver", clinic).post(f"drafts/{draft_id}/approve/").json()
    item_id = approved["delivery"][0]["outbox_id"]
    people = [_api(world, name, clinic) for name in ("alpha_writer", "alpha_owner")]

    # when both mark it posted at the same moment, each at their own link
    answers = race(
        *[
            lambda p=p, n=n: p.post(
                f"outbox/{item_id}/mark-posted/", {"url": f"https://example.org/twice/{n}"}
            )
            for n, p in enumerate(people)
        ]
    )

    # then one is recorded; the other is told it is already posted, and nothing changed
    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json()["code"] == "already_posted"
    with schema_context(clinic.schema_name):
        item = OutboxItem.objects.get(pk=item_id)
        assert item.status == OutboxStatus.POSTED_BY_HAND
        assert item.external_url in {f"https://example.org/twice/{n}" for n in (0, 1)}
        assert AuditEntry.objects.filter(action="posted_by_hand", object_id=draft_id).count() == 1


def _card(html: str, item_id: int) -> str:
    card = html[html.index(f'id="item-{item_id}"') :]
    return card[: card.index("</article>")]
