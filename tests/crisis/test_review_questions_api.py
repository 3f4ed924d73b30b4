"""The clinic's questions on a post-crisis review beyond its pages: listed and answered through
the API (`GET incidents/<id>/review/questions/`, `POST .../questions/<id>/answer/`) with the
service's own rules and words, and on the incident's timeline — the agency's and the clinic's
copy, each in its words. Who may do what is the matrix below."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.credentials import api_key_create
from clinics.models import Notification, clinic_zone
from crisis.models import Incident, ReviewQuestion
from crisis.services.review_questions import review_question_ask
from crisis.timeline import review_timeline
from tests.crisis.conftest import resolved_anyway

API = "/clinics/clinic-a/api/v1/incidents/{}/review/questions/"
QUESTION = "The billing fault is not fixed: two patients were charged twice again on Friday."
ANSWER = "We found the second charge run; refunds go out Monday."


@pytest.fixture
def asked(clinic_a, world, login, django_capture_on_commit_callbacks):
    """A resolved incident whose review Alpha Manager sent to clinic A, and A Approver's
    question on it, not answered yet."""
    now = timezone.now()
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.create(
            kind="surge", title="Billing surge", severity="high", trigger={},
            opened_at=now, last_detected_at=now,
        )  # fmt: skip
        resolved_anyway(incident, django_capture_on_commit_callbacks, at=now)
    with django_capture_on_commit_callbacks(execute=True):
        sent = login("alpha_manager").post(API.format(incident.pk).replace("questions/", "send/"))
    assert sent.status_code == 200, sent.content
    with schema_context(clinic_a.schema_name):
        question = review_question_ask(
            incident_id=incident.pk,
            clinic=clinic_a,
            actor=Actor(user=world.users["a_approver"]),
            text=QUESTION,
        )
    Notification.objects.filter(kind__in=["review_question", "review_answer"]).delete()
    return incident, question


def _clinic_key(world, clinic_a) -> Client:
    """A clinic key with `write` that the clinic's own approver created: the clinic's side."""
    _, issued = api_key_create(
        agency=world.agencies["alpha"], clinic=clinic_a, name="clinic's own",
        scopes=["read", "write"], created_by=world.users["a_approver"],
    )  # fmt: skip
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def _client(who, login, api, world, clinic_a) -> Client:
    if who == "clinic key (write) by its approver":
        return _clinic_key(world, clinic_a)
    return api(who) if who.startswith("key_") else login(who)


def _stored(clinic, question) -> tuple[str, str]:
    with schema_context(clinic.schema_name):
        found = ReviewQuestion.objects.get(pk=question.pk)
        return found.answer, found.answered_by_name


# who -> (list, answer): the status each gets
MATRIX = {
    "alpha_owner": (200, 200),
    "alpha_manager": (200, 200),
    "alpha_writer": (200, 200),
    "alpha_analyst": (200, 403),  # reads, never writes
    "a_approver": (200, 403),  # the clinic asks; the agency answers
    "a_legal": (200, 403),
    "a_viewer": (200, 403),
    "key_a": (200, 200),  # a key of the agency's with `write`
    "key_alpha": (200, 200),
    "key_a_read": (200, 403),
    "clinic key (write) by its approver": (200, 403),
    "b_approver": (404, 404),  # another clinic's people and keys: as if it did not exist
    "key_b": (404, 404),
    "beta_owner": (404, 404),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_who_lists_and_who_answers(
    who, asked, clinic_a, world, login, api, mailoutbox, django_capture_on_commit_callbacks
):
    incident, question = asked
    listing, answering = MATRIX[who]
    client = _client(who, login, api, world, clinic_a)
    mailoutbox.clear()
    # when they list the review's questions
    listed = client.get(API.format(incident.pk))
    # then those who may read the clinic's incidents read them all
    assert listed.status_code == listing, listed.content
    if listing == 200:
        [row] = listed.json()["results"]
        assert row == {
            "id": question.pk,
            "text": QUESTION,
            "asked_by": "A Approver",
            "asked_at": row["asked_at"],
            "answer": "",
            "answered_by": "",
            "answered_at": None,
        }
    # when they answer it
    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(
            f"{API.format(incident.pk)}{question.pk}/answer/",
            {"answer": ANSWER},
            content_type="application/json",
        )
    assert answered.status_code == answering, answered.content
    if answering == 200:
        assert answered.json()["answer"] == ANSWER
        assert _stored(clinic_a, question)[0] == ANSWER
        assert [m.to for m in mailoutbox] == [[world.users["a_approver"].email]]
    else:
        # a refusal changes nothing and tells nobody
        assert _stored(clinic_a, question) == ("", "")
        assert not Notification.objects.filter(kind="review_answer").exists()
        assert mailoutbox == []
    if answering == 403:
        assert answered.json()["code"] == "permission_denied"


def test_the_agency_answers_through_the_api_as_on_its_page(
    asked, clinic_a, world, login, mailoutbox, django_capture_on_commit_callbacks
):
    incident, question = asked
    mailoutbox.clear()
    # when a writer answers through the API, with spaces around the answer
    with django_capture_on_commit_callbacks(execute=True):
        answered = login("alpha_writer").post(
            f"{API.format(incident.pk)}{question.pk}/answer/",
            {"answer": f"  {ANSWER}\n"},
            content_type="application/json",
        )
    # then the question carries the answer, by whom and when
    assert answered.status_code == 200, answered.content
    body = answered.json()
    assert (body["id"], body["answer"], body["answered_by"]) == (
        question.pk,
        ANSWER,
        "Alpha Writer",
    )
    assert body["answered_at"] is not None
    # and the asker is told in-app and by e-mail, with the portal's link, as from the page
    notice = Notification.objects.get(kind="review_answer")
    assert (notice.user_id, notice.open) == (world.users["a_approver"].pk, True)
    assert [m.to for m in mailoutbox] == [["a_approver@clinics.test"]]
    assert ANSWER not in mailoutbox[0].body  # read on the review, after signing in
    # and the clinic lists it answered
    [row] = login("a_viewer").get(API.format(incident.pk)).json()["results"]
    assert (row["answer"], row["answered_by"]) == (ANSWER, "Alpha Writer")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"answer": ["This field is required."]}),
        ({"answer": "   "}, {"answer": ["This is required."]}),
        ({"answer": "x" * 4001}, {"answer": ["At most 4000 characters (4001 now)."]}),
        ({"answer": 5}, {"answer": ["Must be a string."]}),
        ({"answer": None}, {"answer": ["This field may not be null."]}),
    ],
    ids=["missing", "blank", "too-long", "number", "null"],
)
def test_a_bad_answer_is_a_400_naming_the_field_and_changes_nothing(
    body, fields, asked, clinic_a, login, mailoutbox
):
    incident, question = asked
    mailoutbox.clear()
    answer = login("alpha_writer").post(
        f"{API.format(incident.pk)}{question.pk}/answer/", body, content_type="application/json"
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["fields"] == fields
    assert _stored(clinic_a, question) == ("", "")
    assert mailoutbox == [] and not Notification.objects.filter(kind="review_answer").exists()


def test_the_services_words_say_why(asked, login):
    incident, question = asked
    answer = login("alpha_writer").post(
        f"{API.format(incident.pk)}{question.pk}/answer/",
        {"answer": ""},
        content_type="application/json",
    )
    assert answer.json() == {
        "detail": "Write your answer first.",
        "code": "invalid",
        "fields": {"answer": ["This is required."]},
    }


def test_a_question_elsewhere_is_a_404(asked, clinic_a, login):
    incident, question = asked
    writer = login("alpha_writer")
    answer = {"answer": ANSWER}
    # another incident's, an unknown one, and clinic A's question asked for through clinic B
    with schema_context(clinic_a.schema_name):
        other = Incident.objects.create(
            kind="surge", title="Other", severity="low", trigger={},
            opened_at=timezone.now(), last_detected_at=timezone.now(),
        )  # fmt: skip
    for url in [
        f"{API.format(other.pk)}{question.pk}/answer/",
        f"{API.format(incident.pk)}999999/answer/",
        f"/clinics/clinic-b/api/v1/incidents/{incident.pk}/review/questions/{question.pk}/answer/",
    ]:
        response = writer.post(url, answer, content_type="application/json")
        assert response.status_code == 404, (url, response.content)
    assert _stored(clinic_a, question) == ("", "")


def test_listing_a_running_incidents_questions_is_a_409_and_an_unknown_one_a_404(clinic_a, login):
    with schema_context(clinic_a.schema_name):
        running = Incident.objects.create(
            kind="surge", title="Running", severity="low", trigger={},
            opened_at=timezone.now(), last_detected_at=timezone.now(),
        )  # fmt: skip
    client = login("alpha_writer")
    assert client.get(API.format(running.pk)).json()["code"] == "not_resolved"
    assert client.get(API.format(999999)).status_code == 404


def _questions(timeline) -> list[tuple[str, str, str]]:
    return [
        (line["what"], line["who"], line["details"])
        for line in timeline
        if line["source"] == "review_question"
    ]


def test_the_question_and_its_answer_are_on_both_timelines(
    asked, clinic_a, login, django_capture_on_commit_callbacks
):
    incident, question = asked
    # given the question, not answered yet
    with schema_context(clinic_a.schema_name):
        assert _questions(review_timeline(incident, clinic_a)) == [
            ("Clinic A asked about the post-crisis review", "A Approver", QUESTION)
        ]
    # when the agency answers it
    with django_capture_on_commit_callbacks(execute=True):
        login("alpha_writer").post(
            f"{API.format(incident.pk)}{question.pk}/answer/",
            {"answer": ANSWER},
            content_type="application/json",
        )
    # then the agency's timeline (its room, its API) says who asked and who answered
    staff = (
        login("alpha_writer")
        .get(f"/clinics/clinic-a/api/v1/incidents/{incident.pk}/review/")
        .json()["timeline"]
    )
    assert _questions(staff) == [
        ("Clinic A asked about the post-crisis review", "A Approver", QUESTION),
        ("Answered Clinic A's question on the post-crisis review", "Alpha Writer", ANSWER),
    ]
    assert [line["category_label"] for line in staff if line["source"] == "review_question"] == [
        "Review",
        "Review",
    ]
    room = login("alpha_writer").get(f"/clinics/clinic-a/incidents/{incident.pk}/").content
    assert "Answered Clinic A&#x27;s question on the post-crisis review" in room.decode()
    # and the clinic's copy (its API, the review it reads) says it in its words, its
    # agency by its brand
    clinic = (
        login("a_approver")
        .get(f"/clinics/clinic-a/api/v1/incidents/{incident.pk}/review/")
        .json()["timeline"]
    )
    assert _questions(clinic) == [
        ("Question for Alpha Agency on the post-crisis review", "A Approver", QUESTION),
        ("Alpha Agency answered the question on the post-crisis review", "Alpha Writer", ANSWER),
    ]
    portal = login("a_approver").get(f"/clinics/clinic-a/portal/incidents/{incident.pk}/review/")
    assert "Alpha Agency answered the question on the post-crisis review" in portal.content.decode()
    # and the incident's page in the portal tells them too, linked to the question
    page = login("a_viewer").get(f"/clinics/clinic-a/portal/incidents/{incident.pk}/")
    html = page.content.decode()
    link = f'href="/clinics/clinic-a/portal/incidents/{incident.pk}/review/#question-{question.pk}"'
    assert "<strong>Question for Alpha Agency</strong> — " + QUESTION in html
    assert "<strong>Alpha Agency answered</strong> — " + ANSWER in html
    assert html.count(link) == 2


def test_a_second_answer_is_a_409_naming_who_answered_when_and_changes_nothing(
    asked, clinic_a, login, mailoutbox, django_capture_on_commit_callbacks
):
    incident, question = asked
    url = f"{API.format(incident.pk)}{question.pk}/answer/"
    with django_capture_on_commit_callbacks(execute=True):
        first = login("alpha_writer").post(url, {"answer": ANSWER})
    assert first.status_code == 200, first.content
    mailoutbox.clear()
    # when another answer is sent for it
    with django_capture_on_commit_callbacks(execute=True):
        again = login("alpha_manager").post(url, {"answer": "Refunds went out."})
    # then it is refused, saying who answered and when; the first answer stands
    assert again.status_code == 409, again.content
    body = again.json()
    assert body["code"] == "already_answered"
    when = timezone.localtime(
        timezone.datetime.fromisoformat(first.json()["answered_at"]), clinic_zone(clinic_a)
    ).strftime("%Y-%m-%d %H:%M %Z")
    assert body["detail"] == (
        f"Alpha Writer already answered this question ({when}), and the clinic reads that "
        "answer: it stays as it was given. Nothing was changed."
    )
    assert _stored(clinic_a, question) == (ANSWER, "Alpha Writer")
    assert mailoutbox == []
    assert Notification.objects.filter(kind="review_answer").count() == 1
