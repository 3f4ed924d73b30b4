"""The approval workflow that reply drafts and statements share.

    writer drafts ─submit─▶ agency (APPROVE_AGENCY) ─▶ legal (LEGAL_OVERRIDE; when the guard
    says needs_review, or legal sent an earlier version back) ─▶ clinician (clinician crisis
    role; when the text states health details) ─▶ clinic (APPROVE_CLIENT) ─▶ approved

Which steps apply is decided at submission from the clinic's `ResponseSettings`, the
guard's verdict and whether legal sent the text back before (`route_for`, the one rule), and
stored on the row (`route`). A rejection (with a comment) sends it back
to the writer; editing a text under review sends it back to draft.

Separation of duties is one rule, `approval_refusal`, that every approval path (API, pages,
portal, statements) goes through: the step's permission; the client step only by the clinic
itself (`ClinicAccess.speaks_for_the_clinic`: an approver of the clinic who is not staff of its
agency, or a clinic key such a person created); nobody approves a text they wrote; and nobody
(a person, or a key together with the person who created it) gives two steps of one version,
a legal override counting as a step. Each action locks the row (`select_for_update`) and checks the state the caller saw,
so of two approvers acting at once one wins and the other gets 409. A guard block stops
submission, approval and publishing until a person with the legal role overrides it, with a
reason, for that version. Every step is written to the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.actors import Actor, user_id_of, with_key_creators
from accounts.models import User
from accounts.naming import people_names
from agency.branding import brand_name
from clinics.access import ClinicAccess, people_who_can
from clinics.approvers import clinic_has_approver, no_approver_tell
from clinics.models import CrisisRole, Notification, clinic_zone
from clinics.notifications import (
    deadline_words,
    notifications_close,
    notifications_replace,
    notifications_retitle,
    notifications_withdraw,
    people_notify,
    people_reaching,
)
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.permissions import Permission
from core.rollup import figures_changed
from core.tenancy import current_clinic
from core.text import one_line, reason_problem
from feeds.models import AWAITING_REPLY_STATUSES
from feeds.services.ingest import SETTLED_WORDS
from inbox.selectors import reply_clock, review_counts_for_reply_target
from responses.models import ApprovalStatus, AuditEntry, ReplyDraft, Step, Verdict
from responses.services.common import GuardBlocked, audit_record, require
from responses.services.guarding import (
    guard_refusal,
    has_health_detail,
    response_settings_get,
)
from responses.services.templating import placeholders_left

S = ApprovalStatus
PENDING_FOR_STEP = {
    Step.AGENCY: S.PENDING_AGENCY,
    Step.LEGAL: S.PENDING_LEGAL,
    Step.CLINICIAN: S.PENDING_CLINICIAN,
    Step.CLIENT: S.PENDING_CLIENT,
}
STEP_FOR_STATUS = {status.value: step for step, status in PENDING_FOR_STEP.items()}
PENDING = frozenset(STEP_FOR_STATUS)
SUBMITTABLE = frozenset({S.DRAFT, S.CHANGES_REQUESTED})
FINISHED = frozenset({S.PUBLISHED, S.DISCARDED, S.UNPINNED})
# what of the agency's texts reaches the clinic: the client step and what was approved since
REACHED_THE_CLINIC = frozenset({S.PENDING_CLIENT, S.APPROVED, S.PUBLISHED, S.UNPINNED})
# and the clinic's own reviews before it (its legal people's, its clinician's)
CLINIC_REVIEWS = frozenset({S.PENDING_LEGAL, S.PENDING_CLINICIAN})
KIND_WORDS = {"reply": "reply", "statement": "statement", "reply_batch": "batch of replies"}


def route_for(
    *, guard: dict, overridden: bool, legal_sent_back: bool = False, settings_row=None
) -> list[str]:
    """The steps a text must pass, in order: the one rule of whether a version needs the
    legal step. `legal_sent_back`: legal sent an earlier version of this text back
    (`legal_sent_back_each`): every later version goes to legal, whatever the privacy check
    says and whatever the clinic's setting for flagged texts."""
    settings_row = settings_row or response_settings_get()
    steps = []
    if settings_row.require_agency_approval:
        steps.append(Step.AGENCY.value)
    # An overridden block was already read by legal: the override is their review.
    flagged = settings_row.legal_review_on_needs_review and guard["verdict"] == Verdict.NEEDS_REVIEW
    if (flagged or legal_sent_back) and not overridden:
        steps.append(Step.LEGAL.value)
    if settings_row.clinician_review_on_health_detail and has_health_detail(guard):
        steps.append(Step.CLINICIAN.value)
    if settings_row.require_client_approval:
        steps.append(Step.CLIENT.value)
    return steps


def statuses_visible_to(access: ClinicAccess) -> frozenset[str] | None:
    """The statuses of replies, statements and reply batches the caller may read; None: all.

    The agency (its staff, its keys, clinic keys it created) reads everything. The clinic side
    (`ClinicAccess.is_clinic_side`: the clinic's people, their tokens and keys) reads what
    reached the clinic, as its portal shows it: at its step (the client step; the legal or
    clinician step for the holders of those crisis roles) or approved and after. Drafts, texts
    waiting for the agency and texts sent back for changes stay the agency's. The rule of
    `responses.selectors.visible_to` (reading) and of `Flow.lock` (acting)."""
    if not access.is_clinic_side:
        return None
    statuses = set(REACHED_THE_CLINIC)
    if access.can(Permission.LEGAL_OVERRIDE):
        statuses.add(S.PENDING_LEGAL)
    if CrisisRole.CLINICIAN in access.crisis_roles:
        statuses.add(S.PENDING_CLINICIAN)
    return frozenset(statuses)


def visible_q(access: ClinicAccess) -> Q | None:
    """`statuses_visible_to` as a filter on replies, statements or reply batches, None: all.
    Legal's people also read a text whose writer asked them to lift the privacy check's
    block (`legal_asked_version`: it stays a draft while it waits for them), from the request
    on, also once its writer changed it since (they are told it was withdrawn): the text
    legal's portal page shows them is the text the API gives them."""
    statuses = statuses_visible_to(access)
    if statuses is None:
        return None
    q = Q(status__in=statuses)
    if access.can(Permission.LEGAL_OVERRIDE):
        q |= Q(legal_asked_version__isnull=False)
    return q


def step_allowed(access: ClinicAccess, step: str) -> bool:
    if step == Step.AGENCY:
        return access.can(Permission.APPROVE_AGENCY)
    if step == Step.LEGAL:
        return access.can(Permission.LEGAL_OVERRIDE)
    if step == Step.CLINICIAN:
        return CrisisRole.CLINICIAN in access.crisis_roles
    if step == Step.CLIENT:
        return access.can(Permission.APPROVE_CLIENT)
    return False


def gives_a_step(access: ClinicAccess) -> bool:
    """Whether `access` may give any approval step at all (`step_allowed`): a viewer without a
    crisis role, a writer or an analyst gives none, so has no approval to take back."""
    return any(step_allowed(access, step) for step in Step.values)


def step_of(obj) -> str | None:
    return STEP_FOR_STATUS.get(obj.status)


def _principals_of(entry: AuditEntry) -> set[str]:
    return {entry.actor_label, *entry.detail.get("principals", [])}


def principals_who_acted(*, object_type: str, obj) -> set[str]:
    """Who already gave a step of the current version: approvals since it was last submitted,
    and the legal override of this version."""
    return principals_who_acted_each(object_type=object_type, objs=[obj])[obj.pk]


def principals_who_acted_each(*, object_type: str, objs) -> dict[int, set[str]]:
    """`principals_who_acted` for many texts of one kind in one query, whatever their number:
    {pk: who already gave a step of its current version} (a page's badges and lists)."""
    versions = {obj.pk: obj.version for obj in objs}
    if not versions:
        return {}
    entries: dict[int, list[AuditEntry]] = {pk: [] for pk in versions}
    for entry in AuditEntry.objects.filter(
        object_type=object_type,
        object_id__in=list(versions),
        version__in=set(versions.values()),
        action__in=("submitted", "approved", TAKEN_BACK, "guard_overridden"),
    ).order_by("id"):
        if versions[entry.object_id] == entry.version:
            entries[entry.object_id].append(entry)
    return {pk: _acted(found) for pk, found in entries.items()}


# a person took back their approval (`take_back`): it no longer counts as a step given
TAKEN_BACK = "approval_taken_back"


def approvals_standing(entries) -> list[AuditEntry]:
    """The approvals of a version that still stand, oldest first: of `entries` (its trail,
    oldest first, with its "submitted" and `TAKEN_BACK` entries), those given since it was
    last submitted and not taken back since. The one rule every reader of "the approvals
    given" goes through (separation of duties, the card's way, what an edit throws away)."""
    entries = list(entries)
    submitted = [e.pk for e in entries if e.action == "submitted"]
    since = submitted[-1] if submitted else 0
    taken = {e.detail.get("approval_id") for e in entries if e.action == TAKEN_BACK}
    return [e for e in entries if e.action == "approved" and e.pk > since and e.pk not in taken]


def _acted(entries: list[AuditEntry]) -> set[str]:
    acted: set[str] = set()
    for entry in entries:
        if entry.action == "guard_overridden":
            acted |= _principals_of(entry)
    for entry in approvals_standing(entries):
        acted |= _principals_of(entry)
    return acted


def approval_refusal(
    access: ClinicAccess, obj, *, object_type: str, acted: set[str] | None = None
) -> str | None:
    """Why `access` may not give `obj`'s current step, or None: the separation-of-duties rule,
    in one place (see the module docstring). `acted`: `obj`'s `principals_who_acted`, when the
    caller read them for many texts at once (`principals_who_acted_each`)."""
    step = step_of(obj)
    if step is None:
        return None
    if not step_allowed(access, step):
        return f"Your role in this clinic cannot give the {Step(step).label}."
    if step == Step.CLIENT and not access.speaks_for_the_clinic:
        return (
            "Only a person of the clinic who is not staff of its agency (or a key such a person "
            "created) gives the clinic's approval."
        )
    if access.principals & _writer_principals(obj):
        return "Nobody may approve a text they wrote (or a key they created wrote)."
    if acted is None:
        acted = principals_who_acted(object_type=object_type, obj=obj)
    if access.principals & acted:
        return "You already gave a step of this version: another person gives this one."
    return None


def _writer_principals(obj) -> set[str]:
    """Who wrote it as separation of duties reads it: its writers (`_writers_of`) and, for a
    key among them, the person who created the key (a key acts for its creator, as
    `ClinicAccess.principals` reads the actor): an owner who drafts with a key she created
    does not approve that draft herself."""
    return with_key_creators(_writers_of(obj))


def _writers_of(obj) -> set[str]:
    """Who wrote it: its author, and the author of its current version (a manager who edited
    a statement wrote that version; the approve services refuse them too, see `_not_own`)."""
    writers = {obj.author_label}
    if obj.version:
        prefetched = getattr(obj, "_prefetched_objects_cache", {}).get("versions")
        if prefetched is not None:
            writers |= {v.author_label for v in prefetched if v.number == obj.version}
        else:
            writers |= set(
                obj.versions.filter(number=obj.version).values_list("author_label", flat=True)
            )
    return writers


def writer_ids(obj) -> list[int]:
    """The people who wrote `obj` (`_writers_of`; a key's writing left out), by user id."""
    return sorted({pk for label in _writers_of(obj) if (pk := user_id_of(label)) is not None})


@dataclass(frozen=True)
class Flow:
    """How the workflow reaches one kind of text (a reply draft or a statement)."""

    object_type: str
    model: Any
    version_model: Any
    version_fk: str  # the version's foreign key to the object

    def lock(self, pk: int, access: ClinicAccess | None = None):
        """The text, locked for a change; 404 when there is none, or when `access` may not
        read it and never could (`statuses_visible_to`): the clinic side acting on a text that
        has not reached it is told what reading it tells, never its status or its step. One
        that reached it once (withdrawn since, sent back) says what became of it."""
        obj = self.model.objects.select_for_update().filter(pk=pk).first()
        visible = visible_q(access) if access is not None else None
        if obj is None or (
            visible is not None
            and not self.model.objects.filter(visible, pk=obj.pk).exists()
            and not AuditEntry.objects.filter(
                object_type=self.object_type,
                object_id=obj.pk,
                to_status__in=statuses_visible_to(access),
            ).exists()
        ):
            raise NotFound("Not found.")
        return obj

    def current_version(self, obj):
        return self.version_model.objects.get(**{self.version_fk: obj}, number=obj.version)

    def text_of(self, version) -> str:
        raise NotImplementedError

    def guard(self, obj, version) -> dict:
        raise NotImplementedError

    def review_id(self, obj) -> int | None:
        return None

    def on_approved(self, obj, who: Actor) -> None:
        """The last step approved (inside the transaction)."""

    # whether the last approval may be taken back while the text is approved: only where
    # approved is not already publishing (a statement waits for someone to publish it; an
    # approved reply is queued for its platform at once)
    last_approval_takes_back = False

    def on_approval_taken_back(self, obj, who: Actor) -> None:
        """The last approval was taken back (`take_back`, inside the transaction): what
        `on_approved` started for it is undone."""

    def describe(self, obj) -> str:
        """The text in a few words for a notice ("a reply to a 1★ Google review"): never the
        words of the review or the reply, which stay behind the sign-in."""
        return f"a {KIND_WORDS.get(self.object_type, self.object_type)}"

    def page(self, obj, clinic) -> str:
        """The agency's page of this text (its editor, where each step acts too)."""
        raise NotImplementedError

    def due_at(self, obj, clinic) -> datetime | None:
        """When the text is due, or None when no deadline runs for it (a statement)."""
        return None


def review_due_at(review, clinic) -> datetime | None:
    """When a reply to `review` is due by the clinic's reply target, the one clock of every
    "overdue by" (`inbox.selectors.reply_clock`), or None where none runs: a review the target
    does not count (a past one, not negative) or one answered otherwise (not awaiting a reply)."""
    if review.status not in AWAITING_REPLY_STATUSES or not review_counts_for_reply_target(review):
        return None
    clock = reply_clock(review, target_minutes=clinic.reply_target_minutes, now=timezone.now())
    return clock["due_at"] if clock else None


def _who_acts(clinic, step: str) -> list:
    if step == Step.AGENCY:
        return people_who_can(clinic, permission=Permission.APPROVE_AGENCY)
    if step == Step.LEGAL:
        return people_who_can(clinic, permission=Permission.LEGAL_OVERRIDE)
    if step == Step.CLINICIAN:
        return people_who_can(clinic, crisis_role=CrisisRole.CLINICIAN)
    return people_who_can(clinic, permission=Permission.APPROVE_CLIENT)


CARD_KINDS = {"reply": "reply", "statement": "statement", "reply_batch": "batch"}


def _url_for(flow: Flow, clinic, step: str, obj) -> str:
    """Where the people of `step` act on `obj`: the agency's page of the text, or its card in
    the portal."""
    base = f"/clinics/{clinic.slug}/"
    if step == Step.AGENCY:
        return flow.page(obj, clinic)
    card = f"#card-{CARD_KINDS.get(flow.object_type, flow.object_type)}-{obj.pk}"
    if step in (Step.LEGAL, Step.CLINICIAN, "guard"):
        return f"{base}portal/review/{card}"
    if flow.object_type == "statement":
        return f"{base}portal/statements/{card}"
    # the approvals page comes in pages: `card` opens the one that holds it
    return f"{base}portal/approvals/?card={card[len('#card-') :]}{card}"


def _described(flow: Flow, obj) -> str:
    """`flow.describe(obj)` at the start of a sentence ("A reply to a 2★ … review")."""
    return _described_as(flow.describe(obj))


def _described_as(what: str) -> str:
    return what[:1].upper() + what[1:]


def _people_names(flow: Flow, obj) -> str:
    version = flow.current_version(obj) if obj.version else None
    name = getattr(version, "author_name", "") or getattr(obj, "author_name", "")
    return f"Written by {name}." if name else ""


def _ref(flow: Flow, obj) -> str:
    return f"{flow.object_type}:{obj.pk}"


def version_sent_before(object_type: str, obj, step: str) -> int | None:
    """The last version before the current one that reached `step` (its people were sent it
    for their approval), from the audit trail; None when no earlier version got that far (an
    agency-internal draft never reached the clinic)."""
    return versions_sent_before_each(object_type, [(obj, step)])[obj.pk]


def versions_sent_before_each(object_type: str, texts) -> dict[int, int | None]:
    """`version_sent_before` for many texts of one kind in one query, whatever their number:
    `texts`, (obj, step) pairs; {pk: the version number, or None} (a page's cards)."""
    asked = {obj.pk: (obj.version, PENDING_FOR_STEP.get(step)) for obj, step in texts}
    found: dict[int, int | None] = dict.fromkeys(asked)
    asked = {pk: (v, status) for pk, (v, status) in asked.items() if v and status is not None}
    if not asked:
        return found
    for pk, status, version in AuditEntry.objects.filter(
        object_type=object_type,
        object_id__in=list(asked),
        to_status__in={status for _, status in asked.values()},
        version__isnull=False,
    ).values_list("object_id", "to_status", "version"):
        current, wanted = asked[pk]
        if status == wanted and version < current and version > (found[pk] or 0):
            found[pk] = version
    return found


# legal sent a version back: kept the privacy check's block, or rejected it at the legal step;
# of a batch, each mention's reply records it too (`batches._member_audit`, with the step)
# legal kept the privacy check's block: of the text itself, or of a batch it was a mention of
_KEPT_BLOCK = ("override_refused", "batch_override_refused")
_LEGAL_SENT_BACK = Q(action__in=_KEPT_BLOCK) | Q(
    action__in=("rejected", "batch_rejected"), detail__step=Step.LEGAL.value
)


def legal_sent_back_each(object_type: str, objs) -> dict[int, AuditEntry | None]:
    """The last time legal sent back a version of each text (kept the privacy check's block,
    or rejected it at the legal step), as its trail records it (who, when, legal's comment,
    the version): None when legal never did. A text legal sent back stays bound to legal:
    every later version goes to the legal step (`route_for`). For a reply (and a batch, for
    each mention it answers), legal sending back another reply to the same review counts too,
    alone or as a mention of a batch legal sent back: discarding it and starting again, alone
    or in a batch, does not leave legal out. Two queries at most for all `objs`, whatever
    their number."""
    objs = list(objs)
    found: dict[int, AuditEntry | None] = {obj.pk: None for obj in objs}
    if not objs:
        return found
    match = Q(object_type=object_type, object_id__in=list(found))
    by_review: dict[int, set[int]] = {}
    if object_type == "reply":
        for obj in objs:
            by_review.setdefault(obj.review_id, set()).add(obj.pk)
    elif object_type == "reply_batch":
        for review_id, batch_id in (
            ReplyDraft.objects.filter(batch_id__in=list(found))
            .exclude(status=S.DISCARDED)
            .values_list("review_id", "batch_id")
        ):
            by_review.setdefault(review_id, set()).add(batch_id)
    if by_review:
        match |= Q(object_type="reply", review_id__in=list(by_review))
    for entry in AuditEntry.objects.filter(match).filter(_LEGAL_SENT_BACK).order_by("id"):
        same = entry.object_type == object_type and entry.object_id in found
        targets = set(by_review.get(entry.review_id, ())) | ({entry.object_id} if same else set())
        if object_type == "reply_batch" and entry.object_type == "reply":
            # a batch's own send-back is its own entry, not its mentions' copies of it
            targets.discard(entry.detail.get("batch_id"))
        for pk in targets:
            found[pk] = entry  # the newest wins
    return found


def legal_sent_back(flow: Flow, obj) -> AuditEntry | None:
    """`legal_sent_back_each` of one text."""
    return legal_sent_back_each(flow.object_type, [obj])[obj.pk]


def sent_back_this_version(entry: AuditEntry, obj) -> bool:
    """Whether legal's send-back (`legal_sent_back`) was of `obj`'s current version (it waits
    for its writer), not of an earlier one (or of another reply to the same review)."""
    return sent_back_of_this_text(entry, obj) and entry.version == obj.version


def sent_back_kept_block(entry: AuditEntry) -> bool:
    """Whether legal's send-back (`legal_sent_back`) kept the privacy check's block (of the
    text, or of a batch that answered its mention), rather than rejecting it at the legal
    step."""
    return entry.action in _KEPT_BLOCK


def sent_back_of_this_text(entry: AuditEntry, obj) -> bool:
    """Whether legal's send-back (`legal_sent_back`) was of `obj` itself (one of its versions),
    not of another reply to the same review."""
    # a batch is bound by the replies to its mentions too: their entries are of another kind
    return entry.object_id == obj.pk and (entry.object_type == "reply") == isinstance(
        obj, ReplyDraft
    )


def sent_back_words(entry: AuditEntry, obj) -> str:
    """Legal's send-back in a sentence for the people who read a later version: "Lee Legal
    (legal) sent version 1 back: “Remove the name.”"."""
    said = f": “{entry.comment}”" if entry.comment else "."
    return f"{entry.actor_name or 'Legal'} (legal) sent {sent_back_which(entry, obj)} back{said}"


def sent_back_which(entry: AuditEntry, obj) -> str:
    """Which text legal sent back, from a later version's side: "version 1", or "an earlier
    reply" (another reply to the same review)."""
    return f"version {entry.version}" if sent_back_of_this_text(entry, obj) else "an earlier reply"


# a reminder goes out at most this often for one version of a text
REMIND_EVERY = timedelta(minutes=30)
# why a text waits for nobody who can ever act (`Waiting.stuck`), as the API says it
STUCK_NO_CLINIC_APPROVER = "no_clinic_approver"
STUCK_ALL_BARRED = "all_barred"
STUCK_NO_ONE_WITH_ROLE = "no_one_with_role"
STUCK_CHOICES = (
    (STUCK_NO_CLINIC_APPROVER, "The clinic has no approver to give its approval step"),
    (STUCK_ALL_BARRED, "Everyone who may give the step wrote or approved this version"),
    (STUCK_NO_ONE_WITH_ROLE, "Nobody of the clinic holds the legal or clinician role"),
)


@dataclass(frozen=True)
class Waiting:
    """Whom a text waits for now: the step (or "guard": a block legal must lift), the people
    who may give it, those of them the separation of duties bars from this version, when the
    people were last told, and the last reminder of this version."""

    step: str
    people: list
    barred: list
    told_at: datetime | None
    reminded_at: datetime | None
    reminded_by: str

    @property
    def label(self) -> str:
        if self.step == "guard":
            return "legal review of the privacy block"
        return Step(self.step).label.lower()

    @property
    def names(self) -> str:
        """ "Ann Lee", "Ann Lee or Ben Ortiz", "Ann Lee, Ben Ortiz or Cy Wu"."""
        told = people_names(self.people)
        names = [told[u.pk] for u in self.people]
        return " or ".join(filter(None, [", ".join(names[:-1]), names[-1]])) if names else ""

    @property
    def not_signed_in(self) -> str:
        """Those of the people who have not chosen a password yet (their invitation is open):
        they are told by e-mail, but cannot open the text until they do."""
        told = people_names(self.people)
        return ", ".join(told[u.pk] for u in self.people if not u.has_usable_password())

    @property
    def barred_names(self) -> str:
        told = people_names(self.barred)
        return ", ".join(told[u.pk] for u in self.barred)

    @property
    def nobody(self) -> str:
        """Why nobody can act, in words, or "" when someone can."""
        if self.people:
            return ""
        if self.barred:
            return (
                f"Nobody else can give the {self.label}: {self.barred_names} wrote or already approved "
                "this version. Add another person for this step in the clinic's people settings."
            )
        return (
            f"Nobody can give the {self.label}: no person of this clinic has that role. Add one "
            "in the clinic's people settings."
        )

    @property
    def stuck(self) -> str | None:
        """Why nobody can ever give the step as things stand, as the API says it, or None:
        `STUCK_NO_CLINIC_APPROVER` (it waits at the clinic's approval step and the clinic has
        no approver, the rule of `clinics.approvers.clinic_has_approver`: its people's
        approvers are who may give that step), `STUCK_ALL_BARRED` (everyone who may give the
        step wrote or approved this version), `STUCK_NO_ONE_WITH_ROLE` (the legal or clinician
        step, and nobody of the clinic holds that crisis role). A legal block ("guard") is never
        stuck here: its writer may change the text."""
        if self.people or self.step == "guard":
            return None
        if self.barred:
            return STUCK_ALL_BARRED
        if self.step in (Step.LEGAL, Step.CLINICIAN):
            return STUCK_NO_ONE_WITH_ROLE
        return STUCK_NO_CLINIC_APPROVER if self.step == Step.CLIENT else None

    def remind_from(self) -> datetime | None:
        return self.reminded_at + REMIND_EVERY if self.reminded_at else None

    def can_remind_now(self) -> bool:
        due = self.remind_from()
        return bool(self.people) and (due is None or timezone.now() >= due)


def waits_at(obj) -> str | None:
    """The step `obj` waits at ("guard": its writer submitted a version the privacy check
    blocks, and legal decides whether to lift the block), or None when it waits for nobody
    but its writer (a draft, a blocked version only saved, sent back, approved, finished).
    Reads nothing."""
    step = step_of(obj)
    if step is None and obj.guard_verdict == Verdict.BLOCK and not obj.is_overridden:
        if obj.status in FINISHED or obj.status == S.APPROVED or obj.is_override_refused:
            return None  # (legal sent this version back: it waits for its writer)
        if not obj.is_legal_asked:
            return None  # saved, not submitted: its writer may still change it
        step = "guard"
    return step


def logged_step(step: str | None) -> str | None:
    """The step as the approvals log names it: a guard block waits for the legal step."""
    return Step.LEGAL.value if step == "guard" else step


def waiting_on(flow: Flow, obj, *, cache: dict | None = None) -> Waiting | None:
    """Whom `obj` waits for (None when it waits for nobody: a draft, approved, finished).
    `cache`: a dict a page passes for all its texts, so each step's people are read once."""
    return waiting_on_each(flow, [obj], cache=cache)[obj.pk]


def waiting_on_each(
    flow: Flow, objs, *, cache: dict | None = None, acted: dict[int, set[str]] | None = None
) -> dict[int, Waiting | None]:
    """`waiting_on` for many texts of one kind in a fixed number of queries, whatever their
    number (a page's cards): {pk: Waiting or None}. `acted`: their `principals_who_acted_each`,
    when the caller read them already."""
    out: dict[int, Waiting | None] = {obj.pk: None for obj in objs}
    steps = {obj.pk: step for obj in objs if (step := waits_at(obj)) is not None}
    texts = [obj for obj in objs if obj.pk in steps]
    if not texts:
        return out
    clinic = current_clinic()
    cache = {} if cache is None else cache
    if acted is None:
        acted = principals_who_acted_each(object_type=flow.object_type, objs=texts)
    people, barred = {}, {}
    for obj in texts:
        acting_step = Step.LEGAL if steps[obj.pk] == "guard" else steps[obj.pk]
        if acting_step not in cache:
            cache[acting_step] = _who_acts(clinic, acting_step)
        # nobody may give a step of a text they wrote or of a version they already gave a
        # step of
        refused = _writer_principals(obj) | acted[obj.pk]
        people[obj.pk] = [u for u in cache[acting_step] if f"user:{u.pk}" not in refused]
        barred[obj.pk] = [u for u in cache[acting_step] if f"user:{u.pk}" in refused]
    refs = {_ref(flow, obj): obj.pk for obj in texts}
    told: dict[int, datetime] = {}
    for ref, user_id, at in Notification.objects.filter(
        clinic=clinic, ref__in=list(refs), user__in={u.pk for p in people.values() for u in p}
    ).values_list("ref", "user_id", "created_at"):
        pk = refs[ref]
        if any(u.pk == user_id for u in people[pk]) and (pk not in told or at > told[pk]):
            told[pk] = at
    versions = {obj.pk: obj.version for obj in texts}
    reminders: dict[int, AuditEntry] = {}
    for entry in AuditEntry.objects.filter(
        object_type=flow.object_type, object_id__in=list(versions),
        version__in=set(versions.values()), action="reminded",
    ).order_by("-created_at", "-id"):  # fmt: skip
        if entry.version == versions[entry.object_id]:
            reminders.setdefault(entry.object_id, entry)
    for obj in texts:
        reminder = reminders.get(obj.pk)
        out[obj.pk] = Waiting(
            step=steps[obj.pk],
            people=people[obj.pk],
            barred=barred[obj.pk],
            told_at=told.get(obj.pk),
            reminded_at=reminder.created_at if reminder else None,
            reminded_by=(reminder.actor_name or reminder.actor_label) if reminder else "",
        )
    return out


def tell_who_acts(flow: Flow, obj, *, reminder: Actor | None = None) -> dict[int, list[str]]:
    """Whatever was open about this text is done; the people of the step it now waits for
    (or legal, for a guard block nobody overrode) are told in-app and by e-mail (now or in
    their digest). The author of the text is not told about their own text. `reminder`: who
    reminds them (`remind`): the same, told again, naming that person and their agency."""
    clinic = current_clinic()
    waiting = waiting_on(flow, obj)
    # a text still blocked keeps legal's open notice (each saved version of a blocked draft
    # e-mailed legal again about the same card); a reminder tells them again on purpose
    still_blocked = waiting is not None and waiting.step == "guard" and reminder is None
    ref = _ref(flow, obj)
    done = [f"{ref}:sent_back", f"{ref}:stuck", f"{ref}:lifted"]
    if still_blocked:
        notifications_close(clinic=clinic, ref=ref, keep=waiting.people)
    else:
        done.append(ref)
    notifications_close(clinic=clinic, ref=done)
    _draft_notice(flow, obj, clinic)
    if waiting is None:
        return {}
    step = waiting.step
    # nobody is told a text waits for them that the separation of duties would refuse them
    if waiting.barred and not waiting.people and step != "guard":
        return _tell_stuck(flow, obj, clinic, step, waiting.barred)
    if not waiting.people and step == Step.CLIENT:
        return _tell_no_approver(flow, obj, clinic)
    title, kind, again = _waiting_words(flow, obj, waiting)
    due_at = flow.due_at(obj, clinic)
    due = _due_words(due_at, clinic)
    said, by = "", ""
    if reminder is not None:
        said, by = _reminder_words(reminder, clinic, step)
    told: dict[int, list[str]] = {}
    for people, words, replaced in _by_version_sent(flow, obj, step, kind, waiting.people):
        told |= people_notify(
            users=people,
            clinic=clinic,
            kind=kind,
            ref=_ref(flow, obj),
            title=f"{said}{title}{words}{due}",
            detail=" ".join(filter(None, [by, replaced, again, _people_names(flow, obj)])),
            url=_url_for(flow, clinic, step, obj),
            due_at=due_at,
        )
    return told


def _reminder_words(who: Actor, clinic, step: str) -> tuple[str, str]:
    """What a reminder's title begins with and its detail adds: who sent it and their agency
    ("Reminder from Alex Writer (Harbour Health): ", "Alex Writer of Harbour Health reminded
    you."), so the person reminded knows whom to answer. The agency as the people told know
    it: its name for its staff (the agency's step), its brand for the clinic's people."""
    agency = clinic.agency.name if step == Step.AGENCY else brand_name(clinic.agency)
    name = one_line(who.name) or "Someone"
    return f"Reminder from {name} ({agency}): ", f"{name} of {agency} reminded you."


def _due_words(due_at: datetime | None, clinic) -> str:
    """What a "waits for you" title adds about the text's deadline (`deadline_words`): " — reply
    due Mon 7 Dec 2026, 09:30 EST", " — reply overdue since …", or nothing. The pages say it as
    it reads when shown (`clinics.notifications.notice_title`, from the stored `due_at`)."""
    words = deadline_words(due_at, clinic)
    return f" — {words}" if words else ""


def _waiting_words(flow: Flow, obj, waiting: Waiting) -> tuple[str, str, str]:
    """What the people a text waits for are told: its title, the notice's kind, and (a new
    version of a text legal sent back) what their notice adds about it."""
    step, what = waiting.step, _described(flow, obj)
    sent_back = legal_sent_back(flow, obj) if step in (Step.LEGAL, "guard") else None
    again = ""
    if sent_back is not None and not sent_back_this_version(sent_back, obj):
        # a new version of a text legal sent back: it is theirs again, whatever the check says
        again = (
            f"{sent_back_words(sent_back, obj)} Every later version comes back to legal: "
            "read what changed on its card."
        )
    if step == "guard":
        return f"{what} is blocked by the privacy check: legal review needed", "legal", again
    if again and step == Step.LEGAL:
        title = f"{what}, which legal sent back, has a new version waiting for your legal review"
        return title, "legal", again
    return (
        f"{what} waits for your {waiting.label}",
        "legal" if step == Step.LEGAL else "approval",
        again,
    )


def tell_newcomer(flow: Flow, objs, user) -> list[tuple[str, str, str]]:
    """`user` can now give a step they could not (added to the clinic, or given a role that
    gives it): each of `objs` that already waits at a step they may give is told to them once,
    in-app, as `tell_who_acts` tells the step's people (the same ref, kind and title, so their
    line closes as everyone's does when someone acts); the caller e-mails them one list. A
    text that waited for nobody no longer does: its "stuck" notices close. Returns (title,
    detail, url) of each text told, for that e-mail."""
    clinic = current_clinic()
    told = []
    waits = waiting_on_each(flow, objs)
    for obj in objs:
        waiting = waits[obj.pk]
        if waiting is None or user.pk not in {u.pk for u in waiting.people}:
            continue
        notifications_close(clinic=clinic, ref=f"{_ref(flow, obj)}:stuck")
        title, kind, again = _waiting_words(flow, obj, waiting)
        url = _url_for(flow, clinic, waiting.step, obj)
        due_at = flow.due_at(obj, clinic)
        due = _due_words(due_at, clinic)
        for people, words, replaced in _by_version_sent(flow, obj, waiting.step, kind, [user]):
            detail = " ".join(filter(None, [replaced, again, _people_names(flow, obj)]))
            if people_notify(
                users=people, clinic=clinic, kind=kind, ref=_ref(flow, obj),
                title=f"{title}{words}{due}", detail=detail, url=url, email=False,
                due_at=due_at,
            ):  # fmt: skip
                told.append((f"{title}{words}{due}", detail, url))
    return told


def _by_version_sent(flow: Flow, obj, step: str, kind: str, people: list) -> list[tuple]:
    """The people told that `obj` waits for them, in groups of what their notice adds to its
    title and detail: nothing for a first version; from version 2 on, which version waits, and,
    for those who were sent an earlier version at this step (a new version withdrew it), which
    one it replaces. A guard block names no version (legal is told once while it stays
    blocked)."""
    if step == "guard" or not obj.version or obj.version < 2:
        return [(people, "", "")]
    earlier = version_sent_before(flow.object_type, obj, step)
    told_before = set()
    if earlier is not None:
        told_before = set(
            Notification.objects.filter(
                clinic=current_clinic(), ref=_ref(flow, obj), kind=kind,
                user__in=[u.pk for u in people],
            ).values_list("user_id", flat=True)
        )  # fmt: skip
    replacing = [u for u in people if u.pk in told_before]
    others = [u for u in people if u.pk not in told_before]
    groups = []
    if replacing:
        groups.append((
            replacing,
            f" (version {obj.version}, replacing version {earlier} you were sent)",
            # (whether it was withdrawn or sent back, by them or another: "no longer waits")
            f"Version {earlier}, which you were sent before, no longer waits: version "
            f"{obj.version} replaced it and is the one that waits for you now.",
        ))  # fmt: skip
    if others:
        groups.append((others, f" (version {obj.version})", ""))
    return groups


@transaction.atomic
def remind(
    flow: Flow,
    *,
    pk: int,
    access: ClinicAccess,
    now: datetime | None = None,
    expected_status: str | None = None,
    expected_version: int | None = None,
) -> Waiting:
    """Tell the people a text waits for again (in-app and by e-mail), at most once per
    `REMIND_EVERY` for one version; recorded in the audit trail. For the agency's people who
    write (they chase approvals); 409 when nothing waits, nobody can give the step, or it was
    reminded a moment ago, and (`expected_*`, as the caller read the text) 409 `stale` when
    it changed since."""
    require(access, Permission.WRITE)
    now = now or timezone.now()
    obj = flow.lock(pk, access)
    _expect(
        obj,
        expected_status=expected_status,
        expected_version=expected_version,
        flow=flow,
        access=access,
    )
    waiting = waiting_on(flow, obj)
    if waiting is None:
        raise Conflict(
            f"It waits for nobody's approval (it is “{obj.get_status_display()}”).",
            code="not_waiting",
        )
    if waiting.nobody:
        raise Conflict(waiting.nobody, code="nobody_to_remind")
    due = waiting.remind_from()
    if due and now < due:
        minutes = max(1, int((due - now).total_seconds() // 60) + 1)
        raise Conflict(
            f"{waiting.reminded_by} reminded {waiting.names} {_ago(now - waiting.reminded_at)}; "
            f"you can remind them again in {minutes} minute{'s' if minutes != 1 else ''}.",
            code="reminded_recently",
        )
    tell_who_acts(flow, obj, reminder=access.actor)
    _audit(flow, obj, "reminded", access.actor,
           detail={"step": waiting.step, "people": [u.pk for u in waiting.people]})  # fmt: skip
    # as waiting_on would now read it back, without reading the people and the audit again
    who, at = access.actor, timezone.now()
    return replace(waiting, told_at=at, reminded_at=at, reminded_by=who.name[:200] or who.label)


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return "just now" if minutes < 1 else f"{minutes} minute{'s' if minutes != 1 else ''} ago"


def _tell_stuck(flow: Flow, obj, clinic, step: str, barred: list) -> dict:
    """Everyone who may give `step` already wrote or approved this version: nobody can give it.
    The agency's owners and managers are told why and what to do (another person for the step,
    in the clinic's people), instead of telling the barred people it waits for them."""
    names = ", ".join(u.full_name or u.email for u in barred)
    return people_notify(
        users=people_who_can(clinic, permission=Permission.MANAGE),
        clinic=clinic,
        kind="stuck",
        ref=f"{_ref(flow, obj)}:stuck",
        title=f"{_described(flow, obj)} is stuck: nobody else can give the "
        f"{Step(step).label.lower()}",
        detail=f"Everyone who may give it ({names}) wrote or already approved this version, and "
        "nobody gives two steps of one text. Add another person for this step in the clinic's "
        "people settings: the text then waits on their approvals page.",
        url=f"/clinics/{clinic.slug}/settings/people/",
        severity="high",
    )


def _tell_no_approver(flow: Flow, obj, clinic) -> dict:
    """`obj` reached the clinic's approval step and the clinic has no approver: the agency's
    owners and managers find a line of it (closed when it moves on or when the clinic has an
    approver again, `tell_newcomer`) and, once while it lasts, the notice that the clinic has
    no approver (e-mailed, `clinics.approvers.no_approver_tell`)."""
    people_notify(
        users=people_who_can(clinic, permission=Permission.MANAGE),
        clinic=clinic,
        kind="stuck",
        ref=f"{_ref(flow, obj)}:stuck",
        title=f"{_described(flow, obj)} waits for the clinic approval, but {clinic.name} has "
        "no approver",
        url=f"/clinics/{clinic.slug}/settings/people/",
        severity="high",
        email=False,
    )
    return no_approver_tell(clinic=clinic)


def stuck_words(waiting: Waiting | None, clinic) -> str:
    """What the person who just moved a text on reads when it now waits where nobody can give
    the step (`Waiting.stuck`), with what to do; "" when someone can."""
    if waiting is None or waiting.stuck is None:
        return ""
    if waiting.stuck == STUCK_NO_CLINIC_APPROVER:
        return (
            f"Stuck: {clinic.name} has no approver, so nobody can give the clinic approval and "
            "this text waits there for good. Add one of the clinic's people as its approver "
            f"on the clinic's people page (/clinics/{clinic.slug}/settings/people/): it then "
            "waits on their approvals page. The agency's owners and managers were told."
        )
    return f"Stuck: {waiting.nobody}"


def no_approver_words(obj) -> str:
    """What the writer of `obj`, just submitted, reads when its route ends at the clinic's
    approval step and the clinic has no approver (else ""): it is not refused, it waits."""
    if Step.CLIENT.value not in (obj.route or []) or obj.status in FINISHED | {S.APPROVED}:
        return ""
    clinic = current_clinic()
    if clinic_has_approver(clinic):
        return ""
    when = (
        "It waits"
        if obj.status == S.PENDING_CLIENT
        else "Once the steps before approve it, it waits"
    )
    return (
        f"{clinic.name} has no approver now. {when} at the clinic's approval step until the "
        "clinic has one: the agency's owners and managers were told, and you are told when "
        "it can approve again."
    )


def _draft_notice(flow: Flow, obj, clinic) -> None:
    """A reply draft its writer has not submitted yet waits for them: one "Your draft, not
    submitted yet" line in their "Waiting for you" (on the pages only: nobody is e-mailed
    about their own draft), which closes once it is submitted (or legal is asked about its
    block), discarded, published or its review is settled (`sent_back_close_settled`). A
    draft of a batch is the batch's; one started by an API key or by Carewatch has no writer
    to tell."""
    ref = f"{_ref(flow, obj)}:draft"
    writer = user_id_of(obj.author_label) if flow.object_type == "reply" else None
    waits = (
        writer is not None
        and obj.batch_id is None
        and obj.status == S.DRAFT
        and not obj.is_legal_asked
        and not review_is_settled(obj.review)
    )
    if not waits:
        if writer is not None and (obj.status in PENDING or obj.is_legal_asked):
            # submitted (a save-and-submit too): the line in their history says so as it
            # closes, never "not submitted yet" about what they just submitted
            notifications_withdraw(
                clinic=clinic, ref=ref, title=f"{DRAFT_SUBMITTED}: {flow.describe(obj)}"
            )
        notifications_close(clinic=clinic, ref=ref)
        return
    people_notify(
        users=list(User.objects.filter(pk=writer)),
        clinic=clinic,
        kind="draft",
        ref=ref,
        title=f"{DRAFT_NOT_SUBMITTED}: {flow.describe(obj)}",
        url=flow.page(obj, clinic),
        email=False,
    )


DRAFT_NOT_SUBMITTED = "Your draft, not submitted yet"
DRAFT_SUBMITTED = "Your draft, submitted"


def tell_authors_sent_back(
    flow: Flow, obj, who: Actor, *, step: str, comment: str, title: str = "", detail: str = ""
) -> dict:
    """A text sent back waits for its writer: they are told who sent it back, at which step,
    and why, with a link to its page (`title`, `detail`: in other words, where the step
    has its own, such as legal keeping a privacy block)."""
    clinic = current_clinic()
    if not detail:
        detail = f"{who.name or 'Someone'} asks: “{comment}”"
        if step == Step.LEGAL:  # it stays bound to legal (`route_for`)
            detail += " Legal sent this back: your next version goes to legal again."
    title = title or f"{_described(flow, obj)} was sent back at the {Step(step).label.lower()}"
    writers = _writers_to_tell(obj, who, active_only=False)
    users = people_reaching(clinic, writers)
    if writers and not users:
        # its writer left (removed from the staff or the clinic): the people who manage the
        # clinic take it over, told so, never the person who sent it back
        users = [
            u
            for u in people_who_can(clinic, permission=Permission.MANAGE)
            if f"user:{u.pk}" != who.label
        ]
        gone = ", ".join(w.full_name or w.email for w in writers)
        title = f"{title}; its writer ({gone}) has left: someone needs to take it over"
    return people_notify(
        users=users,
        clinic=clinic,
        kind="sent_back",
        ref=f"{_ref(flow, obj)}:sent_back",
        title=title,
        detail=detail,
        url=flow.page(obj, clinic),
    )


# A review in one of these needs no reply from the writer any more: it was answered (another
# reply went out), resolved (its private follow-up too) or set aside.
SETTLED_REVIEW = ("replied", "resolved", "ignored")


def review_is_settled(review) -> bool:
    """The review needs no reply any more: settled (`SETTLED_REVIEW`) or taken down."""
    return review.is_deleted or review.status in SETTLED_REVIEW


def review_settled_words(review) -> str:
    """How the review was settled, in words after "the review was": "taken down",
    "resolved", "set aside", "marked as replied" (its status, in the inbox's words)."""
    if review.is_deleted:
        return "taken down"
    return SETTLED_WORDS.get(review.status) or review.get_status_display().lower()


def waiting_notices_redescribe(flow: Flow, obj, *, was: str) -> int:
    """`obj` changed while it waits, its version and approvals unchanged (a batch answers
    fewer mentions: `was`, its `flow.describe` before): the notices of the people it waits
    for (open, or owed to their digest) say what it is now. Returns how many changed."""
    was, now = _described_as(was), _described(flow, obj)
    if was == now:
        return 0
    rows = Notification.objects.filter(
        Q(open=True) | Q(email_pending=True), clinic=current_clinic(), ref=_ref(flow, obj),
        waits=True, title__contains=was,
    )  # fmt: skip
    changed = 0
    for row in rows:
        row.title = row.title.replace(was, now, 1)[:300]
        row.save(update_fields=["title", "updated_at"])
        changed += 1
    return changed


def sent_back_close_settled(*, review_ids) -> int:
    """The "sent back to you" (and "Your draft, not submitted yet") notices about the replies
    to these reviews whose work is over close: the reply is published or discarded, or its review was answered, resolved, set
    aside or taken down. A reply still sent back on a review that waits for it keeps its
    notice. Returns how many notices closed.

    Every path that settles a review or a reply calls it: the outbox (published) directly,
    and `responses.services.settling.reviews_settled_close` (which first withdraws what
    waited for an approval) for the private follow-up (resolved) and, through
    `core.settled.reviews_settled`, the inbox's status changes (one review or many at once)
    and a review taken down."""
    drafts = ReplyDraft.objects.filter(review_id__in=list(review_ids)).filter(
        Q(status__in=FINISHED) | Q(review__status__in=SETTLED_REVIEW) | Q(review__is_deleted=True)
    )
    refs = [
        f"reply:{pk}:{what}"
        for pk in drafts.values_list("pk", flat=True)
        for what in ("sent_back", "lifted", "draft")
    ]
    if not refs:
        return 0
    clinic = current_clinic()
    # many reviews settled at once: only the notices still open are closed, one by one
    still_open = set(
        Notification.objects.filter(clinic=clinic, ref__in=refs, open=True).values_list(
            "ref", flat=True
        )
    )
    return sum(notifications_close(clinic=clinic, ref=ref) for ref in sorted(still_open))


def _audit(flow: Flow, obj, action: str, who: Actor, **kw) -> None:
    audit_record(
        object_type=flow.object_type,
        object_id=obj.pk,
        review_id=flow.review_id(obj),
        action=action,
        who=who,
        version=obj.version,
        **kw,
    )
    figures_changed()


ACTED_FIRST_VERBS = {
    "approved": "approved it",
    "rejected": "sent it back",
    "submitted": "submitted it",
    TAKEN_BACK: "took back an approval of it",
    "discarded": "discarded it",
    "withdrawn": "withdrew it",
}


def _acted_first_words(flow: Flow | None, obj, access: ClinicAccess | None) -> str:
    """Who changed the text's status to what it is now, and when, in the clinic's time: "You
    approved it at 15:12 (on another device or tab)", "Avery Approver approved it at 15:12";
    "Someone acted on it first" when the trail does not say."""
    entry = None
    if flow is not None:
        entry = (
            AuditEntry.objects.filter(
                object_type=flow.object_type, object_id=obj.pk, to_status=obj.status
            )
            .order_by("-created_at", "-id")
            .first()
        )
    if entry is None:
        return "Someone acted on it first"
    zone = clinic_zone(current_clinic())
    local = timezone.localtime(entry.created_at, zone)
    when = f"at {local:%H:%M}"
    if local.date() != timezone.localtime(timezone.now(), zone).date():
        when = f"on {local:%a} {local.day} {local:%b} {when}"
    verb = ACTED_FIRST_VERBS.get(entry.action, "changed it")
    if access is not None and entry.actor_label in access.principals:
        return f"You {verb} {when} (on another device or tab)"
    return f"{entry.actor_name or 'Someone'} {verb} {when}"


def stale_words(current: int, expected: int) -> str:
    """Why a version the caller named is not the one to act on: a newer one was saved since,
    or (a number from nowhere, a typo) there is no such version."""
    if expected > current:
        return f"There is no version {expected}: the latest is version {current}. Reload it."
    return f"Someone saved a newer version ({current}) since you opened it. Reload it."


def _expect(
    obj,
    *,
    expected_status: str | None,
    expected_version: int | None,
    flow: Flow | None = None,
    access: ClinicAccess | None = None,
) -> None:
    if expected_version is not None and obj.version != expected_version:
        if expected_version > obj.version:
            raise Conflict(stale_words(obj.version, expected_version), code="stale")
        raise Conflict(
            f"The text changed since you read it (now version {obj.version}). Reload it.",
            code="stale",
        )
    if expected_status is not None and obj.status != expected_status:
        raise Conflict(
            f"{_acted_first_words(flow, obj, access)}: it is now “{obj.get_status_display()}”. "
            "Reload it.",
            code="stale",
        )


def _not_own(flow: Flow, obj, access: ClinicAccess, what: str) -> None:
    if access.principals & _writer_principals(obj):
        raise PermissionDenied(
            f"Nobody may {what} a text they wrote (or a key they created wrote).",
            code="separation_of_duties",
        )


def _guard_gate(flow: Flow, obj, version) -> dict:
    """Run the guard again; refuse if it blocks and no override covers this version."""
    result = flow.guard(obj, version)
    obj.guard_verdict = result["verdict"]
    if result["verdict"] == Verdict.BLOCK and not obj.is_overridden:
        raise guard_refusal(result)
    return result


def after_new_version(flow: Flow, obj, version, who: Actor, *, action: str = "edited") -> None:
    """Bookkeeping after a new version was stored: the object points at it, its verdict is the
    version's, and a text under review (or a published statement) goes back to draft: the
    approvals given were for the old text. A version legal was asked about is no longer
    theirs to review (`_legal_request_close`)."""
    before, withdrawn = obj.status, obj.version
    legal = waiting_on(flow, obj) if waits_at(obj) == "guard" else None
    obj.version = version.number
    obj.guard_verdict = version.guard_verdict
    fields = ["version", "guard_verdict", "updated_at"]
    if obj.status not in SUBMITTABLE:  # under review, or a published statement
        obj.status = S.DRAFT
        obj.route = []
        fields += ["status", "route"]
    obj.save(update_fields=fields)
    if before in PENDING:
        # the version that waited is withdrawn: its open "waits for you" notices say so as
        # they close (`tell_who_acts`), so the person's list shows what happened to it
        notifications_retitle(
            clinic=current_clinic(),
            ref=_ref(flow, obj),
            title=f"{_described(flow, obj)}: version {withdrawn} was withdrawn "
            f"(replaced by version {version.number})",
        )
    _audit(
        flow,
        obj,
        action,
        who,
        from_status=before,
        to_status=obj.status,
        detail={"verdict": version.guard_verdict, "findings": len(version.guard_findings)},
    )
    if legal is not None:
        _legal_request_close(flow, obj, legal, withdrawn=withdrawn)
    tell_who_acts(flow, obj)


def _legal_request_close(flow: Flow, obj, legal: Waiting, *, withdrawn: int) -> None:
    """Legal was asked about version `withdrawn` and a newer one replaced it: their notices
    close (banner, badge, the next digest) saying why in their history. A new version the
    privacy check passes needs no legal review at all: they are told so, for their
    information; a new version still blocked waits for its writer to submit it (and ask)."""
    clinic = current_clinic()
    what = _described(flow, obj)
    # a text legal sent back before comes back to legal once submitted, blocked or not
    clean = obj.guard_verdict != Verdict.BLOCK and legal_sent_back(flow, obj) is None
    if clean:
        title = (
            f"{what} no longer needs your legal review: version {obj.version} passes the "
            "privacy check"
        )
    else:
        title = (
            f"{what}: version {withdrawn} was withdrawn before your legal review (replaced by "
            f"version {obj.version}, not submitted yet)"
        )
    if clean and legal.people:
        # the news replaces the request in their history: one line, not the closed request
        # beside an identical "for your information" one (walk 13 B #11)
        notifications_replace(clinic=clinic, ref=_ref(flow, obj), users=legal.people)
    notifications_withdraw(clinic=clinic, ref=_ref(flow, obj), title=title)
    if clean and legal.people:
        people_notify(
            users=legal.people,
            clinic=clinic,
            kind="legal_not_needed",
            ref=_ref(flow, obj),
            title=title,
            detail=f"Its writer changed the text the privacy check blocked (version {withdrawn}). "
            "Nothing for you to do.",
            url=_url_for(flow, clinic, Step.LEGAL, obj),
            waits=False,
        )


def _advance(obj, *, after: str | None) -> None:
    """Move to the step after `after` (None: the first step), or to approved."""
    route = list(obj.route)
    index = route.index(after) + 1 if after else 0
    now = timezone.now()
    if index < len(route):
        obj.status = PENDING_FOR_STEP[Step(route[index])]
    else:
        obj.status = S.APPROVED
        obj.approved_at = now


@transaction.atomic
def submit(flow: Flow, *, pk: int, access: ClinicAccess, expected_version: int | None = None):
    """Send the current version to the first step of its route. A version the privacy check
    blocks (and no override covers) goes to legal instead (`_legal_ask`): it stays a draft,
    and legal's people are asked to lift or keep the block; 422 `guard_blocked` when legal
    already kept the block of this version, 409 `legal_asked` when they were asked already.
    A route that ends at the clinic's approval step is not refused when the clinic has no
    approver: it waits there, and its managers are told (`clinics.approvers.no_approver_tell`;
    the writer reads `no_approver_words` on the page)."""
    require(access, Permission.WRITE)
    who = access.actor
    obj = flow.lock(pk, access)
    _expect(obj, expected_status=None, expected_version=expected_version)
    if obj.status not in SUBMITTABLE:
        raise Conflict(f"It cannot be submitted now (it is “{obj.get_status_display()}”).")
    version = flow.current_version(obj)
    left = placeholders_left(flow.text_of(version))
    if left:
        raise ValidationFailed(
            "Fill in or remove the placeholders first.",
            fields={"text": [f"{p} has no value in this clinic." for p in left]},
        )
    result = flow.guard(obj, version)
    obj.guard_verdict = result["verdict"]
    if result["verdict"] == Verdict.BLOCK and not obj.is_overridden:
        return _legal_ask(flow, obj, who, result)
    before = obj.status
    obj.route = route_for(
        guard=result,
        overridden=obj.is_overridden,
        legal_sent_back=legal_sent_back(flow, obj) is not None,
    )
    obj.submitted_at = timezone.now()
    obj.last_comment = ""
    _advance(obj, after=None)
    obj.save()
    _audit(
        flow,
        obj,
        "submitted",
        who,
        from_status=before,
        to_status=obj.status,
        detail={"route": obj.route, "verdict": result["verdict"]},
    )
    tell_who_acts(flow, obj)
    if Step.CLIENT.value in obj.route and not clinic_has_approver(current_clinic()):
        # it is not refused (it waits at the step), but nobody may be left unaware of it
        no_approver_tell(clinic=current_clinic(), writers=[who.user], what=flow.describe(obj))
    if obj.status == S.APPROVED:
        flow.on_approved(obj, who)
    return obj


def _legal_ask(flow: Flow, obj, who: Actor, result: dict):
    """Its writer submitted a version the privacy check blocks: legal's people are asked to
    lift the block (an override, with a reason) or keep it (sent back with what to change).
    It stays a draft until then; nobody else is asked anything. Recorded in its trail."""
    if obj.is_override_refused:
        raise GuardBlocked(
            "Legal kept the privacy block of this version and sent it back: change the marked "
            "words (the fixes help), then submit the new version.",
            fields=guard_refusal(result).fields,
        )
    if obj.is_legal_asked:
        raise Conflict(
            "Legal was already asked to review the privacy block of this version: it waits for "
            "them (you may remind them).",
            code="legal_asked",
        )
    before = obj.status
    obj.legal_asked_version = obj.version
    obj.save(update_fields=["legal_asked_version", "guard_verdict", "updated_at"])
    _audit(
        flow, obj, "legal_asked", who, from_status=before, to_status=obj.status,
        detail={"step": "guard", "findings": len(result["findings"])},
    )  # fmt: skip
    tell_who_acts(flow, obj)
    return obj


@transaction.atomic
def approve(
    flow: Flow,
    *,
    pk: int,
    access: ClinicAccess,
    expected_status: str | None = None,
    expected_version: int | None = None,
    comment: str = "",
):
    who = access.actor
    obj = flow.lock(pk, access)
    _expect(
        obj,
        expected_status=expected_status,
        expected_version=expected_version,
        flow=flow,
        access=access,
    )
    step = step_of(obj)
    if step is None:
        raise Conflict(f"It is not waiting for approval (it is “{obj.get_status_display()}”).")
    if not step_allowed(access, step):
        if access.principals & principals_who_acted(object_type=flow.object_type, obj=obj):
            # the same approval sent twice (a double click, a retry without
            # `expected_status`): say that it went through and where the text is now, rather
            # than only "your role cannot"; still refused as separation of duties refuses it
            raise PermissionDenied(
                "You approved this version already: it now waits for the "
                f"{Step(step).label}, which your role cannot give. Nothing was changed."
            )
        raise PermissionDenied(f"Your role in this clinic cannot give the {Step(step).label}.")
    _not_own(flow, obj, access, "approve")
    refusal = approval_refusal(access, obj, object_type=flow.object_type)
    if refusal:
        raise PermissionDenied(refusal, code="separation_of_duties")
    result = _guard_gate(flow, obj, flow.current_version(obj))
    before = obj.status
    _advance(obj, after=step)
    obj.save()
    _audit(
        flow,
        obj,
        "approved",
        who,
        from_status=before,
        to_status=obj.status,
        comment=(comment or "").strip(),
        detail={
            "step": step,
            "verdict": result["verdict"],
            "principals": sorted(access.principals),
            "role": access.role_words,
        },
    )
    tell_who_acts(flow, obj)
    if obj.status == S.APPROVED:
        flow.on_approved(obj, who)
    return obj


# what may follow a person's approval without the next step having acted: a reminder
_NOT_ACTING = ("reminded",)


def take_back_refusal(access: ClinicAccess, flow: Flow, obj) -> tuple[AuditEntry | None, str]:
    """The approval `access` may take back now, or None with why not: their own approval (a
    person's, or their key's) of the current version, the last thing that happened to the
    text (the next step has not acted on it, nobody edited, withdrew or sent it back), while
    it still waits for that next step: never once approved at the last step (its publishing
    is on its way) or published. They must still be allowed to give that step (a role taken
    from them takes this too)."""
    if obj.status in FINISHED or (obj.status == S.APPROVED and not flow.last_approval_takes_back):
        return None, (
            f"It is “{obj.get_status_display()}”: the last approval sent it to publishing, so no "
            "approval can be taken back now."
        )
    last = (
        AuditEntry.objects.filter(object_type=flow.object_type, object_id=obj.pk)
        .exclude(action__in=_NOT_ACTING)
        .order_by("-id")
        .first()
    )
    if (
        last is None
        or last.action != "approved"
        or last.actor_label != access.actor.label
        or last.version != obj.version
        or last.to_status != obj.status
    ):
        return None, (
            "Only your own approval can be taken back, and only while nothing happened to the "
            "text since (the next step has not acted on it)."
        )
    step = last.detail.get("step", "")
    if step not in Step.values or not step_allowed(access, step):
        return None, "Your role in this clinic no longer gives that step."
    return last, ""


@transaction.atomic
def take_back(
    flow: Flow,
    *,
    pk: int,
    access: ClinicAccess,
    comment: str = "",
    expected_status: str | None = None,
    expected_version: int | None = None,
):
    """Take back one's own approval (`take_back_refusal`: before the next step acts, never
    after the last approval): the text waits at that step again, for them or another of its
    people. The approval no longer counts as a step given (`approvals_standing`), so the
    separation of duties reads the version as if it was never given; the take-back is in its
    trail. The next step's people lose their notice (their history says who took it back),
    the step's people are told it waits again, and its writers are told, for their
    information. 409 `not_taken_back` with why, changing nothing; 403 when the caller's role
    gives no approval step (`gives_a_step`)."""
    who = access.actor
    obj = flow.lock(pk)
    approval, why = take_back_refusal(access, flow, obj)
    if approval is None:
        # one's own approval is taken back wherever the text went (legal's, from the clinician
        # step it cannot read); refused, a text the caller may not read is not found
        flow.lock(pk, access)
    if not gives_a_step(access):
        # refused as every permission is, not as a take-back that came too late
        raise PermissionDenied(
            "Your role in this clinic gives no approval step, so it has no approval to take back."
        )
    _expect(
        obj,
        expected_status=expected_status,
        expected_version=expected_version,
        flow=flow,
        access=access,
    )
    if approval is None:
        raise Conflict(why, code="not_taken_back")
    step = approval.detail["step"]
    before = obj.status
    obj.status = PENDING_FOR_STEP[Step(step)]
    obj.approved_at = None
    obj.save(update_fields=["status", "approved_at", "updated_at"])
    _audit(
        flow, obj, TAKEN_BACK, who, from_status=before, to_status=obj.status,
        comment=(comment or "").strip(),
        detail={"step": step, "approval_id": approval.pk, "role": access.role_words},
    )  # fmt: skip
    what, label = _described(flow, obj), Step(step).label.lower()
    name = who.name or "Someone"
    if before == S.APPROVED:
        flow.on_approval_taken_back(obj, who)
    else:
        next_step = Step(STEP_FOR_STATUS[before]).label.lower()
        notices_withdraw(
            flow, obj,
            title=f"{what} no longer waits for your {next_step}: {name} took back their {label}",
        )  # fmt: skip
    tell_who_acts(flow, obj)
    tell_writers_informed(
        flow, obj, who, kind="approval_taken_back", event="taken_back",
        title=f"{name} took back their {label} of your {_own(flow.describe(obj))}: it waits "
        f"for the {label} again",
        detail="Nothing for you to do: it goes on once the step is given again.",
    )  # fmt: skip
    return obj


@transaction.atomic
def reject(
    flow: Flow,
    *,
    pk: int,
    access: ClinicAccess,
    comment: str,
    expected_status: str | None = None,
    expected_version: int | None = None,
):
    who = access.actor
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(
            "Say what should change.", fields={"comment": ["A rejection needs a comment."]}
        )
    obj = flow.lock(pk, access)
    _expect(
        obj,
        expected_status=expected_status,
        expected_version=expected_version,
        flow=flow,
        access=access,
    )
    step = step_of(obj)
    if step is None:
        raise Conflict(f"It is not waiting for approval (it is “{obj.get_status_display()}”).")
    if not step_allowed(access, step):
        raise PermissionDenied(f"Your role in this clinic cannot act on the {Step(step).label}.")
    if step == Step.LEGAL:
        _legal_comment_says_something(comment)
    elif step == Step.CLIENT:
        _clinic_comment_says_something(comment)
    before = obj.status
    obj.status = S.CHANGES_REQUESTED
    obj.last_comment = comment
    obj.route = []
    obj.save(update_fields=["status", "last_comment", "route", "updated_at"])
    _audit(
        flow,
        obj,
        "rejected",
        who,
        from_status=before,
        to_status=obj.status,
        comment=comment,
        detail={"step": step, "role": access.role_words},
    )
    tell_who_acts(flow, obj)
    tell_authors_sent_back(flow, obj, who, step=step, comment=comment)
    return obj


def _legal_comment_says_something(comment: str) -> None:
    """Legal's word on a text it sends back (rejected at the legal step, or its block kept) is
    a compliance record and the writer's only guide: it must say something, by the rule of a
    legal override's reason (`core.text.reason_problem`); "ok" or "." is refused."""
    if problem := reason_problem(comment):
        raise ValidationFailed(
            "Say what should change, in words: legal's comment goes to the writer and the "
            "approvals log.",
            fields={"comment": [problem]},
        )


def _clinic_comment_says_something(comment: str) -> None:
    """The clinic's word on a text it sends back at its approval step is the agency's only
    guide to what the clinic wants changed and a line of the approvals log: the rule of
    legal's comment (`_legal_comment_says_something`); "ok" or "." is refused."""
    if problem := reason_problem(comment):
        raise ValidationFailed(
            "Say what should change, in words: the clinic's comment goes to the writer and the "
            "approvals log.",
            fields={"comment": [problem]},
        )


@transaction.atomic
def override(
    flow: Flow,
    *,
    pk: int,
    access: ClinicAccess,
    reason: str,
    expected_version: int | None = None,
):
    """Lift the guard's block for the current version only (a later edit is checked anew).
    `expected_version`: the version legal read (the forms send the one they showed): if its
    writer saved another since, 409 `stale` and nothing changes, so nobody lifts a block on
    words they never saw. The clinic's legal people lift only a version its writer submitted
    to them (`legal_asked_version`); the agency's legal people any blocked text they are shown."""
    require(access, Permission.LEGAL_OVERRIDE)
    who = access.actor
    reason = (reason or "").strip()
    if problem := reason_problem(reason):
        raise ValidationFailed("An override needs a reason.", fields={"reason": [problem]})
    obj = flow.lock(pk, access)
    _expect(obj, expected_status=None, expected_version=expected_version)
    if obj.status in FINISHED:
        raise Conflict(f"It is “{obj.get_status_display()}”: there is nothing to override.")
    _legal_asked_about(access, obj)
    _not_own(flow, obj, access, "override the guard on")
    if access.principals & principals_who_acted(object_type=flow.object_type, obj=obj):
        raise PermissionDenied(
            "You already gave a step of this version: another person overrides the guard.",
            code="separation_of_duties",
        )
    version = flow.current_version(obj)
    if version.guard_verdict != Verdict.BLOCK and obj.guard_verdict != Verdict.BLOCK:
        raise Conflict("The guard does not block this version: there is nothing to override.")
    obj.override_version = obj.version
    obj.override_reason = reason
    obj.override_by_label = who.label
    obj.override_by_name = who.name[:200]
    obj.override_at = timezone.now()
    obj.save()
    _audit(
        flow,
        obj,
        "guard_overridden",
        who,
        from_status=obj.status,
        to_status=obj.status,
        comment=reason,
        detail={
            "findings": version.guard_findings,
            "principals": sorted(access.principals),
            "role": access.role_words,
        },
    )
    tell_who_acts(flow, obj)
    tell_writers_block_lifted(flow, obj, who, reason=reason)
    return obj


def tell_writers_block_lifted(flow: Flow, obj, who: Actor, *, reason: str) -> dict:
    """Legal lifted the privacy block of the current version: it is its writers' to submit
    now. They are told as something waiting for them (banner, badge, e-mail now or in their
    digest), with legal's reason and a link to its page; the notice closes once they submit
    it, discard it or change it (`tell_who_acts`, `notices_withdraw`)."""
    clinic = current_clinic()
    said = " ".join(reason.split())
    if len(said) > 160:
        said = said[:159].rstrip() + "…"
    if said[-1:] not in (".", "!", "?", "…"):
        said += "."
    done = obj.status in SUBMITTABLE
    return people_notify(
        users=_writers_to_tell(obj, who),
        clinic=clinic,
        kind="block_lifted",
        ref=f"{_ref(flow, obj)}:lifted",
        title=f"{who.name or 'Legal'} lifted the privacy block on your {_own(flow.describe(obj))}: "
        f"{said}" + (" Submit it." if done else ""),
        detail=f"{who.name or 'Legal'} lifted the block of version {obj.version} only: submit "
        "it as it is (a change is checked again)."
        if done
        else f"{who.name or 'Legal'} lifted the block of version {obj.version}.",
        url=flow.page(obj, clinic),
    )


def tell_writers_informed(
    flow: Flow, obj, who: Actor, *, kind: str, event: str, title: str, detail: str
) -> dict:
    """`obj`'s writers (`_writers_of`) are told that it changed, for their information:
    nothing waits for them (their history, and the e-mail if they take those: `kind`'s
    group), with a link to its page. Whoever acted (`who`) is not told of their own action.
    One notice per writer per call (`event` names the change in the notice's ref)."""
    clinic = current_clinic()
    return people_notify(
        users=_writers_to_tell(obj, who),
        clinic=clinic,
        kind=kind,
        ref=f"{_ref(flow, obj)}:{event}",
        title=title,
        detail=detail,
        url=flow.page(obj, clinic),
        waits=False,
    )


def _writers_to_tell(obj, who: Actor, *, active_only: bool = True) -> list:
    """The people who wrote `obj` (`_writers_of`), but not `who`, who acted (`active_only`
    False: deactivated ones too, to know that its writer left)."""
    ids = [pk for label in _writers_of(obj) if (pk := user_id_of(label)) is not None]
    ids = [i for i in ids if f"user:{i}" != who.label]
    people = User.objects.filter(pk__in=ids)
    return list(people.filter(is_active=True) if active_only else people)


def _legal_asked_about(access: ClinicAccess, obj) -> None:
    """The clinic's legal people decide on a privacy block only for the version its writer
    submitted to them (or one at the legal step): 409 `stale` for a version changed since
    the request, nothing changed. The agency's legal people decide on any blocked text."""
    if not access.is_clinic_side or obj.is_legal_asked or obj.status == S.PENDING_LEGAL:
        return
    if obj.legal_asked_version is None:
        raise Conflict("Nobody asked legal about this text: nothing was changed.", code="stale")
    raise Conflict(
        f"Legal was asked about version {obj.legal_asked_version}; its writer changed it since "
        f"(now version {obj.version}) and has not submitted the new one. Nothing was changed: "
        "it comes back to you if it is submitted while blocked.",
        code="stale",
    )


@transaction.atomic
def refuse_override(
    flow: Flow,
    *,
    pk: int,
    access: ClinicAccess,
    comment: str,
    expected_version: int | None = None,
):
    """Legal keeps the guard's block of the current version and sends it back to its writer
    with a comment (what should change): it is "changes requested", leaves legal's list, and
    its writer is told who sent it back and why. A new version is checked anew (and, still
    blocked, asks legal again)."""
    require(access, Permission.LEGAL_OVERRIDE)
    who = access.actor
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(
            "Say what should change.",
            fields={"comment": ["Sending it back needs a comment for its writer."]},
        )
    _legal_comment_says_something(comment)
    obj = flow.lock(pk, access)
    _expect(obj, expected_status=None, expected_version=expected_version)
    if obj.status in FINISHED or obj.status == S.APPROVED:
        raise Conflict(f"It is “{obj.get_status_display()}”: there is nothing to send back.")
    if not obj.is_blocked:
        raise Conflict("The guard does not block this version: there is nothing to send back.")
    if obj.is_override_refused:
        raise Conflict("This version was already sent back; it waits for its writer.")
    _legal_asked_about(access, obj)
    _not_own(flow, obj, access, "send back the guard's block on")
    before = obj.status
    obj.status = S.CHANGES_REQUESTED
    obj.last_comment = comment
    obj.route = []
    obj.override_refused_version = obj.version
    obj.save(
        update_fields=["status", "last_comment", "route", "override_refused_version", "updated_at"]
    )
    _audit(flow, obj, "override_refused", who, from_status=before, to_status=obj.status,
           comment=comment, detail={"step": "guard", "role": access.role_words})  # fmt: skip
    tell_who_acts(flow, obj)
    name = who.name or "Legal"
    tell_authors_sent_back(
        flow, obj, who, step=Step.LEGAL, comment=comment,
        title=f"{name} kept the privacy block on your {_own(flow.describe(obj))}: change the text",
        detail=f"{name} asks: “{comment}” Change the marked words (the editor's fixes help), "
        "then submit it again. Legal sent this back: your next version goes to legal again, "
        "even one the privacy check passes.",
    )  # fmt: skip
    return obj


@transaction.atomic
def discard(flow: Flow, *, pk: int, access: ClinicAccess):
    """Its writer (or another person who writes) gives the text up. One that waited for a
    person's approval is withdrawn: the step it waited at is in its trail (and so in the
    approvals log), and the notices of the people it waited for close, out of their next
    digest too, saying so in their history."""
    require(access, Permission.WRITE)
    who = access.actor
    obj = flow.lock(pk, access)
    if obj.status in FINISHED or obj.status == S.APPROVED:
        raise Conflict(f"It cannot be discarded now (it is “{obj.get_status_display()}”).")
    before, step = obj.status, waits_at(obj)
    what = _described(flow, obj)
    obj.status = S.DISCARDED
    obj.save(update_fields=["status", "updated_at"])
    detail = {"role": access.role_words}
    if step is not None:
        detail["step"] = logged_step(step)
    if step == "guard":
        detail["block"] = True
    _audit(flow, obj, "discarded", who, from_status=before, to_status=obj.status, detail=detail)
    if step is not None:
        by = f"its writer {who.name}" if who.label in _writers_of(obj) else who.name
        notices_withdraw(flow, obj, title=f"{what} was withdrawn: {by} discarded it")
    tell_who_acts(flow, obj)
    return obj


def notices_withdraw(flow: Flow, obj, *, title: str) -> None:
    """The notices of the people `obj` waited for (and of the owners told that it was stuck)
    close, out of the next digest too, and say why (`title`) in their history; a "sent back
    to you" notice is not its writer's to do any more."""
    clinic = current_clinic()
    notifications_withdraw(clinic=clinic, ref=_ref(flow, obj), title=title)
    notifications_withdraw(clinic=clinic, ref=f"{_ref(flow, obj)}:stuck", title=title)
    notifications_close(clinic=clinic, ref=f"{_ref(flow, obj)}:sent_back")
    notifications_close(clinic=clinic, ref=f"{_ref(flow, obj)}:lifted")


def withdraw(flow: Flow, obj, who: Actor, *, why: str, role: str = "") -> str | None:
    """`obj` (locked by the caller) waited for a person's approval and nobody is to give it
    any more (its review was settled): it is discarded, its trail says who withdrew it, at
    which step it waited and why (`why`, a sentence), and the notices of the people it waited
    for close (`notices_withdraw`). Returns the step it waited at; None, changing nothing,
    when it waited for nobody."""
    step = waits_at(obj)
    if step is None:
        return None
    what = _described(flow, obj)
    before = obj.status
    obj.status = S.DISCARDED
    obj.save(update_fields=["status", "updated_at"])
    detail = {"step": logged_step(step), "role": role}
    if step == "guard":
        detail["block"] = True
    _audit(
        flow, obj, "withdrawn", who,
        from_status=before, to_status=obj.status, comment=why, detail=detail,
    )  # fmt: skip
    notices_withdraw(flow, obj, title=f"{what} was withdrawn: {_clause(why)}")
    return step


def tell_writers_withdrawn(withdrawn: list[tuple[Flow, Any, str, str]], who: Actor) -> dict:
    """The writers of the texts withdrawn (`withdraw`: (flow, text, why, what it was in words,
    `flow.describe` read before)) are told, for their information: nothing waits for them.
    One notice per writer and reason, naming the text, or counting them when one action
    withdrew several. Whoever withdrew them is not told."""
    clinic = current_clinic()
    groups: dict[tuple[int, str], list[tuple[Flow, Any, str]]] = {}
    for flow, obj, why, what in withdrawn:
        for label in sorted(_writers_of(obj)):
            pk = user_id_of(label)
            if pk is not None and label != who.label:
                groups.setdefault((pk, why), []).append((flow, obj, what))
    users = User.objects.filter(pk__in={pk for pk, _ in groups}, is_active=True).in_bulk()
    told: dict[int, list[str]] = {}
    for (pk, why), texts in groups.items():
        if pk not in users:
            continue
        flow, obj, what = texts[0]
        if len(texts) == 1:
            title = f"Your {_own(what)} was withdrawn: {_clause(why)}"
            url, them = flow.page(obj, clinic), "it"
        else:
            title = f"{len(texts)} of your replies were withdrawn, each because {_clause(why)}"
            url, them = f"/clinics/{clinic.slug}/replies/", "them"
        told |= people_notify(
            users=[users[pk]],
            clinic=clinic,
            kind="reply_withdrawn",
            ref=f"{_ref(flow, obj)}:withdrawn",
            title=title,
            detail=f"Nobody is asked to approve {them} any more. Nothing for you to do.",
            url=url,
            waits=False,
        )
    return told


def _own(what: str) -> str:
    """ "a reply to a 2★ … review" as the writer's own: "reply to a 2★ … review"."""
    for article in ("a ", "one "):
        if what.startswith(article):
            return what[len(article) :]
    return what


def _clause(sentence: str) -> str:
    """ "The review was resolved." as the end of a sentence: "the review was resolved"."""
    sentence = sentence.strip().rstrip(".")
    return sentence[:1].lower() + sentence[1:]
