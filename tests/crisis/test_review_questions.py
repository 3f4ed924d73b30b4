"""The clinic's questions or corrections on a post-crisis review (walk 13, #7): its approver and
legal people ask on the portal's review page; the question is kept with the review and the
person who sent it (or, gone, the agency's owners and managers) is told in-app and by e-mail;
the agency answers on its review page and the clinic reads the answer; the asker is told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from agency.models import AgencyMembership
from clinics.models import Notification
from crisis.models import Incident, ReviewQuestion
from crisis.services.review_questions import QUESTIONS_PER_HOUR
from tests.crisis.conftest import resolved_anyway

PORTAL = "/clinics/clinic-a/portal/incidents/{}/review/"
STAFF = "/clinics/clinic-a/incidents/{}/review/"
QUESTION = "The billing fault is not fixed: two patients were charged twice again on Friday."


@pytest.fixture
def sent(clinic_a, login, django_capture_on_commit_callbacks):
    """A resolved incident whose review Alpha Manager sent to clinic A."""
    now = timezone.now()
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.create(
            kind="surge", title="Billing surge", severity="high", trigger={},
            opened_at=now, last_detected_at=now,
        )  # fmt: skip
        resolved_anyway(incident, django_capture_on_commit_callbacks, at=now)
    with django_capture_on_commit_callbacks(execute=True):
        sent = login("alpha_manager").post(
            f"/clinics/clinic-a/api/v1/incidents/{incident.pk}/review/send/"
        )
    assert sent.status_code == 200, sent.content
    return incident


def _ask(client, incident, text, capture):
    with capture(execute=True):
        return client.post(PORTAL.format(incident.pk), {"text": text})


def _questions(clinic, incident) -> list[tuple[str, str, str]]:
    with schema_context(clinic.schema_name):
        return list(
            ReviewQuestion.objects.filter(review__incident=incident).values_list(
                "asked_by_name", "text", "answer"
            )
        )


@pytest.mark.parametrize("person", ["a_approver", "a_legal"])
def test_the_clinic_asks_and_the_manager_who_sent_it_is_told(
    person, sent, clinic_a, world, login, mailoutbox, django_capture_on_commit_callbacks
):
    # given the review's page in the portal offers the form
    client = login(person)
    page = client.get(PORTAL.format(sent.pk)).content.decode()
    assert "Questions or corrections for Alpha" in page
    mailoutbox.clear()
    # when the clinic's person asks
    response = _ask(client, sent, f"  {QUESTION}  ", django_capture_on_commit_callbacks)
    # then it is kept with the review, and the page shows it, not answered yet
    assert response.status_code == 302
    name = world.users[person].full_name
    assert _questions(clinic_a, sent) == [(name, QUESTION, "")]
    page = client.get(PORTAL.format(sent.pk)).content.decode()
    assert QUESTION in page and "Not answered yet." in page
    # and the manager who sent it is told in-app and by e-mail, with a link to the agency page
    manager = world.users["alpha_manager"]
    told = Notification.objects.filter(kind="review_question")
    assert [(n.user_id, n.url.split("#")[0]) for n in told] == [(manager.pk, STAFF.format(sent.pk))]
    assert [m.to for m in mailoutbox] == [[manager.email]]
    assert f"asks about the post-crisis review of incident #{sent.pk}" in mailoutbox[0].subject
    # the words stay behind the sign-in (the clinic may name patients): a link, no quote
    assert "charged twice" not in mailoutbox[0].body
    assert STAFF.format(sent.pk) in mailoutbox[0].body


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("   ", "Write your question first."),
        ("x" * 2001, "Your question is 2001 characters long: at most 2000."),
    ],
    ids=["empty", "too-long"],
)
def test_bad_input_is_a_form_error_and_nothing_is_stored(
    text, error, sent, clinic_a, login, mailoutbox, django_capture_on_commit_callbacks
):
    mailoutbox.clear()
    response = _ask(login("a_approver"), sent, text, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert _questions(clinic_a, sent) == []
    assert not Notification.objects.filter(kind="review_question").exists()
    assert mailoutbox == []


def test_a_viewer_is_offered_no_form_and_is_refused(
    sent, clinic_a, login, django_capture_on_commit_callbacks
):
    client = login("a_viewer")
    page = client.get(PORTAL.format(sent.pk)).content.decode()
    assert 'name="text"' not in page
    response = _ask(client, sent, QUESTION, django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert _questions(clinic_a, sent) == []


def test_the_owners_and_managers_are_told_when_the_sender_is_gone(
    sent, clinic_a, world, login, mailoutbox, django_capture_on_commit_callbacks
):
    # given the manager who sent the review has left the agency
    manager = world.users["alpha_manager"]
    membership = AgencyMembership.objects.get(user=manager)
    membership.delete()
    mailoutbox.clear()
    _ask(login("a_approver"), sent, QUESTION, django_capture_on_commit_callbacks)
    told = set(
        Notification.objects.filter(kind="review_question").values_list("user_id", flat=True)
    )
    assert told == {world.users["alpha_owner"].pk}
    assert sorted(m.to[0] for m in mailoutbox) == [world.users["alpha_owner"].email]


def test_the_agency_answers_and_the_clinic_reads_it_and_the_asker_is_told(
    sent, clinic_a, world, login, mailoutbox, django_capture_on_commit_callbacks
):
    _ask(login("a_approver"), sent, QUESTION, django_capture_on_commit_callbacks)
    with schema_context(clinic_a.schema_name):
        question = ReviewQuestion.objects.get()
    staff = login("alpha_writer")
    page = staff.get(STAFF.format(sent.pk)).content.decode()
    assert "The clinic's questions (1)" in page and QUESTION in page
    mailoutbox.clear()
    # when a writer answers it on the agency's page
    answer = "We found the second charge run; refunds go out Monday."
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            STAFF.format(sent.pk),
            {"action": "answer", "question": question.pk, "answer": answer},
        )
    assert response.status_code == 302
    # then the clinic reads it on the review, and the asker is told in-app and by e-mail
    assert _questions(clinic_a, sent) == [(world.users["a_approver"].full_name, QUESTION, answer)]
    approver = world.users["a_approver"]
    notice = Notification.objects.get(kind="review_answer")
    assert (notice.user_id, notice.open) == (approver.pk, True)
    assert [m.to for m in mailoutbox] == [[approver.email]]
    assert answer not in mailoutbox[0].body and "charged twice" not in mailoutbox[0].body
    assert PORTAL.format(sent.pk) in mailoutbox[0].body
    page = login("a_approver").get(PORTAL.format(sent.pk)).content.decode()
    assert answer in page
    # reading it there closes the notice; the question's notice to the agency closed too
    notice.refresh_from_db()
    assert notice.open is False
    assert not Notification.objects.filter(kind="review_question", open=True).exists()


def test_an_empty_answer_is_refused_and_nothing_changes(
    sent, clinic_a, login, mailoutbox, django_capture_on_commit_callbacks
):
    _ask(login("a_approver"), sent, QUESTION, django_capture_on_commit_callbacks)
    with schema_context(clinic_a.schema_name):
        question = ReviewQuestion.objects.get()
    mailoutbox.clear()
    response = login("alpha_writer").post(
        STAFF.format(sent.pk), {"action": "answer", "question": question.pk, "answer": " "}
    )
    assert response.status_code == 302
    assert _questions(clinic_a, sent)[0][2] == ""
    assert mailoutbox == []


def test_asking_is_throttled_per_person_and_review(
    sent, clinic_a, world, login, mailoutbox, django_capture_on_commit_callbacks
):
    client = login("a_approver")
    for n in range(QUESTIONS_PER_HOUR):
        assert (
            _ask(client, sent, f"{QUESTION} ({n})", django_capture_on_commit_callbacks).status_code
            == 302
        )
    mailoutbox.clear()
    told = Notification.objects.filter(kind="review_question").count()
    # when the same person asks once more within the hour
    refused = _ask(client, sent, "One more point", django_capture_on_commit_callbacks)
    # then a clear refusal, the text kept on the page, and nothing stored or sent
    assert refused.status_code == 429
    page = refused.content.decode()
    assert f"You asked {QUESTIONS_PER_HOUR} questions on this review in the last hour" in page
    assert "One more point" in page
    assert len(_questions(clinic_a, sent)) == QUESTIONS_PER_HOUR
    assert Notification.objects.filter(kind="review_question").count() == told
    assert mailoutbox == []
    # another of the clinic's people still asks
    other = _ask(login("a_legal"), sent, "One more point", django_capture_on_commit_callbacks)
    assert other.status_code == 302
    # and an hour later the first may ask again
    with schema_context(clinic_a.schema_name):
        ReviewQuestion.objects.update(created_at=timezone.now() - timedelta(hours=1, minutes=1))
    assert (
        _ask(client, sent, "One more point", django_capture_on_commit_callbacks).status_code == 302
    )


def test_a_second_answer_on_the_page_is_refused_naming_the_first_and_changes_nothing(
    sent, clinic_a, world, login, mailoutbox, django_capture_on_commit_callbacks
):
    # given a question the writer answered
    _ask(login("a_approver"), sent, QUESTION, django_capture_on_commit_callbacks)
    with schema_context(clinic_a.schema_name):
        question = ReviewQuestion.objects.get()
    first = "We found the second charge run; refunds go out Monday."
    with django_capture_on_commit_callbacks(execute=True):
        login("alpha_writer").post(
            STAFF.format(sent.pk), {"action": "answer", "question": question.pk, "answer": first}
        )
    with schema_context(clinic_a.schema_name):
        answered_at = ReviewQuestion.objects.get().answered_at
    mailoutbox.clear()
    # when the manager, whose page was open before, sends another answer
    manager = login("alpha_manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            STAFF.format(sent.pk),
            {"action": "answer", "question": question.pk, "answer": "Refunds went out."},
            follow=True,
        )
    # then the page says who answered when, and the first answer stands, told to nobody again
    html = response.content.decode()
    assert "Alpha Writer already answered this question (" in html
    assert "it stays as it was given. Nothing was changed." in html
    with schema_context(clinic_a.schema_name):
        stored = ReviewQuestion.objects.get()
    assert (stored.answer, stored.answered_by_name, stored.answered_at) == (
        first, "Alpha Writer", answered_at,
    )  # fmt: skip
    assert mailoutbox == []
    assert Notification.objects.filter(kind="review_answer").count() == 1
    # and the page offers no second answer
    assert f'name="question" value="{question.pk}"' not in html
    assert "An answer is given once and stays as the clinic read it" in html
