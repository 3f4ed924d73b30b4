"""Removing a person (walk 9 #2, #3, #4, #5, #6, #28, #29): the confirmation lists what they
leave behind (on-call slots with the gaps they leave, incident roles, unpublished work, keys
they created, what only they could approve); the removal takes them off every on-call list,
ends their incident roles (page and API agree), ends their sessions and, when ticked, revokes
their keys."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.credentials import api_key_create
from accounts.models import ApiKey, SecurityEvent
from agency.models import AgencyMembership
from clinics.models import ClinicMembership, OnCall
from crisis.models import IncidentAssignment, IncidentEvent
from crisis.services.incidents import incidents_acknowledge_by_acting
from facts.models import ClinicReview, Fact, FactStatus
from responses.models import ReplyDraft

STAFF = "/agency/settings/people/"
PEOPLE = "/clinics/clinic-a/settings/people/"


def _draft(clinic, review, *, author, status="pending_agency"):
    with schema_context(clinic.schema_name):
        return ReplyDraft.objects.create(
            review=review, status=status, author_label=f"user:{author.pk}", author_name="x"
        )


def _world_of_a_leaver(world, rows):
    """The writer: 2nd on call in Clinic A (the manager stays), alone on call in Clinic B,
    Comms / PR of a running incident in Clinic A (and of a resolved one), author of two
    replies there, creator of an agency key."""
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    a, b = world.clinics["a"], world.clinics["b"]
    OnCall.objects.create(clinic=a, user=manager, position=0)
    OnCall.objects.create(clinic=a, user=writer, position=1)
    OnCall.objects.create(clinic=b, user=writer, position=0)
    clinic_rows = rows(a)
    running = clinic_rows.incident(title="Surge of complaints")
    resolved = clinic_rows.incident(status="resolved", title="Old storm")
    with schema_context(a.schema_name):
        for incident in (running, resolved):
            IncidentAssignment.objects.create(
                incident=incident, role="comms", user_id=writer.pk, user_label="Alpha Writer"
            )
    first, second = clinic_rows.review(), clinic_rows.review()
    _draft(a, first, author=writer)
    _draft(a, second, author=writer, status="draft")
    key, _ = api_key_create(
        agency=world.agencies["alpha"], name="Writer feed", scopes=["read"], created_by=writer
    )
    return running, resolved, key


def test_the_confirmation_lists_what_a_staff_member_leaves_behind(login, world, rows):
    running, _, key = _world_of_a_leaver(world, rows)
    membership = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    asked = login("alpha_owner").post(STAFF, {"action": "remove", "membership": membership.pk})
    html = asked.content.decode()
    assert asked.status_code == 200 and "Nothing has changed yet." in html
    # on call, with the gap each slot leaves
    assert "On call for Clinic A (2nd of 2). Taken off the list; Alpha Manager stays on it." in html
    assert "On call for Clinic B (1st of 1). Taken off the list, which is then empty" in html
    assert '<div class="error" role="note" id="confirm-gaps">' in html
    assert "<li>Clinic B: Taken off the list, which is then empty" in html
    # the running incident's role (not the resolved one's), with its link
    assert "Incident team in Clinic A: Comms / PR of “Surge of complaints” (open)." in html
    assert f'href="/clinics/clinic-a/incidents/{running.pk}/"' in html
    assert "Old storm" not in html
    # their unpublished replies, counted, with links to each
    assert (
        "Written in Clinic A, not published yet: 2 replies (1 not submitted yet, 1 waiting for "
        "approval)." in html
    )
    assert html.count('href="/clinics/clinic-a/replies/review/') == 2
    # the key they created, with what revoking stops, offered ticked
    assert f'<li data-key="{key.prefix}">“Writer feed” (cwk_{key.prefix}_…): every clinic' in html
    assert "keeps working after its creator leaves unless it is revoked" in html
    assert '<input type="checkbox" name="revoke_keys" value="yes" checked' in html
    # nothing changed
    assert OnCall.objects.filter(user=world.users["alpha_writer"]).count() == 2
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_removal_takes_them_off_call_ends_roles_sessions_and_revokes_keys(login, world, rows):
    writer = world.users["alpha_writer"]
    running, resolved, key = _world_of_a_leaver(world, rows)
    session = login("alpha_writer")  # the leaver's open browser
    assert session.get("/agency/").status_code == 200
    membership = AgencyMembership.objects.get(user=writer)
    owner = login("alpha_owner")
    done = owner.post(
        STAFF,
        {"action": "remove", "membership": membership.pk, "confirm": "yes", "revoke_keys": "yes"},
        follow=True,
    )
    html = done.content.decode()
    # off every on-call list, in the same request, and the owner is told where the gap is
    assert not OnCall.objects.filter(user=writer).exists()
    assert list(OnCall.objects.values_list("clinic__slug", "user__email")) == [
        ("clinic-a", "manager@alpha.test")
    ]
    assert "Nobody is on call now for Clinic B: choose someone there." in html
    # the running incident's role ended (on its timeline), the resolved one's kept
    a = world.clinics["a"]
    with schema_context(a.schema_name):
        assert not IncidentAssignment.objects.filter(incident=running).exists()
        assert IncidentAssignment.objects.filter(incident=resolved).exists()
        event = IncidentEvent.objects.filter(incident=running).latest("pk")
        assert event.message == "Comms / PR: unassigned (Alpha Writer no longer has access)."
        assert event.actor == "Alpha Owner"
        # ending a leaver's role is not somebody responding: the minute's sweep leaves the
        # incident open (it read "Acknowledged by Alpha Owner (by responding: assigned the
        # team)")
        assert incidents_acknowledge_by_acting() == []
        running.refresh_from_db()
        assert running.status == "open"
    api = owner.get(f"/clinics/clinic-a/api/v1/incidents/{running.pk}/").json()
    assert api["assignments"] == []
    assert "1 incident team role ended (Clinic A)" in html
    # the key they created is revoked, and the log says why
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert "1 API key revoked: “Writer feed”." in html
    revoked = SecurityEvent.objects.filter(event="api_key.revoked").latest("pk")
    assert revoked.detail["reason"] == "creator_removed"
    # their drafts stay: the agency's work
    with schema_context(a.schema_name):
        assert ReplyDraft.objects.filter(author_label=f"user:{writer.pk}").count() == 2
    # the open browser session is signed out at its next request
    assert session.get("/agency/")["Location"].startswith("/login/")
    ended = SecurityEvent.objects.filter(event="sessions.ended", target_user_id=writer.pk)
    assert ended.get().detail == {"reason": "membership_removed"}


def test_unticked_keys_keep_working(login, world, rows):
    _, _, key = _world_of_a_leaver(world, rows)
    membership = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    login("alpha_owner").post(STAFF, {"action": "remove", "membership": membership.pk,
                                      "confirm": "yes"})  # fmt: skip
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    # and the key lists say its creator has left
    page = login("alpha_owner").get("/agency/settings/api-keys/").content.decode()
    assert (
        f'<td data-created-by="{key.prefix}">Alpha Writer <span class="pill negative">has left '
        "the agency</span></td>"
    ) in page
    listed = {k["name"]: k for k in login("alpha_owner").get("/api/v1/api-keys/").json()["results"]}
    assert listed["Writer feed"]["created_by_name"] == "Alpha Writer"
    assert listed["Writer feed"]["created_by_has_left"] is True


def test_removing_a_clinics_only_approver_says_what_waits_for_them(login, world, rows):
    a = world.clinics["a"]
    clinic_rows = rows(a)
    for _ in range(3):
        _draft(a, clinic_rows.review(), author=world.users["alpha_writer"],
               status="pending_client")  # fmt: skip
    membership = ClinicMembership.objects.get(clinic=a, user=world.users["a_approver"])
    client = login("alpha_owner")
    html = client.post(PEOPLE, {"action": "remove", "membership": membership.pk}).content.decode()
    assert (
        "A Approver is the only approver of Clinic A: 3 replies, 0 reply batches and 0 "
        "statements wait at the clinic&#x27;s approval step, and nobody else may give it."
    ) in html
    assert '<a href="/clinics/clinic-a/replies/">Approvals</a>' in html
    # another approver of the clinic: nothing is stranded
    ClinicMembership.objects.filter(clinic=a, user=world.users["a_viewer"]).update(role="approver")
    html = client.post(PEOPLE, {"action": "remove", "membership": membership.pk}).content.decode()
    assert "only approver" not in html


def test_removing_a_clinics_only_approver_tells_the_owners_and_managers(
    login, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    # given: two replies wait at Clinic A's approval step, which only A Approver gives
    a = world.clinics["a"]
    clinic_rows = rows(a)
    for _ in range(2):
        _draft(a, clinic_rows.review(), author=world.users["alpha_writer"],
               status="pending_client")  # fmt: skip
    membership = ClinicMembership.objects.get(clinic=a, user=world.users["a_approver"])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        login("alpha_owner").post(
            PEOPLE, {"action": "remove", "membership": membership.pk, "confirm": "yes"}
        )
    # then: the owner and the manager are each told what now waits for nobody
    assert not ClinicMembership.objects.filter(pk=membership.pk).exists()
    handover = [m for m in mailoutbox if "left:" in m.subject]
    assert sorted(m.to[0] for m in handover) == ["manager@alpha.test", "owner@alpha.test"]
    assert handover[0].subject == "A Approver left: what they held needs someone to take it over"
    body = handover[0].body
    assert "Alpha Owner removed A Approver from Clinic A." in body
    assert (
        "- A Approver is the only approver of Clinic A: 2 replies, 0 reply batches and 0 "
        "statements wait at the clinic's approval step, and nobody else may give it. They keep "
        "waiting: add another approver of the clinic on this page"
    ) in body
    assert "/clinics/clinic-a/replies/" in body


def test_a_clinic_persons_incident_role_ends_with_their_removal(login, world, rows):
    a = world.clinics["a"]
    incident = rows(a).incident()
    approver = world.users["a_approver"]
    with schema_context(a.schema_name):
        IncidentAssignment.objects.create(
            incident=incident, role="comms", user_id=approver.pk, user_label="A Approver"
        )
    membership = ClinicMembership.objects.get(clinic=a, user=approver)
    client = login("alpha_owner")
    asked = client.post(PEOPLE, {"action": "remove", "membership": membership.pk})
    assert (
        "Incident team in Clinic A: Comms / PR of “Surge of complaints”" in asked.content.decode()
    )
    client.post(PEOPLE, {"action": "remove", "membership": membership.pk, "confirm": "yes"})
    with schema_context(a.schema_name):
        assert not IncidentAssignment.objects.filter(incident=incident).exists()


def test_the_on_call_message_counts_people_in_words(login, world):
    client = login("alpha_owner")
    url = "/clinics/clinic-a/settings/alerts/"
    one = client.post(url, {"action": "on_call", "on_call": [world.users["alpha_writer"].pk]},
                      follow=True).content.decode()  # fmt: skip
    assert "On-call list saved: 1 person." in one
    two = [world.users["alpha_writer"].pk, world.users["alpha_manager"].pk]
    many = client.post(url, {"action": "on_call", "on_call": two}, follow=True).content.decode()
    assert "On-call list saved: 2 people." in many


def test_the_removed_persons_browser_is_signed_out_but_others_stay(world, login):
    # a clinic person removed from their last clinic: their sessions end too
    viewer = login("a_viewer")
    bystander = login("a_approver")
    membership = ClinicMembership.objects.get(user=world.users["a_viewer"])
    login("alpha_owner").post(PEOPLE, {"action": "remove", "membership": membership.pk,
                                       "confirm": "yes"})  # fmt: skip
    assert viewer.get("/account/")["Location"].startswith("/login/")
    assert bystander.get("/account/").status_code == 200
    assert isinstance(viewer, Client)


def test_removing_the_only_approver_names_the_facts_and_the_crisis_role_she_leaves(
    login, world, rows, mailoutbox, django_capture_on_commit_callbacks
):
    # given: A Approver, Clinic A's only approver and its only Comms / PR, has two facts to
    # confirm and no reply waiting for her (walk 14 F12)
    a = world.clinics["a"]
    with schema_context(a.schema_name):
        for i in range(2):
            Fact.objects.create(
                slug=f"asked-{i}", title=f"Asked {i}", statement="We open at 8.",
                status=FactStatus.DRAFT, clinic_review=ClinicReview.WAITING,
                clinic_asked_at=timezone.now(), clinic_asked_by="Alpha Manager",
            )  # fmt: skip
    membership = ClinicMembership.objects.get(clinic=a, user=world.users["a_approver"])
    client = login("alpha_owner")
    # when the removal is asked
    html = client.post(PEOPLE, {"action": "remove", "membership": membership.pk}).content.decode()
    # then: no contradiction about replies, the facts and the crisis role, each a gap
    assert (
        "A Approver is the only approver of Clinic A: no reply or statement waits for the "
        "clinic&#x27;s approval now, but each one submitted will wait until the clinic has "
        "another approver. Add another approver"
    ) in html
    assert "They keep waiting: add another approver" not in html.split("2 facts")[0]
    assert (
        "2 facts of the fact sheet wait for A Approver&#x27;s confirmation, and nobody else of "
        "the clinic may confirm them."
    ) in html
    assert '<a href="/clinics/clinic-a/facts/">Fact sheet</a>' in html
    assert (
        "Crisis team of Clinic A: Comms / PR. Ended with the removal. Nobody else of the "
        "clinic holds Comms / PR: give it to another of its people on this page."
    ) in html
    gaps = html.split('id="confirm-gaps"')[1].split("</div>")[0]
    assert gaps.count("<li>Clinic A:") == 3
    # and the owners' and managers' e-mail says the same
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PEOPLE, {"action": "remove", "membership": membership.pk, "confirm": "yes"})
    body = next(m for m in mailoutbox if m.to == ["manager@alpha.test"]).body
    assert "- 2 facts of the fact sheet wait for A Approver's confirmation" in body
    assert "- Crisis team of Clinic A: Comms / PR. Ended with the removal." in body
    assert "/clinics/clinic-a/facts/" in body
