"""The built-in reply template library that every clinic gets.

Variables: {clinic_name}, {clinic_phone}, {clinic_email}, {contact_url}, {contact_line} (the
clinic's phone, e-mail and contact page that are set, as one phrase), {fact:<slug>} (a
verified fact of the clinic's fact sheet, with its source), {relevant_facts}
(the facts whose topics match the review's) and {concerns} (the topics the review was unhappy
about, in words that name no health detail: "the wait"). None of them ever names the reviewer or repeats
the review: the guard would block it.

A clinic adds its own templates (`responses.models.ReplyTemplate`, in its schema); one with a
built-in's key replaces the built-in for that clinic. Agency-wide custom templates are not
stored yet: they arrive with the agency admin UI; until then an agency shares a template by
adding it to its clinics.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinTemplate:
    key: str
    name: str
    category: str
    body: str
    # Shorter wordings, longest first, offered instead of `body` where it renders over the
    # platform's limit (X allows 280 characters; `templating.wording_that_fits`).
    shorter: tuple[str, ...] = ()


BUILTIN_TEMPLATES: tuple[BuiltinTemplate, ...] = (
    BuiltinTemplate(
        key="acknowledge",
        name="Acknowledge",
        category="acknowledge",
        body=(
            "Thank you for taking the time to share your feedback. We read every comment and "
            "take it seriously. If you would like to talk with our team, please contact us at "
            "{contact_line}. — The team at {clinic_name}"
        ),
    ),
    BuiltinTemplate(
        key="thank",
        name="Thank",
        category="thank",
        body=(
            "Thank you for your kind words! We are glad to hear it and will share your "
            "feedback with our team. — The team at {clinic_name}"
        ),
    ),
    BuiltinTemplate(
        # a positive review that is unhappy about something ("loved my therapist, but I waited
        # 40 minutes"): thank them and say the issue was heard
        key="thank-acknowledge",
        name="Thank and acknowledge",
        category="thank",
        body=(
            "Thank you for your kind words! We are glad to hear it and will share your "
            "feedback with our team. We are sorry about {concerns} and are working to do "
            "better. — The team at {clinic_name}"
        ),
        shorter=(
            "Thank you for your kind words! We are sorry about {concerns} and are working on "
            "it. — {clinic_name}",
        ),
    ),
    BuiltinTemplate(
        key="move-private",
        name="Move to private",
        category="move_private",
        body=(
            "Thank you for sharing this. We want to understand your concerns and help, and to "
            "protect everyone's privacy we cannot discuss details here. Please contact our team "
            "directly at {contact_line} so we can follow up. — {clinic_name}"
        ),
        shorter=(
            "Thank you for sharing this. To protect your privacy we cannot discuss details "
            "here: please contact our team at {contact_line} so we can help. — {clinic_name}",
            "To protect your privacy, please contact us at {contact_line}. — {clinic_name}",
        ),
    ),
    BuiltinTemplate(
        key="factual-correction",
        name="Factual correction",
        category="factual_correction",
        body=(
            "Thank you for raising this. We want everyone to have accurate information: "
            "{relevant_facts} If you have questions, please contact us at {contact_line}. "
            "— {clinic_name}"
        ),
    ),
    BuiltinTemplate(
        key="apology",
        name="Apology without admission",
        category="apology",
        body=(
            "We are sorry to hear that your experience did not meet your expectations. We take "
            "all feedback seriously and would welcome the chance to learn more. Please contact "
            "us at {contact_line}. — {clinic_name}"
        ),
    ),
)

BUILTIN_BY_KEY = {template.key: template for template in BUILTIN_TEMPLATES}
