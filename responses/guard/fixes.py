"""Applying the guard's fixes to a text, so that the result still reads as written and passes
the guard (pure Python, no Django).

    fixed = apply_fixes(text, review_text=..., context=GuardContext(...))
    fixed.text, fixed.result.verdict, fixed.changes

A finding's ``suggestion`` is advice for a person ("a calm sentence without exclamation
marks"), not always words that fit where the finding was: pasting each one over its span is
what turned a reply into "from your please contact us directly at … your concerns with please
contact us…". Fixes here work on whole sentences instead:

* a reference to the reader's care ("your visit") becomes "your experience" when that is all
  the sentence has against it (and the swap repeats nothing);
* a greeting by a name the reply may not use loses the name and the greeting, a name that
  addresses the reader after a comma ("…the five stars, Sam!") loses the name only; a greeting
  with no name ("Hello,") stays when the sentence it opens is taken out;
* any other flagged sentence is taken out, whole;
* a sign-off ("— The team at …") stays at the end; an invitation to contact the clinic (its
  phone, else its e-mail, else "our office") is added once, when the text lost something and
  has none: only a sentence that gives one of the clinic's phones, e-mails or contact pages
  counts (where the clinic has one), and an invitation without it ("Please call us.") becomes
  the complete one, not a second one;
* a reply that apologised ("We're sorry you left in pain…") and lost that sentence opens with
  a neutral apology ("We are sorry to hear about your experience."), never with thanks for
  "feedback" that was a complaint;
* markup (HTML tags, Markdown or other link markup: platforms post replies as plain text) is
  taken out first, each link leaving its words ("visit [our website](…)" → "visit our
  website"); a sentence whose link words mean nothing without it ("For details, [click
  here](…).") is taken out whole, and the invitation added as for any sentence lost
  (apply-all only: one finding's fix leaves the rest of the text as it is);
* the result is checked again, until the guard finds nothing (at most a few rounds); a text
  with nothing safe left becomes a short thank-you (or, for an apology, the neutral one) with
  the invitation.

A reply to a positive review (``positive``: rated 4 or 5, or read as positive) stays a
thank-you: no invitation to contact the clinic "so we can help" is added; a text that lost a
sentence ends with a warm line instead ("We will share your kind words with our team."), and
one with nothing safe left becomes a short thank-you.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.text import NEVER_NAMES, markup_removed

from .engine import check_reply, clinic_phone_keys, date_phrase, split_sentences
from .result import PATIENT_CONFIRMATION, GuardContext, GuardResult

MAX_ROUNDS = 5
_SIGN_OFF = re.compile(r"(?:\s+|^)(?:—|–|--)\s*[^\n.!?—–]{1,80}\s*$")
_GREETING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening))\b[\s,]*)?"
    r"(?:(?:mr|mrs|ms|mx|miss|dr)\.?\s+)?$",
    re.IGNORECASE,
)
_AFTER_NAME = re.compile(r"^[^\S\n]*[,!:—–-]+[^\S\n]*")
_INVITE = re.compile(
    r"\b(?:contact|call|phone|e-?mail|reach|get\s+in\s+touch|speak\s+(?:with|to)|"
    r"talk\s+(?:with|to)|write\s+to|let\s+us\s+know)\b",
    re.IGNORECASE,
)
_YOUR_PHRASE = re.compile(r"^your(?:\s+[\w'’-]+){1,3}$", re.IGNORECASE)
_WORD = re.compile(r"[\w'’]+")
# "sorry about your visit" reads as well with "your experience"; "your visit was moved" does not
_PREPOSITION_BEFORE = re.compile(
    r"\b(?:about|with|during|of|for|after|regarding|from|throughout|hear\s+that)\s+$", re.I
)
# A greeting with no name ("Hello,", "Hi there,"): it stays when the sentence it opens is taken
# out, and the next sentence goes on after it in lower case where its first word is never a name
_PLAIN_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|good\s+(?:morning|afternoon|evening))(?:\s+there)?\s*,\s*", re.I
)
_LOWER_AFTER_GREETING = re.compile(rf"^(?:{NEVER_NAMES})\b")
_KEEP_SHORT = re.compile(
    r"^(?:hi|hello|dear|thanks?|thank\s+you|welcome|sincerely|best|regards|warmly)\b", re.I
)
FALLBACK_OPENING = "Thank you for your feedback."
# a reply that apologised for what the reviewer went through keeps an apology, with no detail
EMPATHY_OPENING = "We are sorry to hear about your experience."
_EMPATHY = re.compile(r"\b(?:sorry|apologi[sz]e[ds]?|apologies|regret)\b", re.IGNORECASE)
# a reply to a positive review: thanks, never "contact us so we can help"
POSITIVE_OPENING = "Thank you for your lovely review!"
WARM_CLOSING = "We will share your kind words with our team."
WARM_CLOSINGS = (WARM_CLOSING, "We will share this with our team.")
_SHARED = re.compile(r"\b(?:our|the)\s+(?:whole\s+)?team\b", re.IGNORECASE)
_NAME_SUBTYPES = frozenset({"person", "reviewer_name", "greeting_name"})
# findings a fix mends in place, keeping the rest of the sentence: a date ("on December 3"
# out) and the reader addressed as a patient ("Dear patient," out, "to our patient" → "to you")
_DATE_SUBTYPES = frozenset({"date", "echoed_date"})
ADDRESSED_AS_PATIENT = "addressed_as_patient"
# what a mended sentence may not end on: it lost the words its last one led to
_ENDS_MID_PHRASE = re.compile(
    r"\b(?:to|the|a|an|at|and|or|with|of|for|your|our|from|in|on|but|that|is|are|was|were|"
    r"be|been|about|during|since|by|until|before|after)\s*[.!?]*$",
    re.IGNORECASE,
)
_LEADING_TO = re.compile(r"^\s*(?:to|for)\s+$", re.IGNORECASE)
_PUNCT_AFTER = re.compile(r"^[^\S\n]*[,:!—–-]+[^\S\n]*")


@dataclass
class Fixed:
    text: str
    result: GuardResult
    changes: list[str] = field(default_factory=list)


def contact_sentence(context: GuardContext) -> str:
    if context.clinic_phones:
        return f"Please contact us directly at {context.clinic_phones[0]} so we can help."
    if context.clinic_emails:
        return f"Please contact us directly at {context.clinic_emails[0]} so we can help."
    return "Please contact our office directly so we can help."


def _fallback(context: GuardContext, positive: bool, sorry: bool = False) -> str:
    """The short text left when nothing safe is: a thank-you (an apology, where the text
    apologised: `sorry`) and, unless the review is positive, the invitation to contact the
    clinic."""
    if positive:
        return f"{POSITIVE_OPENING} {WARM_CLOSING}"
    return f"{EMPATHY_OPENING if sorry else FALLBACK_OPENING} {contact_sentence(context)}"


# Reply variables that are filled with the clinic's own contact when the reply is saved
# (`responses.services.templating`; a missing value is refused there, before saving)
CONTACT_VARIABLES = ("{clinic_phone}", "{clinic_email}", "{contact_url}", "{contact_line}")


def _offers_contact(text: str, context: GuardContext) -> bool:
    """The text already gives one of the clinic's own phones (any format), e-mails or contact
    pages, or a variable that will ("Please call us at {clinic_phone}")."""
    if any(variable in text for variable in CONTACT_VARIABLES):
        return True
    digits = re.sub(r"\D", "", text)
    if any(own in digits for own in clinic_phone_keys(context)):
        return True
    lowered = text.lower()
    return any(a and a.lower() in lowered for a in (*context.clinic_emails, *context.clinic_urls))


def _has_contact(context: GuardContext) -> bool:
    """The clinic has a phone or an e-mail an invitation can give."""
    return any(context.clinic_phones) or any(context.clinic_emails)


def _invites(text: str, context: GuardContext) -> bool:
    """The text invites the reader to contact the clinic, completely: with one of its phones,
    e-mails or contact pages where it has one ("Please call us." alone is no invitation then)."""
    if _offers_contact(text, context):
        return True
    return not _has_contact(context) and bool(_INVITE.search(text))


def _with_invitation(body: str, context: GuardContext, changes: list[str]) -> str:
    """`body` with the clinic's invitation (`contact_sentence`): in place of an invitation that
    gives no way to reach the clinic ("Please call us."), else at the end."""
    invite = contact_sentence(context)
    spans = split_sentences(body)
    for start, end in spans:
        sentence = body[start:end]
        if _INVITE.search(sentence) and not _offers_contact(sentence, context):
            lead = "\n" if sentence.startswith("\n") else ""
            changes.append(f"rewrote “{sentence.strip()}” as “{invite}”")
            return _join(
                [body[a:b] for a, b in spans if b <= start] + [lead + invite]
                + [body[a:b] for a, b in spans if a >= end]
            )  # fmt: skip
    changes.append(f"added “{invite}”")
    return f"{body} {invite}".strip()


def _split_sign_off(text: str) -> tuple[str, str]:
    m = _SIGN_OFF.search(text)
    if not m or not text[: m.start()].strip():
        return text, ""
    return text[: m.start()], text[m.start() :].strip()


def _capitalise(sentence: str) -> str:
    for i, ch in enumerate(sentence):
        if ch.isalpha():
            return sentence[:i] + ch.upper() + sentence[i + 1 :]
        if not (ch.isspace() or ch in "\"'“‘(—–-,;:"):
            return sentence
    return sentence


def _tidy_sentence(sentence: str) -> str:
    sentence = re.sub(r"[ \t]+", " ", sentence).strip()
    sentence = re.sub(r"^[,;:—–-]+\s*", "", sentence)
    sentence = re.sub(r"\s+([,.!?;:])", r"\1", sentence)
    sentence = re.sub(r",\s*([.!?])", r"\1", sentence)
    return _capitalise(sentence)


def _join(sentences: list[str]) -> str:
    out = ""
    for sentence in sentences:
        sentence = sentence.strip("\n")
        if not sentence.strip():
            continue
        if not out:
            out = sentence.strip()
        elif sentence.startswith("\n") or out.endswith("\n"):
            out = out.rstrip() + "\n\n" + sentence.strip()
        else:
            out = out + " " + sentence.strip()
    return out


def _greeted(greeting: str, body: str) -> str:
    """`body` after the greeting its first sentence lost ("Hello," + "Thank you…" -> "Hello,
    thank you…")."""
    if not greeting:
        return body
    if _LOWER_AFTER_GREETING.match(body):
        body = body[0].lower() + body[1:]
    return f"{greeting} {body}"


def _fragment(sentence: str) -> bool:
    """Fewer than three words and not a greeting or thanks: an exclamation that leaned on the
    sentences around it."""
    return len(_WORD.findall(sentence)) < 3 and not _KEEP_SHORT.match(sentence.strip())


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = [w.lower() for w in _WORD.findall(text)]
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _repeats(sentence: str) -> bool:
    """True when a run of two or more words occurs twice in the sentence."""
    words = [w.lower() for w in _WORD.findall(sentence)]
    pairs = list(zip(words, words[1:], strict=False))
    return len(pairs) != len(set(pairs))


def _name_greeting_removed(sentence: str, start: int, end: int) -> str | None:
    """The sentence without its greeting when the finding at [start, end) is the name greeted
    at its start ("Hi Jessica, we're sorry…" -> "We're sorry…"); None when it is not one."""
    if not _GREETING.match(sentence[:start]):
        return None
    after = _AFTER_NAME.match(sentence[end:])
    if after is None:
        return None
    return _capitalise(sentence[end + after.end() :])


def _vocative_removed(sentence: str, start: int, end: int) -> str | None:
    """The sentence without the name at [start, end) where it only addresses the reader
    after a comma ("Thank you for the five stars, Sam!" -> "Thank you for the five stars!",
    "Thanks, Sam, for writing." -> "Thanks for writing."); None when it is not so placed."""
    comma = re.search(r",\s*$", sentence[:start])
    after = re.match(r"\s*([!.?,])", sentence[end:])
    if comma is None or after is None:
        return None
    head = sentence[: comma.start()]
    if after.group(1) == ",":
        return f"{head} {sentence[end + after.end() :].lstrip()}"
    return head + sentence[end + after.start(1) :]


def _mended_in_place(sentence: str, f, s: int, e: int) -> str | None:
    """`sentence` with the finding at [s, e) mended where it stands, or None where it cannot
    be: a date goes with its preposition ("sorry for the wait on December 3" → "sorry for the
    wait"; `engine.date_phrase`); "Dear patient," at the start goes with its comma, ", dear
    patient" at the end goes, "our patient" elsewhere becomes "you"."""
    if f.subtype in _DATE_SUBTYPES:
        found = date_phrase(sentence, s, e)
        if found is None:
            return None
        a, b, replacement = found
        return sentence[:a] + replacement + sentence[b:]
    if f.subtype != ADDRESSED_AS_PATIENT:
        return None
    before, after = sentence[:s], sentence[e:]
    punct = _PUNCT_AFTER.match(after)
    if not before.strip() and (punct or not after.strip()):  # "Dear patient, thank you…"
        return after[punct.end() :] if punct else ""
    if _LEADING_TO.match(before) and punct:  # "To our patient: we are sorry."
        return after[punct.end() :]
    if re.search(r",\s*$", before) and re.match(r"\s*[.!?]", after):  # "…, dear patient!"
        return re.sub(r",\s*$", "", before) + after
    if re.match(r"(?i)(?:our|my)\b", sentence[s:e]):  # "we apologise to our patient"
        return before + "you" + after
    return None


def _mend_sentence(sentence: str, local: list) -> str | None:
    """The sentence with every finding mended in place (right to left), or None where one
    cannot be or what is left no longer reads as a sentence."""
    if not all(
        f.subtype in _DATE_SUBTYPES or f.subtype == ADDRESSED_AS_PATIENT for f, _, _ in local
    ):
        return None
    out = sentence
    for f, s, e in sorted(local, key=lambda x: -x[1]):
        out = _mended_in_place(out, f, s, e)
        if out is None:
            return None
    out = re.sub(r",(?:\s*,)+", ",", out)
    out = re.sub(r"[ \t]+([,.!?;:])", r"\1", out)
    if not out.strip(" \n,;:—–-"):
        return ""  # the sentence was only the greeting ("Dear patient,")
    if _fragment(out) or _ENDS_MID_PHRASE.search(out.strip()):
        return None
    return out


def _fix_sentence(sentence: str, findings: list, offset: int, swapped: set[str]) -> str:
    """The sentence with its findings fixed, or "" to take it out."""
    if sentence.strip() in swapped:
        return ""
    local = [(f, f.start - offset, f.end - offset) for f in findings]
    for f, s, e in local:
        # the greeting goes first; what else the sentence holds is checked again next round
        if f.kind == "identifier" and f.subtype in _NAME_SUBTYPES:
            greeted = _name_greeting_removed(sentence, s, e)
            if greeted is None:  # a name that addresses the reader goes, the thanks stays
                greeted = _vocative_removed(sentence, s, e)
            if greeted is not None:
                return greeted
    mended = _mend_sentence(sentence, local)
    if mended is not None:
        return mended
    if all(
        f.kind == PATIENT_CONFIRMATION
        and f.subtype == "care_reference"
        and f.suggestion == "your experience"
        and _YOUR_PHRASE.match(f.text)
        and _PREPOSITION_BEFORE.search(sentence[:s])
        for f, s, _ in local
    ):
        out = sentence
        for _f, s, e in sorted(local, key=lambda x: -x[1]):
            out = out[:s] + "your experience" + out[e:]
        if not _repeats(out):
            swapped.add(_tidy_sentence(out))
            return out
    return ""


def _round(
    text: str,
    findings: list,
    context: GuardContext,
    changes: list[str],
    swapped: set[str],
    positive: bool = False,
    sorry: bool = False,
) -> str:
    body, sign_off = _split_sign_off(text)
    if sign_off and any(f.end > len(body) for f in findings):
        changes.append(f"took out the sign-off “{sign_off}”")
        sign_off = ""
    spans = split_sentences(body)
    by_sentence: dict[int, list] = {}
    for f in findings:
        for i, (s0, s1) in enumerate(spans):
            if f.start < s1 and f.end > s0 and f.start < len(body):
                by_sentence.setdefault(i, []).append(f)
    kept: list[str] = []
    lost = False
    greeting = ""  # the plain greeting of a first sentence taken out: it stays
    for i, (s0, s1) in enumerate(spans):
        sentence = body[s0:s1]
        if i not in by_sentence:
            kept.append(sentence)
            continue
        fixed = _fix_sentence(sentence, by_sentence[i], s0, swapped)
        if fixed.strip():
            changes.append(f"rewrote “{sentence.strip()}” as “{_tidy_sentence(fixed)}”")
            lead = "\n" if sentence.startswith("\n") else ""
            kept.append(lead + _tidy_sentence(fixed))
        else:
            changes.append(f"took out “{sentence.strip()}”")
            if i == 0 and (plain := _PLAIN_GREETING.match(sentence)):
                greeting = plain.group(0).strip()
            # a greeting on its own line ("Dear patient,") is no loss: nothing to make up for
            lost = lost or _mend_sentence(sentence, [(f, f.start - s0, f.end - s0)
                                                     for f in by_sentence[i]]) != ""  # fmt: skip
    kept = [("\n" if k.startswith("\n") else "") + _tidy_sentence(k) for k in kept]
    if lost:
        # what the taken-out sentences leave behind on its own ("Wow.", "EVER.") goes too
        for k in [k for k in kept if _fragment(k)]:
            changes.append(f"took out “{k.strip()}”, left on its own")
            kept.remove(k)
    body = _join([k for k in kept if _WORD.search(k)])
    if positive:
        if not body:
            body = _fallback(context, positive)
            changes.append("opened with a short thank-you")
        elif lost and not _SHARED.search(body):
            if body[-1] not in ".!?…\"”')":
                body += "."
            closing = next((c for c in WARM_CLOSINGS if not _trigrams(c) & _trigrams(body)), "")
            if closing:
                body = f"{body} {closing}"
                changes.append(f"added “{closing}”")
        elif body[-1] not in ".!?…\"”')":
            body += "."
        body = _greeted(greeting, body)
        return f"{body} {sign_off}".strip() if sign_off else body
    if lost and not _invites(body, context):
        body = _with_invitation(body, context, changes)
    if body and body[-1] not in ".!?…\"”')":
        body += "."
    first = body[slice(*split_sentences(body)[0])] if body else ""
    # an apology taken out (it named what happened) is said again, without the detail
    apology = sorry and lost and not _EMPATHY.search(body)
    if not body or apology or (lost and _INVITE.search(first)):
        # nothing left but the invitation: open with a thank-you, or the apology
        opening = EMPATHY_OPENING if sorry and not _EMPATHY.search(body) else FALLBACK_OPENING
        body = f"{opening} {body or contact_sentence(context)}"
        changes.append("opened with a short apology" if opening == EMPATHY_OPENING
                       else "opened with a short thank-you")  # fmt: skip
    body = _greeted(greeting, body)
    return f"{body} {sign_off}".strip() if sign_off else body


def apply_fixes(
    text: str,
    *,
    review_text: str | None = None,
    context: GuardContext | None = None,
    only: tuple[int, int] | None = None,
    positive: bool = False,
) -> Fixed:
    """Fix what the guard finds in `text` (or, with `only`, the findings overlapping that span,
    one round) and check the result again. The result reads as whole sentences, repeats no
    phrase it did not have, and — for apply-all — passes the guard. `positive`: the review is
    positive, and the reply stays a thank-you (no invitation to contact the clinic)."""
    context = context or GuardContext()
    original = text
    # it apologised: what is left keeps an apology (a complaint is not thanked for "feedback")
    sorry = not positive and bool(_EMPATHY.search(text))
    changes: list[str] = []
    if only is None:
        text = _without_markup(text, context, changes, positive, sorry)
    result = check_reply(text, review_text=review_text, context=context)
    swapped: set[str] = set()
    for number in range(MAX_ROUNDS):
        findings = list(result.findings)
        if only is not None and number == 0:
            findings = [f for f in findings if f.start < only[1] and f.end > only[0]]
        if not findings:
            break
        whole = [f for f in findings if f.start == 0 and f.end >= len(text.rstrip())]
        located = [f for f in findings if f not in whole]
        if located:
            text = _round(text, located, context, changes, swapped, positive, sorry)
        elif whole:
            body, sign_off = _split_sign_off(text)
            text = _fallback(context, positive, sorry)
            text = f"{text} {sign_off}".strip() if sign_off else text
            changes.append("the guard reads the whole text as unsafe: a short thank-you")
        result = check_reply(text, review_text=review_text, context=context)
        if only is not None:
            break
    else:
        if result.findings:
            text = _fallback(context, positive, sorry)
            changes.append("nothing safe was left: a short thank-you with the invitation")
            result = check_reply(text, review_text=review_text, context=context)
    return Fixed(text=text, result=result, changes=_net_changes(original, text) if changes else [])


def _without_markup(
    text: str, context: GuardContext, changes: list[str], positive: bool, sorry: bool
) -> str:
    """`text` as plain text (`core.text.markup_removed`), without the sentences whose link words
    mean nothing once the link is gone; what the text lost is made up for as in `_round`."""
    plain, bare = markup_removed(text)
    if plain == text:
        return text
    changes.append("took out the markup")
    body, sign_off = _split_sign_off(plain)
    kept, lost = [], False
    for s0, s1 in split_sentences(body):
        if any(b0 < s1 and b1 > s0 for b0, b1 in bare):
            lost = True
            continue
        kept.append(("\n" if body[s0:s1].startswith("\n") else "") + _tidy_sentence(body[s0:s1]))
    body = _join([k for k in kept if _WORD.search(k)])
    if lost and not body:
        body = _fallback(context, positive, sorry)
    elif lost and not positive and not _invites(body, context):
        body = _with_invitation(body, context, changes)
    if body and body[-1] not in ".!?…\"”')":
        body += "."
    return f"{body} {sign_off}".strip() if sign_off else body


def _net_changes(before: str, after: str) -> list[str]:
    """What changed, sentence by sentence: taken out, then added (a rewrite is both). A
    sentence that only gained or lost a plain greeting ("Hello, we…") is the same sentence."""

    def key(sentence: str) -> str:
        return _capitalise(_PLAIN_GREETING.sub("", sentence, count=1))

    old = [before[a:b].strip() for a, b in split_sentences(before) if before[a:b].strip()]
    new = [after[a:b].strip() for a, b in split_sentences(after) if after[a:b].strip()]
    old_keys, new_keys = {key(s) for s in old}, {key(s) for s in new}
    return [f"took out “{s}”" for s in old if key(s) not in new_keys] + [
        f"added “{s}”" for s in new if key(s) not in old_keys
    ]
