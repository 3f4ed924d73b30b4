"""The clinic's questions or corrections on a post-crisis review it was sent, and the agency's
answers: kept with the review, each side told in-app and by e-mail."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import User
from agency.branding import brand_name
from clinics.access import clinic_access, people_who_can
from clinics.models import Clinic, clinic_zone
from clinics.notifications import notifications_close, people_notify
from core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from core.permissions import Permission, permission_refusal
from crisis.models import PostCrisisReview, ReviewQuestion
from crisis.room import local
from crisis.selectors import review_sent_to_clinic

MAX_QUESTION = 2000
MAX_ANSWER = 4000
# each question e-mails the agency: a person asks at most this many on one review an hour
QUESTIONS_PER_HOUR = 5


class TooManyQuestions(DomainError):
    """A person asked `QUESTIONS_PER_HOUR` questions on this review in the last hour; `wait`:
    the seconds until the next may be asked."""

    status_code = 429
    code = "too_soon"

    def __init__(self, detail: str, *, wait: int):
        super().__init__(detail)
        self.wait = wait


def staff_review_url(clinic: Clinic, incident_id: int) -> str:
    return f"/clinics/{clinic.slug}/incidents/{incident_id}/review/"


def _text(value: str | None, *, field: str, limit: int, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"Write your {what} first.", fields={field: ["This is required."]})
    if len(text) > limit:
        raise ValidationFailed(
            f"Your {what} is {len(text)} characters long: at most {limit}.",
            fields={field: [f"At most {limit} characters ({len(text)} now)."]},
        )
    return text


def _person(actor: Actor) -> User:
    if actor.user is None:
        raise PermissionDenied("Only a person may do this, not a key.")
    return actor.user


def review_question_ask(
    *, incident_id: int, clinic: Clinic, actor: Actor, text: str
) -> ReviewQuestion:
    """The clinic asks the agency about the review it was sent (`Permission.REVIEW_QUESTION`:
    its approvers and legal people, in person). Kept with the review; the person who sent the
    review is told in-app and by e-mail, or the agency's owners and managers when that person
    no longer reaches the clinic (or it was sent by a part of Carewatch); the notice links to
    the question and never quotes it (the clinic may name patients: the words stay behind the
    sign-in). Refused: `NotFound` for a review not sent to the clinic (`review_sent_to_clinic`);
    `PermissionDenied`; `ValidationFailed` for an empty or over-long text; `TooManyQuestions`
    (429 `too_soon`) past `QUESTIONS_PER_HOUR` of this person's on this review (nothing is
    stored)."""
    access = clinic_access(actor, clinic)
    if access is None or not access.can(Permission.REVIEW_QUESTION):
        raise PermissionDenied(permission_refusal(Permission.REVIEW_QUESTION))
    user = _person(actor)
    text = _text(text, field="text", limit=MAX_QUESTION, what="question")
    with transaction.atomic():
        review = review_sent_to_clinic(incident_id)
        if review is None:
            raise NotFound("No such review.")
        _throttle(review, user)
        name = (user.full_name or user.email)[:200]
        question = ReviewQuestion.objects.create(
            review=review, asked_by_id=user.pk, asked_by_name=name, text=text
        )
        incident = review.incident
        notice = {
            "clinic": clinic,
            "kind": "review_question",
            "ref": f"reviewq:{question.pk}",
            "title": (
                f"{name} of {clinic.name} asks about the post-crisis review of incident "
                f"#{incident.pk}"
            )[:300],
            "url": f"{staff_review_url(clinic, incident.pk)}#question-{question.pk}",
            "detail": "Read it and answer it on the review's page; the clinic reads your answer "
            "in its portal.",
        }
        sender = User.objects.filter(pk=review.sent_by_user_id).first()
        told = people_notify(users=[sender], **notice) if sender is not None else {}
        if not told:
            people_notify(users=people_who_can(clinic, permission=Permission.MANAGE), **notice)
    return question


def _throttle(review: PostCrisisReview, user: User) -> None:
    since = timezone.now() - timedelta(hours=1)
    recent = list(
        ReviewQuestion.objects.filter(review=review, asked_by_id=user.pk, created_at__gt=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:QUESTIONS_PER_HOUR]
    )
    if len(recent) >= QUESTIONS_PER_HOUR:
        wait = max(1, int((recent[-1] - since).total_seconds()) + 1)
        minutes = (wait + 59) // 60
        raise TooManyQuestions(
            f"You asked {QUESTIONS_PER_HOUR} questions on this review in the last hour: ask "
            f"the next in {minutes} minute{'s' if minutes != 1 else ''}, or put several points "
            "in one question. Nothing was sent.",
            wait=wait,
        )


def review_question_answer(
    *, incident_id: int, question_id: int, clinic: Clinic, actor: Actor, answer: str
) -> ReviewQuestion:
    """The agency answers a question on a review (`Permission.WRITE`, on the agency's side:
    a key of the clinic's own people never answers for the agency); the clinic reads the
    answer on the review in its portal, and the person who asked is told in-app and by e-mail.
    The notices of the question close. An answer is given once: the clinic read it, and the
    review's timeline keeps it as it was given (`crisis.timeline`), so a second answer (two
    people answering at once, or a later one) is refused (409
    `already_answered`, naming who answered and when); a correction is the clinic's next
    question. Refused: `PermissionDenied`; `ValidationFailed` for an empty or over-long answer;
    `NotFound` for a question not on this incident's review (nothing changes)."""
    access = clinic_access(actor, clinic)
    if access is None or not access.can(Permission.WRITE):
        raise PermissionDenied(permission_refusal(Permission.WRITE))
    if access.is_clinic_side:
        raise PermissionDenied("Only the agency answers the clinic's questions on its review.")
    answer = _text(answer, field="answer", limit=MAX_ANSWER, what="answer")
    with transaction.atomic():
        question = (
            ReviewQuestion.objects.select_for_update()
            .select_related("review__incident")
            .filter(pk=question_id, review__incident_id=incident_id)
            .first()
        )
        if question is None:
            raise NotFound("No such question.")
        if question.answered_at is not None:
            when = local(question.answered_at, clinic_zone(clinic))
            raise Conflict(
                f"{question.answered_by_name or 'Someone'} already answered this question "
                f"({when}), and the clinic reads that answer: it stays as it was given. "
                "Nothing was changed.",
                code="already_answered",
            )
        now = timezone.now()
        question.answer = answer
        question.answered_by_id = actor.user.pk if actor.user is not None else None
        question.answered_by_name = actor.name[:200]
        question.answered_at = now
        question.save(
            update_fields=[
                "answer",
                "answered_by_id",
                "answered_by_name",
                "answered_at",
                "updated_at",
            ]
        )
        ref = f"reviewq:{question.pk}"
        notifications_close(clinic=clinic, ref=ref)
        notifications_close(clinic=clinic, ref=f"{ref}:answer")
        incident = question.review.incident
        people_notify(
            users=User.objects.filter(pk=question.asked_by_id),
            clinic=clinic,
            kind="review_answer",
            ref=f"{ref}:answer",
            title=f"{brand_name(clinic.agency)} answered your question on the post-crisis review of "
            f"incident #{incident.pk}"[:300],
            url=f"/clinics/{clinic.slug}/portal/incidents/{incident.pk}/review/"
            f"#question-{question.pk}",
            detail=f"{question.answered_by_name} answered. Read the answer with your question on "
            "the review in your portal.",
        )
    return question


def review_questions(review: PostCrisisReview) -> list[ReviewQuestion]:
    return list(review.questions.all())
