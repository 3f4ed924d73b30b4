"""A review settled outside the reply workflow (resolved, set aside or marked replied in bulk
from the inbox, taken down on its platform, deleted at its author's request, resolved in its
private follow-up) withdraws the reply that waited for someone's approval: its approval
notices close for everyone (banner, badge, hourly digest) and say why in each person's
history, its trail says who withdrew it and why, and its writer is told for information.
What was approved and queued, or sent back to its writer, stays as it was."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from clinics.models import Notification
from clinics.notifications import notification_digests_send, preference_set
from clinics.services import clinic_member_add
from feeds.models import Review, Source
from feeds.services.ingest import ItemIn, reviews_upsert
from feeds.services.privacy import reviews_redact
from responses.models import AuditEntry, OutboxItem, ReplyBatch, ReplyDraft
from responses.services import batches as batch_services
from responses.services import replies as reply_services
from tests.responses.conftest import BLOCK_TEXT, HEALTH_TEXT, OK_TEXT, TONE_TEXT, review_in

INBOX = "/clinics/clinic-a/inbox/"
DESCRIBED = "A reply to a 2★ Google Business Profile review"
# each step a reply may wait at: its text, the approvals that bring it there, who it waits for
STEPS = {
    "agency": (OK_TEXT, [], {"owner@alpha.test", "manager@alpha.test"}),
    "legal": (TONE_TEXT, ["alpha_owner"], {"a_legal@clinics.test"}),
    "clinician": (HEALTH_TEXT, ["alpha_owner", "a_legal"], {"clinician@clinics.test"}),
    "client": (OK_TEXT, ["alpha_owner"], {"a_approver@clinics.test"}),
    "guard": (BLOCK_TEXT, None, {"a_legal@clinics.test"}),  # blocked, submitted: legal decides
}


@pytest.fixture
def clinician(clinic_a):
    return clinic_member_add(
        clinic=clinic_a, email="clinician@clinics.test", full_name="Cy Clinician",
        role="viewer", crisis_roles=["clinician"],
    ).user  # fmt: skip


def _access(world, name: str, clinic, users=None):
    user = (users or world.users)[name] if isinstance(name, str) else name
    return clinic_access(Actor(user=user), clinic)


def _waiting_draft(world, clinic, step: str, review=None) -> ReplyDraft:
    """A reply on its own review, brought to wait at `step` through the real services."""
    text, approvers, _ = STEPS[step]
    review = review or review_in(clinic)
    with schema_context(clinic.schema_name):
        writer = _access(world, "alpha_writer", clinic)
        draft = reply_services.reply_draft_create(review_id=review.pk, access=writer, text=text)
        # submitted: a blocked one asks legal to lift the block instead of going for approval
        reply_services.reply_submit(draft_id=draft.pk, access=writer)
        for name in approvers or []:
            reply_services.reply_approve(draft_id=draft.pk, access=_access(world, name, clinic))
        draft.refresh_from_db()
    return draft


def _open_to(ref: str) -> set[str]:
    return set(
        Notification.objects.filter(ref=ref, open=True).values_list("user__email", flat=True)
    )


def _in_digest(ref: str) -> set[str]:
    return set(
        Notification.objects.filter(ref=ref, email_pending=True, waits=True).values_list(
            "user__email", flat=True
        )
    )


@pytest.mark.parametrize("step", STEPS)
def test_resolving_in_bulk_withdraws_the_reply_that_waited_and_closes_its_notices(
    world, clinic_a, clinician, login, mailoutbox, django_capture_on_commit_callbacks, step
):
    # given a reply waiting at `step`, whose people take their e-mails in the hourly digest
    for name in ("alpha_owner", "a_legal", "a_approver"):
        preference_set(user=world.users[name], email=True, in_app=True, digest="hourly")
    preference_set(user=clinician, email=True, in_app=True, digest="hourly")
    other = _waiting_draft(world, clinic_a, "client")  # a review that still waits
    draft = _waiting_draft(world, clinic_a, step)
    ref = f"reply:{draft.pk}"
    waiting_for = STEPS[step][2]
    assert _open_to(ref) == waiting_for
    # (those of an earlier step, closed once it was given, are still owed to the digest too)
    assert _in_digest(ref) >= waiting_for - {"manager@alpha.test"}
    mailoutbox.clear()

    # when the agency's manager resolves its review (and one other) in bulk from the inbox
    third = review_in(clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        done = login("alpha_manager").post(
            INBOX, {"review": [draft.review_id, third.pk], "status": "resolved"}
        )
    assert done.status_code == 302

    # then the reply no longer waits: withdrawn, with who and why in its trail
    why = "The review was resolved in bulk from the inbox by Alpha Manager."
    with schema_context(clinic_a.schema_name):
        draft.refresh_from_db()
        assert draft.status == "discarded"
        [entry] = AuditEntry.objects.filter(object_type="reply", object_id=draft.pk,
                                            action="withdrawn")  # fmt: skip
        assert (entry.actor_name, entry.comment, entry.from_status) == (
            "Alpha Manager",
            why,
            STEPS_STATUS[step],
        )
        assert entry.detail["step"] == ("legal" if step == "guard" else step)
        assert entry.detail["role"] == "manager"
        # the reply that still waits on its own review is untouched
        other.refresh_from_db()
        assert other.status == "pending_client"
    # nobody's banner or badge shows it, and the next digest does not list it
    assert _open_to(ref) == set()
    assert _in_digest(ref) == set()
    with django_capture_on_commit_callbacks(execute=True):
        notification_digests_send()
    digests = [m for m in mailoutbox if "thing(s) wait for you" in m.subject]
    assert digests == [] or all(f"/{draft.review_id}/" not in m.body for m in digests)
    assert all(f"card-reply-{draft.pk}" not in m.body for m in digests)
    # each person's history says what happened to what they were sent
    rows = Notification.objects.filter(ref=ref, user__email__in=waiting_for)
    assert set(rows.values_list("title", flat=True)) == {
        f"{DESCRIBED} was withdrawn: {why[0].lower()}{why[1:-1]}"
    }
    # the reply still waiting at the clinic keeps its notice
    assert _open_to(f"reply:{other.pk}") == {"a_approver@clinics.test"}
    # the writer is told, for their information (nothing waits for them)
    [told] = Notification.objects.filter(user=world.users["alpha_writer"], kind="reply_withdrawn")
    assert (told.open, told.waits) == (False, False)
    assert told.title == f"Your {DESCRIBED[2:]} was withdrawn: {why[0].lower()}{why[1:-1]}"
    assert told.url == f"/clinics/clinic-a/replies/review/{draft.review_id}/"
    [mail] = [m for m in mailoutbox if m.to == ["writer@alpha.test"]]
    assert "was withdrawn" in mail.subject


STEPS_STATUS = {
    "agency": "pending_agency",
    "legal": "pending_legal",
    "clinician": "pending_clinician",
    "client": "pending_client",
    "guard": "draft",
}


def test_the_approvers_pages_no_longer_offer_a_withdrawn_reply(world, clinic_a, login):
    draft = _waiting_draft(world, clinic_a, "client")
    blocked = _waiting_draft(world, clinic_a, "guard")
    approver, legal = login("a_approver"), login("a_legal")

    def offered() -> tuple[bool, bool]:
        approvals = approver.get("/clinics/clinic-a/portal/approvals/").content.decode()
        review = legal.get("/clinics/clinic-a/portal/review/").content.decode()
        # a card to act on (a line under "Already handled" keeps its anchor, saying what
        # happened to it, for the links of the e-mails sent about it)
        return (
            f'<article class="card" id="card-reply-{draft.pk}"' in approvals,
            f'<article class="card" id="card-reply-{blocked.pk}"' in review,
        )

    assert offered() == (True, True)

    login("alpha_manager").post(
        INBOX, {"review": [draft.review_id, blocked.review_id], "status": "ignored"}
    )

    assert offered() == (False, False)
    # and approving it now is refused (it waits for nobody)
    answer = login("a_approver").post(f"/clinics/clinic-a/api/v1/drafts/{draft.pk}/approve/")
    assert answer.status_code == 409


def test_what_was_approved_or_sent_back_stays_as_it_was(world, clinic_a, login, as_user):
    # given a reply approved and queued, and one sent back to its writer
    queued = _waiting_draft(world, clinic_a, "client")
    with schema_context(clinic_a.schema_name):
        reply_services.reply_approve(
            draft_id=queued.pk, access=_access(world, "a_approver", clinic_a)
        )
        items = list(OutboxItem.objects.filter(draft=queued).values_list("pk", "status"))
    assert items and {s for _, s in items} == {"pending"}
    sent_back = _waiting_draft(world, clinic_a, "agency")
    as_user("alpha_manager", clinic_a).post(
        f"drafts/{sent_back.pk}/reject/", {"comment": "Shorter."}
    )

    login("alpha_manager").post(
        INBOX, {"review": [queued.review_id, sent_back.review_id], "status": "resolved"}
    )

    with schema_context(clinic_a.schema_name):
        queued.refresh_from_db()
        sent_back.refresh_from_db()
        assert (queued.status, sent_back.status) == ("approved", "changes_requested")
        assert list(OutboxItem.objects.filter(draft=queued).values_list("pk", "status")) == items
        assert not AuditEntry.objects.filter(action="withdrawn").exists()
    # the sent-back notice closes, as before
    assert _open_to(f"reply:{sent_back.pk}:sent_back") == set()


def test_setting_reviews_back_to_needs_reply_withdraws_nothing(world, clinic_a, login):
    draft = _waiting_draft(world, clinic_a, "agency")

    login("alpha_manager").post(INBOX, {"review": [draft.review_id], "status": "needs_reply"})

    with schema_context(clinic_a.schema_name):
        draft.refresh_from_db()
    assert draft.status == "pending_agency"
    assert _open_to(f"reply:{draft.pk}") == {"owner@alpha.test", "manager@alpha.test"}


def test_a_review_taken_down_on_its_platform_withdraws_its_waiting_reply(world, clinic_a):
    draft = _waiting_draft(world, clinic_a, "client")

    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(pk=draft.review_id)
        reviews_upsert(
            source=Source.objects.get(pk=review.source_id),
            items=[ItemIn(external_id=review.external_id, text=review.text,
                          published_at=review.published_at, author_name=review.author_name,
                          rating=review.rating, deleted=True)],
        )  # fmt: skip
        draft.refresh_from_db()
        [entry] = AuditEntry.objects.filter(object_id=draft.pk, action="withdrawn")

    assert draft.status == "discarded"
    assert entry.comment == "The review was taken down on its platform."
    assert entry.actor_name == "Carewatch"
    assert _open_to(f"reply:{draft.pk}") == set()


def test_a_review_deleted_at_its_authors_request_withdraws_its_waiting_reply(world, clinic_a):
    # given a reply that names the reviewer and waits for legal (the privacy check blocks it,
    # and its writer submitted it)
    review = review_in(clinic_a)
    with schema_context(clinic_a.schema_name):
        writer = _access(world, "alpha_writer", clinic_a)
        draft = reply_services.reply_draft_create(
            review_id=review.pk, access=writer,
            text="Hi Sam, we reviewed your chart and everything was fine.",
        )  # fmt: skip
        draft = reply_services.reply_submit(draft_id=draft.pk, access=writer)
    assert draft.guard_verdict == "block"
    assert _open_to(f"reply:{draft.pk}") == {"a_legal@clinics.test"}

    with schema_context(clinic_a.schema_name):
        _, done = reviews_redact(review_ids=[draft.review_id], delete=True)
        draft.refresh_from_db()
        [entry] = AuditEntry.objects.filter(object_id=draft.pk, action="withdrawn")

    assert draft.status == "discarded"
    assert (entry.comment, entry.actor_name) == (
        "The review was deleted at its author's request.",
        "Privacy request",
    )
    assert (entry.detail["step"], entry.detail["block"]) == ("legal", True)
    assert _open_to(f"reply:{draft.pk}") == set()
    # what the request's receipt says of the reply is where it stands: it will not be posted
    assert done.to_check == [
        f"Reply #{draft.pk} (discarded) named the author in version 1: the name was replaced by "
        "[name removed]; it was discarded and will not be posted: nothing else to do."
    ]


def test_resolving_the_private_follow_up_withdraws_its_waiting_public_reply(
    world, clinic_a, as_user
):
    # given a follow-up whose public "please contact us" reply waits for the agency
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a)
    started = writer.post(f"reviews/{review.pk}/private-conversations/",
                          {"channel": "public_reply"})  # fmt: skip
    assert started.status_code == 201, started.json()
    draft_id = started.json()["reply_draft_id"]
    writer.post(f"drafts/{draft_id}/submit/")
    assert _open_to(f"reply:{draft_id}") == {"owner@alpha.test", "manager@alpha.test"}

    # when the person called and the follow-up is resolved
    manager = as_user("alpha_manager", clinic_a)
    done = manager.patch(f"private-conversations/{started.json()['id']}/", {"outcome": "solved"})
    assert done.json()["status"] == "resolved"

    # then its public reply no longer waits for anyone
    with schema_context(clinic_a.schema_name):
        draft = ReplyDraft.objects.get(pk=draft_id)
        [entry] = AuditEntry.objects.filter(object_id=draft_id, action="withdrawn")
    assert draft.status == "discarded"
    assert entry.comment == "The review was resolved in its private follow-up by Alpha Manager."
    assert _open_to(f"reply:{draft_id}") == set()


def test_a_batch_is_withdrawn_once_every_mention_is_settled_and_not_before(world, clinic_a, login):
    reviews = [review_in(clinic_a) for _ in range(3)]
    with schema_context(clinic_a.schema_name):
        writer = _access(world, "alpha_writer", clinic_a)
        batch = batch_services.reply_batch_create(
            access=writer, review_ids=[r.pk for r in reviews], text=OK_TEXT
        )
        batch_services.reply_batch_submit(batch_id=batch.pk, access=writer)
    ref = f"reply_batch:{batch.pk}"
    assert _open_to(ref) == {"owner@alpha.test", "manager@alpha.test"}
    manager = login("alpha_manager")

    # one mention resolved: the batch still answers the others and still waits
    manager.post(INBOX, {"review": [reviews[0].pk], "status": "resolved"})
    with schema_context(clinic_a.schema_name):
        assert ReplyBatch.objects.get(pk=batch.pk).status == "pending_agency"
    assert _open_to(ref) == {"owner@alpha.test", "manager@alpha.test"}

    # the others too: nothing is left to answer, the batch is withdrawn with its replies
    manager.post(INBOX, {"review": [reviews[1].pk, reviews[2].pk], "status": "ignored"})
    with schema_context(clinic_a.schema_name):
        batch.refresh_from_db()
        members = set(ReplyDraft.objects.filter(batch=batch).values_list("status", flat=True))
        [entry] = AuditEntry.objects.filter(object_type="reply_batch", object_id=batch.pk,
                                            action="withdrawn")  # fmt: skip
    assert batch.status == "discarded" and members == {"discarded"}
    assert entry.comment == (
        "Every mention it answered was settled, the last set aside in bulk from the inbox by "
        "Alpha Manager."
    )
    assert _open_to(ref) == set()


def test_a_writer_discarding_a_waiting_reply_takes_it_off_the_approvers_digest(
    world, clinic_a, as_user
):
    preference_set(user=world.users["alpha_owner"], email=True, in_app=True, digest="hourly")
    draft = _waiting_draft(world, clinic_a, "agency")
    ref = f"reply:{draft.pk}"
    assert _in_digest(ref) == {"owner@alpha.test"}

    as_user("alpha_writer", clinic_a).post(f"drafts/{draft.pk}/discard/")

    assert _open_to(ref) == set() and _in_digest(ref) == set()
    assert set(Notification.objects.filter(ref=ref).values_list("title", flat=True)) == {
        f"{DESCRIBED} was withdrawn: its writer Alpha Writer discarded it"
    }
    with schema_context(clinic_a.schema_name):
        [entry] = AuditEntry.objects.filter(object_id=draft.pk, action="discarded")
    assert (entry.from_status, entry.detail["step"]) == ("pending_agency", "agency")
    others = Notification.objects.filter(~Q(ref=ref), ref__startswith=f"{ref}:")
    # its writer's "Your draft, not submitted yet" line, closed when they submitted it
    assert not others.exclude(ref=f"{ref}:draft").exists()
    assert not others.filter(open=True).exists()


def test_a_writer_whose_replies_are_withdrawn_at_once_is_told_once(
    world, clinic_a, login, mailoutbox, django_capture_on_commit_callbacks
):
    drafts = [_waiting_draft(world, clinic_a, "agency") for _ in range(3)]
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        login("alpha_owner").post(
            INBOX, {"review": [d.review_id for d in drafts], "status": "replied"}
        )

    [told] = Notification.objects.filter(user=world.users["alpha_writer"], kind="reply_withdrawn")
    assert told.title == (
        "3 of your replies were withdrawn, each because the review was marked as replied in bulk "
        "from the inbox by Alpha Owner"
    )
    assert told.url == "/clinics/clinic-a/replies/"
    [mail] = [m for m in mailoutbox if m.to == ["writer@alpha.test"]]
    assert "Nobody is asked to approve them any more." in mail.body
    # whoever withdrew them is not told of their own action
    assert not Notification.objects.filter(
        user=world.users["alpha_owner"], kind="reply_withdrawn"
    ).exists()
