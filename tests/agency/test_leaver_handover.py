"""A writer leaves mid-crisis (walk 13 A #1, #6): the staff page renders with several people,
invitations and locked users; the removal's confirmation lists what she holds (drafts not
submitted, replies sent back to her, follow-ups she owns, incident roles) with links; once
removed, the owners and managers find her open work in "Waiting for you" and get one e-mail
with the links, her own waiting notices close, nothing more is sent to her, and her personal
token is refused."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.credentials import token_create
from accounts.models import User
from agency.models import AgencyMembership
from agency.services import agency_member_add
from clinics.models import Notification
from clinics.notifications import people_notify
from crisis.models import IncidentAssignment
from responses.models import PrivateConversation, ReplyDraft, ReplyVersion

STAFF = "/agency/settings/people/"


def _reply(clinic, review, *, writer, status):
    with schema_context(clinic.schema_name):
        draft = ReplyDraft.objects.create(
            review=review,
            status=status,
            version=1,
            author_label=f"user:{writer.pk}",
            author_name=writer.full_name,
            last_comment="Too generic." if status == "changes_requested" else "",
        )
        ReplyVersion.objects.create(
            draft=draft,
            number=1,
            guard_verdict="ok",
            author_label=f"user:{writer.pk}",
            author_name=writer.full_name,
            text="Thank you for telling us.",
        )
    return draft


def _leaver(world, rows):
    """Alpha Writer, in Clinic A: a draft not submitted, a reply sent back to her (with her
    open "sent back" notice), one waiting for approval, a follow-up she owns, the Comms role
    of a running incident."""
    writer, a = world.users["alpha_writer"], world.clinics["a"]
    r = rows(a)
    draft = _reply(a, r.review(), writer=writer, status="draft")
    sent_back = _reply(a, r.review(), writer=writer, status="changes_requested")
    _reply(a, r.review(), writer=writer, status="pending_agency")
    incident = r.incident(title="Negative surge")
    with schema_context(a.schema_name):
        IncidentAssignment.objects.create(
            incident=incident, role="comms", user_id=writer.pk, user_label="Alpha Writer"
        )
        followup = PrivateConversation.objects.create(
            review=r.review(),
            channel="email",
            opened_by_label=f"user:{writer.pk}",
            owner_id=writer.pk,
            owner_name="Alpha Writer",
            due_at=timezone.now() + timedelta(days=1),
        )
    people_notify(
        users=[writer],
        clinic=a,
        kind="sent_back",
        ref=f"reply:{sent_back.pk}:sent_back",
        title="A reply was sent back at the agency approval",
        url=f"/clinics/clinic-a/replies/review/{sent_back.review_id}/",
        email=False,
    )
    return draft, sent_back, followup, incident


def test_the_staff_page_renders_with_invitations_and_locked_people(login, world, db):
    # given: a person invited (no password yet) and a writer locked out
    agency = world.agencies["alpha"]
    for n in range(3):
        agency_member_add(agency=agency, email=f"invited{n}@alpha.test",
                          full_name=f"Invited {n}", role="writer", password=None)  # fmt: skip
    User.objects.filter(pk=world.users["alpha_analyst"].pk).update(
        locked_until=timezone.now() + timedelta(minutes=10)
    )
    for name in ("alpha_owner", "alpha_manager"):
        # when
        page = login(name).get(STAFF)
        # then
        html = page.content.decode()
        assert page.status_code == 200, name
        assert html.count('<tr data-person="') == 7
        assert html.count("invited, not signed in yet") == 3
        assert "locked until " in html
        assert 'aria-label="Remove writer@alpha.test from the staff"' in html
        assert html.count(">Send the invitation again</button>") == 3
    owners = login("alpha_owner").get(STAFF).content.decode()
    assert 'aria-label="Unlock analyst@alpha.test">Unlock</button>' in owners


def test_the_confirmation_lists_drafts_sent_back_follow_ups_and_roles(login, world, rows):
    draft, sent_back, followup, incident = _leaver(world, rows)
    membership = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    html = (
        login("alpha_manager")
        .post(STAFF, {"action": "remove", "membership": membership.pk})
        .content.decode()
    )
    assert (
        "Written in Clinic A, not published yet: 3 replies (1 not submitted yet, 1 sent back "
        "to them, 1 waiting for approval)." in html
    )
    assert (
        f'<a href="/clinics/clinic-a/replies/review/{sent_back.review_id}/">Reply to review '
        f"{sent_back.review_id} (sent back to them)</a>" in html
    )
    assert f"Reply to review {draft.review_id} (not submitted yet)" in html
    assert "Private follow-ups they own in Clinic A, still open: 1." in html
    assert f'href="/clinics/clinic-a/follow-ups/{followup.pk}/"' in html
    assert "Incident team in Clinic A: Comms / PR of “Negative surge” (open)." in html
    assert f'href="/clinics/clinic-a/incidents/{incident.pk}/"' in html
    assert not Notification.objects.filter(ref__startswith="reply:", kind="left_work").exists()


def test_after_the_removal_managers_take_over_and_she_is_told_nothing_more(
    login, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    writer = world.users["alpha_writer"]
    owner, manager = world.users["alpha_owner"], world.users["alpha_manager"]
    draft, sent_back, followup, _ = _leaver(world, rows)
    membership = AgencyMembership.objects.get(user=writer)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        login("alpha_manager").post(
            STAFF, {"action": "remove", "membership": membership.pk, "confirm": "yes"}
        )
    # then: her notice of the reply sent back is closed
    assert not Notification.objects.filter(user=writer, open=True).exists()
    # the owner and the manager each find her draft, her sent-back reply and her follow-up
    for person in (owner, manager):
        waiting = dict(
            Notification.objects.filter(user=person, open=True).values_list("ref", "title")
        )
        assert waiting == {
            f"reply:{draft.pk}:sent_back": f"Alpha Writer left: a reply to review "
            f"{draft.review_id} (not submitted yet) needs someone to finish it",
            f"reply:{sent_back.pk}:sent_back": f"Alpha Writer left: a reply to review "
            f"{sent_back.review_id} (sent back to them) needs someone to finish it",
            f"followup:{followup.pk}:follow_up": f"Alpha Writer left: their private follow-up "
            f"of review {followup.review_id} needs a new owner",
        }
    # one e-mail each, with the links
    handover = [m for m in mailoutbox if "left:" in m.subject]
    assert sorted(m.to[0] for m in handover) == ["manager@alpha.test", "owner@alpha.test"]
    body = handover[0].body
    assert handover[0].subject == "Alpha Writer left: what they held needs someone to take it over"
    assert "Alpha Manager removed Alpha Writer from Alpha Agency." in body
    assert f"/clinics/clinic-a/replies/review/{sent_back.review_id}/" in body
    assert f"/clinics/clinic-a/follow-ups/{followup.pk}/" in body
    assert "Incident team in Clinic A: Comms / PR of “Negative surge” (open)." in body
    assert not [m for m in mailoutbox if m.to == [writer.email] and "left:" in m.subject]
    # nothing more is sent to her about her old work
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        told = people_notify(
            users=[writer],
            clinic=world.clinics["a"],
            kind="sent_back",
            ref=f"reply:{draft.pk}:sent_back",
            title="A reply was sent back",
            url="/",
        )
    assert told == {} and mailoutbox == []


def test_the_managers_notice_closes_when_someone_submits_the_reply(
    login, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    _, sent_back, _, _ = _leaver(world, rows)
    membership = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    login("alpha_owner").post(
        STAFF, {"action": "remove", "membership": membership.pk, "confirm": "yes"}
    )
    ref = f"reply:{sent_back.pk}:sent_back"
    assert Notification.objects.filter(ref=ref, open=True).count() == 2
    # when the manager writes version 2 and submits it
    page = login("alpha_manager").post(
        f"/clinics/clinic-a/replies/review/{sent_back.review_id}/",
        {"action": "submit", "text": "Thank you for telling us; please call our front desk.",
         "draft_id": sent_back.pk, "expected_version": 1},
    )  # fmt: skip
    assert page.status_code == 302
    with schema_context(world.clinics["a"].schema_name):
        sent_back.refresh_from_db()
    # then: version 2 waits for an approval, and the take-over notices are closed
    assert (sent_back.version, sent_back.status != "changes_requested") == (2, True)
    assert not Notification.objects.filter(ref=ref, open=True).exists()


def test_her_personal_token_is_refused_once_removed(login, world, db):
    writer = world.users["alpha_writer"]
    _, issued = token_create(user=writer, name="laptop", ttl=timedelta(days=30))
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert bearer.get("/clinics/clinic-a/api/v1/me/").status_code == 200
    membership = AgencyMembership.objects.get(user=writer)
    login("alpha_owner").post(
        STAFF, {"action": "remove", "membership": membership.pk, "confirm": "yes"}
    )
    refused = bearer.get("/clinics/clinic-a/api/v1/me/")
    assert refused.status_code == 401
    assert bearer.get("/clinics/clinic-a/api/v1/reviews/").status_code == 401


def test_a_reply_sent_back_after_its_writer_left_goes_to_those_who_manage_the_clinic(
    login, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    # given her reply waiting for the agency's approval when she is removed
    writer, owner = world.users["alpha_writer"], world.users["alpha_owner"]
    a = world.clinics["a"]
    waiting = _reply(a, rows(a).review(), writer=writer, status="pending_agency")
    membership = AgencyMembership.objects.get(user=writer)
    login("alpha_owner").post(
        STAFF, {"action": "remove", "membership": membership.pk, "confirm": "yes"}
    )
    mailoutbox.clear()
    # when the manager sends it back
    with django_capture_on_commit_callbacks(execute=True):
        answer = login("alpha_manager").post(
            f"/clinics/clinic-a/api/v1/drafts/{waiting.pk}/reject/",
            {"comment": "Too generic."},
            content_type="application/json",
        )
    assert answer.status_code == 200, answer.content[:300]
    # then it does not wait for nobody: the owner (not the manager who sent it back, not
    # the writer who left) is told someone must take it over
    told = Notification.objects.filter(ref=f"reply:{waiting.pk}:sent_back", open=True)
    assert [(n.user_id, n.title.split("; ", 1)[1]) for n in told] == [
        (owner.pk, "its writer (Alpha Writer) has left: someone needs to take it over")
    ]
    assert [m.to for m in mailoutbox if "has left" in m.subject] == [[owner.email]]
    assert not [m for m in mailoutbox if m.to == [writer.email]]
