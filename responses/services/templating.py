"""Reply text variables: {clinic_name}, {clinic_phone}, {clinic_email}, {contact_url},
{contact_line}, {statement_url} (the current statement's own public address),
{fact:<slug>}, {relevant_facts} and {concerns} (what the review found wanting, in words: "the
wait", from the topics its score reads as negative). Only confirmed, active facts are cited
(`facts.selectors`). A variable with nothing to put in (the clinic has no e-mail, the fact does
not exist or is not confirmed, no fact matches) is *unresolved*: saving a text that holds one
is refused with the variable named and why (`unresolved_error`), so no reply or statement ever
carries a literal `{variable}`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches

from django.conf import settings

from clinics.models import Clinic
from core.errors import ValidationFailed
from core.text import markup_found
from facts.models import Fact
from facts.selectors import facts_citable, facts_citable_by_slugs, facts_for_topics
from feeds.models import Review
from responses.models import Statement
from scoring.models import ReviewScore

VARIABLE_RE = re.compile(r"\{(fact:[a-z0-9][a-z0-9_-]*|[a-z][a-z_]*)\}")
VARIABLES = (
    "clinic_name",
    "clinic_phone",
    "clinic_email",
    "contact_url",
    "contact_line",
    "statement_url",
    "relevant_facts",
    "concerns",
)


# the least word overlap (scoring.ml.claims.word_overlap) at which a fact is taken to answer a
# text: one shared content word between a short post and a two-sentence fact is about 0.14
FACT_WORDS_MIN_OVERLAP = 0.1


def facts_sharing_words(text: str, clinic: Clinic) -> list[Fact]:
    """The citable fact sharing most content words with `text` (the clinic's own name left
    out), if any shares enough; [] otherwise."""
    if not (text or "").strip():
        return []
    from scoring.ml.claims import content_words, word_overlap

    exclude = content_words(clinic.name)
    words = content_words(text, exclude)
    best, best_overlap = None, 0.0
    for fact in facts_citable():
        overlap = word_overlap(words, content_words(f"{fact.title} {fact.statement}", exclude))
        if overlap > best_overlap:
            best, best_overlap = fact, overlap
    return [best] if best_overlap >= FACT_WORDS_MIN_OVERLAP else []


# What a writer does about a variable left without a value, by its kind: a fact is inserted
# from the fact sheet; {concerns} is what the reviewer was unhappy about, in the writer's own
# words (no fact says it); a clinic detail is typed in or added to the clinic's settings.
_FACT_ADVICE = "Insert a fact instead of {placeholder}, or remove it."
_VARIABLE_ADVICE = {
    "concerns": "Write what they were unhappy about instead of {placeholder}, or remove it.",
    "statement_url": "Pin a published statement, or remove {placeholder}.",
    **dict.fromkeys(
        ("clinic_name", "clinic_phone", "clinic_email", "contact_url", "contact_line"),
        "Write the clinic's details instead of {placeholder} (or add them in Settings → "
        "General), or remove it.",
    ),
}


def variable_advice(placeholder: str) -> str:
    """What to do about `placeholder` ("{concerns}", "{fact:hours}") when it has no value, in
    one sentence for the writer."""
    name = placeholder.strip("{}")
    if name.startswith("fact:") or name == "relevant_facts":
        advice = _FACT_ADVICE
    else:
        advice = _VARIABLE_ADVICE.get(name, "Remove {placeholder}: it is not a variable.")
    return advice.format(placeholder=placeholder)


def known_variables_help() -> str:
    return ", ".join("{" + v + "}" for v in VARIABLES) + ", {fact:<slug>}"


NOT_A_VARIABLE = "not a variable"


def not_a_variable_why(name: str) -> str:
    """Why `{name}` has no value when no variable has that name: "not a variable", with the
    variable it looks like a typo of ({clinic_phonee}: "did you mean {clinic_phone}?"). The
    list of the variables goes once with the error, not with each unknown one."""
    close = get_close_matches(name, VARIABLES, n=1, cutoff=0.75)
    return f"{NOT_A_VARIABLE} (did you mean {{{close[0]}}}?)" if close else NOT_A_VARIABLE


def unknown_variables(text: str) -> list[str]:
    """The `{name}` placeholders in `text` that no template variable answers, in order."""
    out: list[str] = []
    for m in VARIABLE_RE.finditer(text or ""):
        name = m.group(1)
        if not name.startswith("fact:") and name not in VARIABLES and m.group(0) not in out:
            out.append(m.group(0))
    return out


_MISSING_CLINIC_VALUE = {
    "clinic_name": "this clinic has no name",
    "clinic_phone": "this clinic has no phone number (Settings → General)",
    "clinic_email": "this clinic has no e-mail address (Settings → General)",
    "contact_url": "this clinic has no contact page (Settings → General)",
    "contact_line": "this clinic has no phone, e-mail or contact page (Settings → General)",
    "concerns": "the review's score reads no topic as negative: there is no issue to name",
    "statement_url": "no statement is published and pinned",
}


# How a reply names a topic the review was unhappy about ({concerns}). Topics of care itself
# (outcome, pain, medication, discharge, privacy, vaccines) are never named: "we are sorry
# about the pain" echoes a health detail of the review, which the guard blocks.
CONCERN_WORDS = {
    "wait_time": "the wait",
    "scheduling_access": "the trouble getting an appointment",
    "staff_attitude": "how our team came across",
    "communication": "the communication",
    "billing_insurance": "the billing",
    "cleanliness": "the cleanliness",
    "facilities_parking": "the parking and facilities",
    "staffing_continuity": "the changes in our team",
    "accessibility_language": "the difficulties with access",
    "family_carers": "the arrangements for family and carers",
    "food_drink": "the food and drink",
}
CONCERN_OTHER = "what fell short"


def concerns_of(topics: Iterable[dict]) -> list[str]:
    """The names of the topics a score reads as negative (`{name, sentiment?}`), in order."""
    return [t.get("name", "") for t in topics if t.get("sentiment") == "negative" and t.get("name")]


def concern_words(concerns: Iterable[str]) -> str:
    """Topic names in words for a reply ("the wait and the billing"); a topic without safe words
    is "what fell short", said once; "" for none."""
    words: list[str] = []
    for name in concerns:
        said = CONCERN_WORDS.get(name, CONCERN_OTHER)
        if said not in words:
            words.append(said)
    if CONCERN_OTHER in words and len(words) > 1:
        words.remove(CONCERN_OTHER)  # the named issues say it; "what fell short" adds nothing
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


@dataclass
class Rendered:
    text: str
    unresolved: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    # placeholder -> why it has no value
    problems: dict[str, str] = field(default_factory=dict)

    def messages(self) -> list[str]:
        return [f"{p}: {self.problems.get(p, 'it has no value')}." for p in self.unresolved]


def contact_line(clinic: Clinic) -> str:
    parts = [p for p in (clinic.phone, clinic.email, clinic.contact_url) if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def fact_sentence(fact: Fact, *, short: bool = False) -> str:
    """How a reply quotes a fact: its wording and, when given, its source (`short`: its
    wording alone, where the source would take the reply past its platform's limit, X's 280
    characters). The date it was verified stays on the fact sheet: a date next to a mention
    of care reads like the date of someone's visit (the guard rightly questions it)."""
    statement = fact.statement.strip().rstrip(".")
    source = "" if short else (fact.source or "").strip()
    return f"{statement} (source: {source})." if source else f"{statement}."


def current_statement_url(clinic: Clinic) -> str:
    """The permalink of the clinic's current statement (the newest pinned one), or ""."""
    current = (
        Statement.objects.filter(is_pinned=True, published_version__isnull=False)
        .order_by("-published_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if current is None:
        return ""
    return f"{settings.PUBLIC_BASE_URL}/statements/{clinic.slug}/{current}/"


def text_render(
    text: str,
    *,
    clinic: Clinic,
    review_topics: Iterable[str] = (),
    cite: Iterable[str] = (),
    about: str = "",
    concerns: Iterable[str] = (),
    limit: int | None = None,
) -> Rendered:
    """`text` with every variable that has a value filled in. {relevant_facts} is the facts in
    `cite` (e.g. the fact a false claim contradicts) when any is citable, else the facts whose
    topics match `review_topics`, else the one citable fact sharing most words with `about`
    (the review's text: "they reuse needles" finds "Single-use needles" when the flag cited a
    myth and no topic matched). {concerns} names `concerns` (`concerns_of` the review's topics)
    in words (`concern_words`). `limit`: the platform's length limit; a text citing facts
    that runs past it with their sources cites them without (`fact_sentence(short=True)`)."""
    review_topics, cite, concerns = list(review_topics), list(cite), list(concerns)
    rendered = _render(text, clinic, review_topics, cite, about, concerns, short=False)
    if limit is not None and rendered.facts and len(rendered.text.strip()) > limit:
        return _render(text, clinic, review_topics, cite, about, concerns, short=True)
    return rendered


def _render(text, clinic, review_topics, cite, about, concerns, *, short: bool) -> Rendered:
    values = {
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
        "clinic_email": clinic.email,
        "contact_url": clinic.contact_url,
        "contact_line": contact_line(clinic),
        "concerns": concern_words(concerns),
    }
    if "{statement_url}" in text:
        values["statement_url"] = current_statement_url(clinic)
    wanted = {m.group(1)[5:] for m in VARIABLE_RE.finditer(text) if m.group(1).startswith("fact:")}
    facts = facts_citable_by_slugs(wanted)
    cite = [s for s in cite if s]
    review_topics = [t for t in review_topics if t]
    rendered = Rendered(text="")
    relevant: list[Fact] | None = None

    def fill(match: re.Match) -> str:
        nonlocal relevant
        name = match.group(1)
        placeholder = match.group(0)
        value, why = "", ""
        if name.startswith("fact:"):
            fact = facts.get(name[5:])
            if fact is not None:
                value = fact_sentence(fact, short=short)
                rendered.facts.append(fact.slug)
            else:
                why = "no confirmed fact on the fact sheet has this slug"
        elif name == "relevant_facts":
            if relevant is None:
                chosen = facts_citable_by_slugs(cite)
                relevant = (
                    [chosen[s] for s in cite if s in chosen]
                    or facts_for_topics(review_topics)
                    or facts_sharing_words(about, clinic)
                )
            value = " ".join(fact_sentence(f, short=short) for f in relevant)
            rendered.facts.extend(f.slug for f in relevant)
            why = (
                "no confirmed fact on the fact sheet answers this; insert one from the fact "
                "sheet or confirm the one it needs"
            )
        elif name in values:
            value = values[name]
            why = _MISSING_CLINIC_VALUE.get(name, "it has no value")
        else:
            why = not_a_variable_why(name)
        if not value:
            if placeholder not in rendered.unresolved:
                rendered.unresolved.append(placeholder)
            rendered.problems[placeholder] = why
            return placeholder
        return value

    rendered.text = VARIABLE_RE.sub(fill, text)
    return rendered


def wording_that_fits(wordings, render, too_long):
    """The first of `wordings` (longest first) whose rendering (`render(wording)`) is not
    `too_long`, else the last, the shortest; with its rendering. The product's own text is
    never too long where a shorter wording of it fits (X allows 280 characters): a batch tries
    its `SHORTER_TEXTS`, a single reply its template's `shorter` wordings. The writer's own
    text is never shortened."""
    rendered = None
    for wording in wordings:
        rendered = render(wording)
        if not too_long(rendered):
            break
    return wording, rendered


def unresolved_error(rendered: Rendered, *, field_name: str = "text") -> ValidationFailed:
    """The 400 for a text that still holds variables with no value, each named with why (in
    `fields`, one message each); the variables there are, once, when one is not a variable."""
    names = ", ".join(rendered.unresolved)
    unknown = any(
        rendered.problems.get(p, "").startswith(NOT_A_VARIABLE) for p in rendered.unresolved
    )
    known = f" The variables: {known_variables_help()}." if unknown else ""
    return ValidationFailed(
        f"Fill in or remove {names} first: nothing was saved.{known}",
        code="unfilled_variables",
        fields={field_name: rendered.messages()},
    )


def _listed(items: list[str]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else items[0]


def _markup_advice(placeholder: str) -> str:
    name = placeholder.strip("{}")
    if name.startswith("fact:") or name == "relevant_facts":
        return f"Correct the fact on the fact sheet, or remove {placeholder}."
    if name in _MISSING_CLINIC_VALUE and name not in ("concerns", "statement_url"):
        return f"Correct it in Settings → General, or remove {placeholder}."
    return f"Remove {placeholder}."


def variables_markup_error(
    typed: str, filled: str, render, *, published: str, field_name: str = "text"
) -> ValidationFailed | None:
    """The 400 for a text whose variables fill in markup that the writer did not type (a
    clinic name or a fact holding `<b>`): `typed` is the text as written, `filled` the text
    with its variables filled in, `render(placeholder)` the value one variable fills in.
    Each variable whose value holds markup is named, with the markup and where to correct it;
    `published` says how the text goes out ("Replies are posted"). None when the filled text
    holds no markup, or when the typed text does (`markup_problem` refuses that already)."""
    if not markup_found(filled) or markup_found(typed):
        return None
    lines = []
    for placeholder in dict.fromkeys(m.group(0) for m in VARIABLE_RE.finditer(typed)):
        found = markup_found(render(placeholder))
        if found:
            lines.append(
                f"{placeholder} fills in the markup {_listed(found)}: {published.lower()} as "
                f"plain text. {_markup_advice(placeholder)}"
            )
    if not lines:  # markup made by the filling itself (a "<" and a ">" from two values)
        lines = [f"{published} as plain text: the filled-in text holds the markup "
                 f"{_listed(markup_found(filled))}."]  # fmt: skip
    return ValidationFailed(
        "A variable fills in markup: nothing was saved.", fields={field_name: lines}
    )


def citations_of_flags(flags: Iterable[dict]) -> list[str]:
    """The fact slugs a score's flags ask a reply to cite: the fact each misinformation flag
    says the text contradicts."""
    slugs: list[str] = []
    for flag in flags or ():
        contradicts = flag.get("contradicts") if isinstance(flag, dict) else None
        if (
            isinstance(contradicts, dict)
            and contradicts.get("kind") == "fact"
            and contradicts.get("slug")
            and contradicts["slug"] not in slugs
        ):
            slugs.append(str(contradicts["slug"]))
    return slugs


def review_render_args(review: Review, score: ReviewScore | None) -> dict:
    """`text_render`'s arguments for a reply to `review`, from its latest `score` (None: not
    scored yet): the topics whose facts {relevant_facts} cites, the facts its flags say the
    review contradicts (cited first), the review's text (the fact sharing most words with it,
    when neither finds one) and what it found wanting ({concerns})."""
    topics = score.topics if score else []
    return {
        "review_topics": [t.get("name", "") for t in topics],
        "cite": citations_of_flags(score.flags if score else []),
        "about": review.text,
        "concerns": concerns_of(topics),
    }


def placeholders_left(text: str) -> list[str]:
    return [m.group(0) for m in VARIABLE_RE.finditer(text)]
