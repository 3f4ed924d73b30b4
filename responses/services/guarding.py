"""The HIPAA guard (`responses.guard`), with the clinic's own context: its name, phone,
e-mail, contact page, address and staff names are allowed in a reply.

The guard loads a language model on first use (seconds), so it is imported lazily: processes
that never check a reply never pay for it."""

from __future__ import annotations

from functools import lru_cache

from clinics.models import Clinic
from facts.selectors import facts_citable
from responses.models import ResponseSettings
from responses.services.common import GuardBlocked
from scoring.selectors import latest_score


def response_settings_get() -> ResponseSettings:
    """The clinic's reply settings (created with the defaults on first use)."""
    settings_row, _ = ResponseSettings.objects.get_or_create(pk=1)
    return settings_row


def guard_context(
    *,
    clinic: Clinic,
    review=None,
    settings_row: ResponseSettings | None = None,
    purpose: str = "reply",
):
    """The guard's context: what this clinic may say about itself, and its confirmed facts (a
    reply quoting one is a correction, where a plain "this is false" is not defensive)."""
    from responses.guard import GuardContext

    settings_row = settings_row or response_settings_get()
    return GuardContext(
        clinic_name=clinic.name,
        clinic_phones=(clinic.phone,),
        clinic_emails=(clinic.email,),
        clinic_urls=(clinic.contact_url,),
        clinic_address=settings_row.clinic_address,
        staff_names=tuple(settings_row.staff_names),
        allow_reviewer_name=settings_row.allow_reviewer_name,
        reviewer_name=(review.author_name or None) if review is not None else None,
        purpose=purpose,
        cited_facts=tuple(facts_citable().values_list("statement", flat=True)),
    )


def guard_check(
    text: str,
    *,
    clinic: Clinic,
    review=None,
    review_text: str | None = None,
    settings_row: ResponseSettings | None = None,
    purpose: str = "reply",
    context=None,
) -> dict:
    """{"verdict": "block" | "needs_review" | "ok", "findings": [...]} for `text` as a reply
    to `review` (or to `review_text`), or as a public statement (`purpose="statement"`), in
    this clinic's context. `context`: the `guard_context` already read, by a caller that
    checks many texts of one clinic without a review (the template list)."""
    context = context or guard_context(
        clinic=clinic, review=review, settings_row=settings_row, purpose=purpose
    )
    if review_text is None and review is not None:
        review_text = review.text
    return _checked(text, review_text or None, context).as_dict()


@lru_cache(maxsize=512)
def _checked(text: str, review_text: str | None, context):
    """The guard's answer, kept for the process's most recent texts. The guard answers the
    same for the same text, review and clinic context (its rules and model are fixed in a
    process; the context holds everything of the clinic it reads, its facts included), and a
    text is checked when it is saved, when it is submitted and again at each approval step.
    The result is never handed out: callers get its `as_dict()`, a new dict each time.
    `GuardContext` is frozen and turns the lists it is given into tuples: always a key."""
    from responses.guard import check_reply

    return check_reply(text, review_text=review_text, context=context)


def guard_fix(
    text: str,
    *,
    clinic: Clinic,
    review=None,
    purpose: str = "reply",
    only: tuple[int, int] | None = None,
) -> dict:
    """`text` with the guard's fixes applied (`responses.guard.fixes`): whole sentences, no
    repeated phrase, one contact invitation (none in a reply to a positive review, which stays
    a thank-you: `review_is_positive`); for all findings it passes the guard. Returns the
    text, the guard's result on it and what changed. Stores nothing."""
    from responses.guard.fixes import apply_fixes

    context = guard_context(clinic=clinic, review=review, purpose=purpose)
    review_text = review.text if review is not None else None
    fixed = apply_fixes(
        text,
        review_text=review_text or None,
        context=context,
        only=only,
        positive=purpose == "reply" and review is not None and review_is_positive(review),
    )
    return {"text": fixed.text, **fixed.result.as_dict(), "changes": fixed.changes}


def review_is_positive(review) -> bool:
    """Rated 4 or 5, or read as positive by its latest score: a reply to it is a thank-you."""
    if review.rating is not None and review.rating >= 4:
        return True
    score = latest_score(review)
    return score is not None and score.label == "positive"


def guard_refusal(result: dict) -> GuardBlocked:
    messages = [f"“{f['text']}”: {f['message']}" for f in result["findings"]]
    blocking = [
        m for m, f in zip(messages, result["findings"], strict=True) if f["severity"] == "block"
    ]
    return GuardBlocked(
        "The guard blocks this text. Change it, or ask a person with the legal role to "
        "override the block with a reason.",
        fields={"text": blocking or messages},
    )


def has_health_detail(result: dict) -> bool:
    return any(f["kind"] == "health_detail" for f in result["findings"])
