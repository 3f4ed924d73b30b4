"""`POST drafts/<id>/remind/`, `statements/<id>/remind/` and `reply-batches/<id>/remind/`: the
approval pages' "Remind them" through the API. Whoever writes reminds the people a text waits
for (in-app and by e-mail, audited), at most once per half hour for one version; the answer and
each text's detail (`waiting`) name those people as the pages do, never by e-mail address.
Refusals change nothing and tell nobody."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import schema_context

from accounts.models import User
from clinics.models import Notification, clinic_zone
from responses.models import AuditEntry, ReplyBatch, ReplyDraft, Statement
from responses.services.workflow import REMIND_EVERY
from tests.responses.conftest import BLOCK_TEXT, OK_TEXT, Api, review_in

KINDS = {  # kind -> (its path, the audit trail's object type, the model)
    "draft": ("drafts", "reply", ReplyDraft),
    "statement": ("statements", "statement", Statement),
    "batch": ("reply-batches", "reply_batch", ReplyBatch),
}
NOT_ALLOWED = {"detail": "Your role in this clinic does not allow you to triage, draft and run incidents.",
               "code": "permission_denied"}  # fmt: skip
NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


@pytest.fixture
def as_user(login):
    """as_user("alpha_writer", clinic) -> that person's JSON calls to the clinic's API."""
    return lambda name, clinic: Api(login(name), clinic)


def _created(kind: str, clinic, writer: Api, *, text: str = OK_TEXT) -> tuple[str, int]:
    """A new text of `kind` by the writer: its path ("drafts/7/") and id."""
    if kind == "draft":
        body = {"review_id": review_in(clinic, "csv").pk, "text": text}
    elif kind == "statement":
        body = {"title": "Opening hours", "body": "Open 8 to 6, walk-ins welcome."}
    else:
        body = {"review_ids": [review_in(clinic, "csv").pk for _ in range(2)], "text": text}
    created = writer.post(f"{KINDS[kind][0]}/", body)
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    return f"{KINDS[kind][0]}/{pk}/", pk


def _submitted(kind: str, clinic, writer: Api) -> tuple[str, int]:
    """A text of `kind` the writer submitted: it waits for the agency's approval."""
    path, pk = _created(kind, clinic, writer)
    submitted = writer.post(f"{path}submit/", {})
    assert submitted.json()["status"] == "pending_agency", submitted.json()
    return path, pk


def _reminders(clinic, kind: str, pk: int) -> tuple[int, int]:
    """How many reminders of this text the audit trail and the people's notices hold."""
    object_type = KINDS[kind][1]
    notices = Notification.objects.filter(
        ref=f"{object_type}:{pk}", title__startswith="Reminder from "
    ).count()
    with schema_context(clinic.schema_name):
        audited = AuditEntry.objects.filter(
            object_type=object_type, object_id=pk, action="reminded"
        ).count()
    return audited, notices


def _person(world, name: str, role: str) -> dict:
    user = world.users[name]
    return {"label": f"user:{user.pk}", "name": user.full_name, "role": role}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_writer_reminds_the_people_the_text_waits_for(
    kind, clinic_a, world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    # given a text waiting for the agency's approval (its owner and its manager)
    writer = as_user("alpha_writer", clinic_a)
    path, pk = _submitted(kind, clinic_a, writer)
    object_type = KINDS[kind][1]
    owner, manager = world.users["alpha_owner"], world.users["alpha_manager"]
    mailoutbox.clear()

    # when the writer reminds them, without a body
    with django_capture_on_commit_callbacks(execute=True):
        answer = writer.client.post(writer.url(f"{path}remind/"))

    # then the answer names whom it waits for, with the reminder
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert {key: body[key] for key in ("step", "label", "people", "barred", "reminded_by")} == {
        "step": "agency",
        "label": "agency approval",
        "people": [_person(world, "alpha_owner", "owner"),
                   _person(world, "alpha_manager", "manager")],
        "barred": [],
        "reminded_by": "Alpha Writer",
    }  # fmt: skip
    reminded_at = parse_datetime(body["reminded_at"])
    assert parse_datetime(body["told_at"]) == reminded_at
    assert parse_datetime(body["remind_from"]) == reminded_at + REMIND_EVERY
    # and each of them is told again: an open in-app line marked as a reminder, and an e-mail
    notices = Notification.objects.filter(ref=f"{object_type}:{pk}", open=True)
    # naming who reminds them and their agency (the agency's own people know it by its name)
    by = "Reminder from Alpha Writer (Alpha Agency): "
    assert sorted((n.user_id, n.title.startswith(by)) for n in notices) == [
        (owner.pk, True),
        (manager.pk, True),
    ]
    assert sorted(mail.to[0] for mail in mailoutbox) == ["manager@alpha.test", "owner@alpha.test"]
    assert all(mail.subject.startswith(f"[Clinic A] {by}") for mail in mailoutbox)
    assert all("Alpha Writer of Alpha Agency reminded you." in mail.body for mail in mailoutbox)
    # and the audit trail has it
    with schema_context(clinic_a.schema_name):
        [entry] = AuditEntry.objects.filter(
            object_type=object_type, object_id=pk, action="reminded"
        )
    assert entry.actor_label == f"user:{world.users['alpha_writer'].pk}"
    assert entry.detail == {"step": "agency", "people": [owner.pk, manager.pk]}
    # and the text's detail says whom it waits for, reminded
    waiting = writer.get(path).json()["waiting"]
    assert (waiting["people"], waiting["reminded_by"]) == (body["people"], "Alpha Writer")
    assert abs(parse_datetime(waiting["reminded_at"]) - reminded_at).total_seconds() < 5


def test_a_second_reminder_within_half_an_hour_is_409_and_tells_nobody(
    clinic_a, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    # given a draft the writer just reminded the agency about
    writer = as_user("alpha_writer", clinic_a)
    path, pk = _submitted("draft", clinic_a, writer)
    assert writer.post(f"{path}remind/").status_code == 200
    assert _reminders(clinic_a, "draft", pk) == (1, 2)
    mailoutbox.clear()

    # when the manager (who writes too) reminds them again at once
    with django_capture_on_commit_callbacks(execute=True):
        again = as_user("alpha_manager", clinic_a).post(f"{path}remind/")

    # then it is refused, saying who reminded them and when one may again, and nothing is sent
    assert again.status_code == 409
    assert again.json() == {
        "detail": "Alpha Writer reminded Alpha Owner or Alpha Manager just now; you can remind "
        "them again in 30 minutes.",
        "code": "reminded_recently",
    }
    assert _reminders(clinic_a, "draft", pk) == (1, 2)
    assert mailoutbox == []


def _approved(writer: Api, manager: Api, approver: Api, path: str) -> None:
    assert writer.post(f"{path}submit/").status_code == 200
    assert manager.post(f"{path}approve/").status_code == 200
    assert approver.post(f"{path}approve/").json()["status"] == "approved"


@pytest.mark.parametrize("state", ["not-submitted", "sent-back", "approved"])
def test_a_draft_that_waits_for_nobody_is_409_not_waiting(state, clinic_a, as_user):
    # given a draft that waits for nobody's approval
    writer, manager = as_user("alpha_writer", clinic_a), as_user("alpha_manager", clinic_a)
    path, pk = _created("draft", clinic_a, writer)
    if state == "sent-back":
        assert writer.post(f"{path}submit/").status_code == 200
        assert manager.post(f"{path}reject/", {"comment": "Shorter, please."}).status_code == 200
    elif state == "approved":
        _approved(writer, manager, as_user("a_approver", clinic_a), path)
    status = writer.get(path).json()["status_label"]
    assert writer.get(path).json()["waiting"] is None

    # when the writer reminds
    answer = writer.post(f"{path}remind/")

    # then
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": f"It waits for nobody's approval (it is “{status}”).",
        "code": "not_waiting",
    }
    assert _reminders(clinic_a, "draft", pk) == (0, 0)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_another_clinics_text_is_404(kind, clinic_a, clinic_b, as_user, api):
    # given a text of clinic A waiting for the agency
    path, pk = _submitted(kind, clinic_a, as_user("alpha_writer", clinic_a))
    key_b = api("key_b")
    # when clinic B's key reminds about it, in clinic B (no such text) and in clinic A
    for clinic in (clinic_b, clinic_a):
        answer = key_b.post(f"/clinics/{clinic.slug}/api/v1/{path}remind/")
        # then it finds nothing
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND), clinic.slug
    # nor does the agency's writer through clinic B, nor clinic B's approver
    assert as_user("alpha_writer", clinic_b).post(f"{path}remind/").json() == NOT_FOUND
    assert as_user("b_approver", clinic_a).post(f"{path}remind/").json() == NOT_FOUND
    with schema_context(clinic_b.schema_name):
        assert not KINDS[kind][2].objects.filter(pk=pk).exists()
    assert _reminders(clinic_a, kind, pk) == (0, 0)


@pytest.mark.parametrize(
    ("kind", "who"),
    [("draft", "a_approver"), ("draft", "alpha_analyst"), ("draft", "a_viewer"),
     ("draft", "a_legal"), ("statement", "a_approver"), ("batch", "alpha_analyst")],
)  # fmt: skip
def test_those_who_do_not_write_may_not_remind(kind, who, clinic_a, as_user):
    # given a text waiting for the agency, and a person who reads it but does not write
    path, pk = _submitted(kind, clinic_a, as_user("alpha_writer", clinic_a))
    caller = as_user(who, clinic_a)
    if who.startswith("a_"):
        # the clinic's own people do not see the agency's text before it reaches their step
        # (responses.selectors.visible_to): it is not found; reminding is refused by role
        # first, whatever the id (so the answer tells nothing of the text)
        assert caller.get(path).status_code == 404
        answer = caller.post(f"{path}remind/")
        assert (answer.status_code, answer.json()) == (403, NOT_ALLOWED)
        assert _reminders(clinic_a, kind, pk) == (0, 0)
        return
    assert caller.get(path).json()["waiting"]["step"] == "agency"
    # when they remind
    answer = caller.post(f"{path}remind/")
    # then they may not, as on the pages (no button there), and nobody is told
    assert (answer.status_code, answer.json()) == (403, NOT_ALLOWED)
    assert _reminders(clinic_a, kind, pk) == (0, 0)


def test_a_read_only_key_may_not_remind_and_a_write_key_may(clinic_a, as_user, api):
    writer = as_user("alpha_writer", clinic_a)
    path, pk = _submitted("statement", clinic_a, writer)
    url = f"/clinics/{clinic_a.slug}/api/v1/{path}remind/"
    refused = api("key_a_read").post(url)
    assert (refused.status_code, refused.json()) == (403, {
        "detail": "This API key's scopes (read) do not allow it to triage, draft and run "
        "incidents: that needs a key with the write scope.",
        "code": "permission_denied",
    })  # fmt: skip
    assert _reminders(clinic_a, "statement", pk) == (0, 0)
    done = api("key_a").post(url)
    assert done.status_code == 200, done.json()
    assert done.json()["reminded_by"] == "API key key_a"
    assert _reminders(clinic_a, "statement", pk) == (1, 2)


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ({"note": "please"}, (400, {"detail": "Invalid input.", "code": "invalid",
                                    "fields": {"note": ["Unknown field."]}})),
        ({"expected_version": "two"}, (400, {"detail": "Invalid input.", "code": "invalid",
                                             "fields": {"expected_version":
                                                        ["A valid integer is required."]}})),
        # a version ahead of the latest is said to be none (walk 14)
        ({"expected_version": 2}, (409, {"detail": "There is no version 2: the latest is "
                                                   "version 1. Reload it.", "code": "stale"})),
        ({"expected_status": "pending_client"},
         # (who acted, when: the writer themself submitted it, `{at}` in the clinic's time)
         (409, {"detail": "You submitted it at {at} (on another device or tab): it is now "
                          "“Waiting for the agency”. Reload it.", "code": "stale"})),
    ],
    ids=["unknown-field", "not-a-number", "other-version", "other-status"],
)  # fmt: skip
def test_a_bad_or_outdated_body_reminds_nobody(body, answer, clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    path, pk = _submitted("draft", clinic_a, writer)
    refused = writer.post(f"{path}remind/", body)
    with schema_context(clinic_a.schema_name):
        submitted = AuditEntry.objects.filter(
            object_type="reply", object_id=pk, action="submitted"
        ).latest("id")
    at = f"{timezone.localtime(submitted.created_at, clinic_zone(clinic_a)):%H:%M}"
    assert (refused.status_code, refused.json()) == (
        answer[0],
        {**answer[1], "detail": answer[1]["detail"].format(at=at)},
    )
    assert _reminders(clinic_a, "draft", pk) == (0, 0)
    # what was read, sent back, is fine
    fine = writer.post(f"{path}remind/", {"expected_status": "pending_agency",
                                          "expected_version": 1})  # fmt: skip
    assert fine.status_code == 200, fine.json()


def test_a_batch_remind_takes_its_etag_as_if_match(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    path, pk = _submitted("batch", clinic_a, writer)
    url = writer.url(f"{path}remind/")
    stale = writer.client.post(url, {}, content_type="application/json",
                               HTTP_IF_MATCH=f'"batch-{pk}-v2"')  # fmt: skip
    assert (stale.status_code, stale.json()["code"]) == (409, "stale")
    assert _reminders(clinic_a, "batch", pk) == (0, 0)
    etag = writer.get(path)["ETag"]
    done = writer.client.post(url, {}, content_type="application/json", HTTP_IF_MATCH=etag)
    assert done.status_code == 200, done.json()
    # a mention's own draft is reminded about through its batch
    member = writer.get(path).json()["items"][0]["draft_id"]
    refused = writer.post(f"drafts/{member}/remind/")
    assert (refused.status_code, refused.json()["code"]) == (409, "in_batch")
    assert _reminders(clinic_a, "draft", member) == (0, 0)


def test_the_detail_names_the_people_without_their_e_mail_addresses(clinic_a, world, as_user):
    # given a draft waiting for the agency, whose manager has no name on record
    writer = as_user("alpha_writer", clinic_a)
    path, _ = _submitted("draft", clinic_a, writer)
    User.objects.filter(pk=world.users["alpha_manager"].pk).update(full_name="")
    # when someone who only reads it asks
    answer = as_user("alpha_analyst", clinic_a).get(path)
    # then the people are named by name and role, never by e-mail address
    waiting = answer.json()["waiting"]
    assert waiting["people"] == [
        _person(world, "alpha_owner", "owner"),
        {"label": f"user:{world.users['alpha_manager'].pk}", "name": "", "role": "manager"},
    ]
    assert (waiting["step"], waiting["label"], waiting["barred"]) == ("agency", "agency approval",
                                                                      [])  # fmt: skip
    assert waiting["told_at"] is not None
    assert (waiting["reminded_at"], waiting["reminded_by"], waiting["remind_from"]) == (
        None, "", None)  # fmt: skip
    assert "@alpha.test" not in answer.content.decode()


def test_a_blocked_text_waits_for_legal_and_legal_is_reminded(
    clinic_a, world, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    # given a draft the privacy check blocks, submitted: it waits for legal to lift the block
    writer = as_user("alpha_writer", clinic_a)
    path, pk = _created("draft", clinic_a, writer, text=BLOCK_TEXT)
    assert writer.get(path).json()["waiting"] is None  # only saved: nobody is asked
    assert writer.post(f"{path}submit/", {}).json()["status"] == "draft"
    waiting = writer.get(path).json()["waiting"]
    assert (waiting["step"], waiting["label"]) == ("guard", "legal review of the privacy block")
    # legal is named by the role it holds (never "viewer", as someone who only reads)
    assert waiting["people"] == [_person(world, "a_legal", "Legal / compliance")]
    mailoutbox.clear()
    # when the writer reminds
    with django_capture_on_commit_callbacks(execute=True):
        answer = writer.post(f"{path}remind/")
    # then legal is told again
    assert answer.status_code == 200, answer.json()
    assert [mail.to for mail in mailoutbox] == [["a_legal@clinics.test"]]
    assert mailoutbox[0].subject.startswith(
        "[Clinic A] Reminder from Alpha Writer (Alpha Agency): "
    )
    assert _reminders(clinic_a, "draft", pk) == (1, 1)
