"""Data types of the reply guard: the clinic context, a finding, the result and the verdict rule.

Verdict rule (documented, enforced by :func:`decide_verdict`):

* ``block``  — at least one finding of severity ``block``. Block-severity findings are:
  patient identifiers (names other than staff / the allowed reviewer name, phone numbers and
  e-mail addresses that are not the clinic's, postal addresses, record/account/claim/member
  numbers, SSN or card digits, dates tied to care, dates of birth); strong confirmation that the
  reviewer is a patient ("your visit", "our records show", "we have reviewed your chart", "as
  your dentist", "you were seen"); health details echoed from the review, or tied to the reader
  ("your root canal").
* ``needs_review`` — only findings of severity ``needs_review``: tone (defensive, emotional,
  threatening, blaming); weak or implied confirmation ("we hope to see you again", "when you
  called", "the exam took longer than you expected"); a health term that is not echoed from the
  review and not tied to the reader; the reviewer's public display name, or an unknown name in
  the greeting, when the context does not allow greeting by name; a name with a clinician's title
  ("Dr. Patel", "Nurse Kim") while the clinic's staff list is empty (staff cannot be told from
  patients; the finding asks for the list).
* ``ok`` — no finding.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

BLOCK = "block"
NEEDS_REVIEW = "needs_review"
OK = "ok"

IDENTIFIER = "identifier"
PATIENT_CONFIRMATION = "patient_confirmation"
HEALTH_DETAIL = "health_detail"
TONE = "tone"
KINDS = (IDENTIFIER, PATIENT_CONFIRMATION, HEALTH_DETAIL, TONE)

# Where a clinic lists its staff (the reply settings' `staff_names`): the page and its section,
# as the staff pages name them (responses.views.ClinicTemplatesView).
STAFF_NAMES_PLACE = "Settings → Reply templates → Staff names"


@dataclass(frozen=True)
class GuardContext:
    """What the guard knows about the clinic that is replying.

    Everything here is *allowed* in a reply: the clinic's own phones, e-mails (and any address at
    the same domain), URLs, postal address and staff names. ``reviewer_name`` is the public
    display name on the review; greeting the reviewer by it is allowed only when
    ``allow_reviewer_name`` is true (default: flagged for review).
    """

    clinic_name: str = ""
    clinic_phones: tuple[str, ...] = ()
    clinic_emails: tuple[str, ...] = ()
    clinic_urls: tuple[str, ...] = ()
    clinic_address: str = ""
    staff_names: tuple[str, ...] = ()
    allow_reviewer_name: bool = False
    reviewer_name: str | None = None
    # "reply" (default), "statement" (a public statement) or "correction" (a reply correcting
    # a false claim). In a statement, and in a reply that quotes one of ``cited_facts`` (the
    # clinic's confirmed fact statements), a plain factual denial ("This is false.") is not
    # defensive tone; everything else is checked the same.
    purpose: str = "reply"
    cited_facts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # accept lists from callers (JSON, ORM values) and keep the dataclass hashable
        for name in ("clinic_phones", "clinic_emails", "clinic_urls", "staff_names", "cited_facts"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,) if value else ()
            object.__setattr__(self, name, tuple(v for v in (value or ()) if v))

    @classmethod
    def from_dict(cls, data: dict | None) -> GuardContext:
        data = dict(data or {})
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    text: str
    kind: str  # identifier | patient_confirmation | health_detail | tone (+ markup, live check)
    subtype: str  # e.g. phone, email, person, date, record_number, address, echo, ...
    severity: str  # block | needs_review
    message: str
    suggestion: str
    # The learned backstop's probability for a finding it raised (subtype "backstop"); the
    # message says it in words, for people, so the number is kept here (stored with the
    # findings), never shown on a page; the API gives it to integrators (`probability`, null
    # for a rule's finding: `responses.apis.serializers.FindingSerializer`).
    probability: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class GuardResult:
    verdict: str
    findings: list[Finding] = field(default_factory=list)
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.verdict == OK

    @property
    def blocked(self) -> bool:
        return self.verdict == BLOCK

    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}

    def as_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "findings": [
                {
                    "start": f.start,
                    "end": f.end,
                    "text": f.text,
                    "kind": f.kind,
                    "subtype": f.subtype,
                    "severity": f.severity,
                    "message": f.message,
                    "suggestion": f.suggestion,
                    **({} if f.probability is None else {"probability": f.probability}),
                }
                for f in self.findings
            ],
        }


def decide_verdict(findings: list[Finding]) -> str:
    if any(f.severity == BLOCK for f in findings):
        return BLOCK
    if findings:
        return NEEDS_REVIEW
    return OK
