"""A person leaving (`core.leavers`): the replies and statements they wrote and that are not
settled yet stay (they are the agency's work) and are listed, per clinic, with links, so an
owner can have them finished or discarded; and when a clinic's only approver (or its last
legal person) leaves, what waits at the clinic's step (or for legal), which nobody else may
then give, is said before the removal.
Their drafts not submitted, the replies sent back to them and the private follow-ups they own
are handed over with the removal: the agency's owners and managers each find them in "Waiting
for you", and those notices close when someone submits, discards or closes them."""

from __future__ import annotations

from django.db.models import Q
from django_tenants.utils import schema_context

from accounts.models import User
from agency.models import AgencyRole
from clinics.access import people_who_can
from clinics.approvers import no_approver_writers_tell
from clinics.models import Clinic, ClinicRole
from clinics.notifications import people_notify
from core.leavers import Departure, Left
from core.permissions import Permission
from facts.selectors import facts_waiting_for_clinic
from responses.models import (
    OPEN_STATUSES,
    ApprovalStatus,
    PrivateConversation,
    ReplyBatch,
    ReplyDraft,
    Statement,
    Step,
)
from responses.services.approvals import FLOWS
from responses.services.followup_notices import followup_ref
from responses.services.workflow import Flow, waits_at, writer_ids

S = ApprovalStatus
OPEN = (
    S.DRAFT,
    S.CHANGES_REQUESTED,
    S.PENDING_AGENCY,
    S.PENDING_LEGAL,
    S.PENDING_CLINICIAN,
    S.PENDING_CLIENT,
)
LINKS_PER_CLINIC = 5


def _clinics(departure: Departure) -> list[Clinic]:
    clinics = Clinic.objects.filter(agency_id=departure.agency_id)
    if departure.clinic_id is not None:
        clinics = clinics.filter(pk=departure.clinic_id)
    return list(clinics.order_by("name", "pk"))


def _plural(count: int, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


# a text of theirs that waits for nobody but its writer, in words
STATE_WORDS = {S.DRAFT: "not submitted yet", S.CHANGES_REQUESTED: "sent back to them"}


def _states_words(rows) -> str:
    """ "1 not submitted yet, 1 sent back to them, 2 waiting for approval": the parts that
    are not none."""
    drafts = sum(1 for r in rows if r["status"] == S.DRAFT)
    sent_back = sum(1 for r in rows if r["status"] == S.CHANGES_REQUESTED)
    waiting = len(rows) - drafts - sent_back
    parts = [(drafts, STATE_WORDS[S.DRAFT]), (sent_back, STATE_WORDS[S.CHANGES_REQUESTED]),
             (waiting, "waiting for approval")]  # fmt: skip
    return ", ".join(f"{n} {words}" for n, words in parts if n)


def _open_work(clinic: Clinic, author: str) -> Left | None:
    replies = list(
        ReplyDraft.objects.filter(author_label=author, status__in=OPEN, batch__isnull=True)
        .order_by("created_at", "pk")
        .values("pk", "review_id", "status")
    )
    statements = list(
        Statement.objects.filter(author_label=author, status__in=OPEN)
        .order_by("created_at", "pk")
        .values("pk", "title", "status")
    )
    batches = list(
        ReplyBatch.objects.filter(author_label=author, status__in=OPEN)
        .order_by("created_at", "pk")
        .values("pk", "status")
    )
    count = len(replies) + len(statements) + len(batches)
    if not count:
        return None
    parts = []
    for rows, one in ((replies, "reply"), (batches, "reply batch"), (statements, "statement")):
        if rows:
            many = {"reply": "replies", "reply batch": "reply batches"}.get(one, "")
            parts.append(f"{_plural(len(rows), one, many)} ({_states_words(rows)})")
    base = f"/clinics/{clinic.slug}"
    links = [
        (
            f"Reply to review {r['review_id']} ({STATE_WORDS.get(r['status'], 'waiting for approval')})",
            f"{base}/replies/review/{r['review_id']}/",
        )
        for r in replies
    ]
    links += [(f"Reply batch {b['pk']}", f"{base}/replies/batches/{b['pk']}/") for b in batches]
    links += [(f"Statement “{s['title']}”", f"{base}/statements/{s['pk']}/") for s in statements]
    if len(links) > LINKS_PER_CLINIC:
        links = [*links[:LINKS_PER_CLINIC], ("All approvals", f"{base}/replies/")]
    return Left(
        kind="work",
        clinic_name=clinic.name,
        clinic_slug=clinic.slug,
        count=count,
        what=f"Written in {clinic.name}, not published yet: {', '.join(parts)}.",
        then="They stay, as the agency's work: open each to finish and submit it, or discard "
        "it (whoever edits a text writes its next version).",
        links=tuple(links),
    )


def _client_approvers(clinic: Clinic) -> set[int]:
    """The clinic's own approvers (not staff of its agency), active: who give its approval
    step and confirm its facts. The one rule of who may (`clinics.access.people_who_can`),
    as `facts.services.clinic_attesters` and `clinics.approvers.clinic_has_approver` read it."""
    return {user.pk for user in people_who_can(clinic, permission=Permission.APPROVE_CLIENT)}


def _waiting_at_client_step() -> list[tuple[Flow, object]]:
    """What waits at the clinic's approval step (in the current clinic's schema), oldest
    first per kind: the one read of what a clinic without an approver strands."""
    return [
        *((FLOWS["reply"], d) for d in ReplyDraft.objects.filter(
            status=S.PENDING_CLIENT, batch__isnull=True).select_related("review__source")
            .order_by("pk")),
        *((FLOWS["batch"], b) for b in ReplyBatch.objects.filter(status=S.PENDING_CLIENT)
          .order_by("pk")),
        *((FLOWS["statement"], st) for st in Statement.objects.filter(status=S.PENDING_CLIENT)
          .order_by("pk")),
    ]  # fmt: skip


def _stranded_at_client_step(clinic: Clinic, departure: Departure) -> list[Left]:
    """When the person is the clinic's only approver (of its own people; agency staff never
    give the clinic's step), what waits at that step, and the facts the agency asked the
    clinic to confirm: nobody else may give or confirm them."""
    if departure.clinic_id is None:
        return []
    ids = _client_approvers(clinic)
    if departure.user_id not in ids or ids - {departure.user_id}:
        return []
    waiting = _waiting_at_client_step()
    kinds = [flow.object_type for flow, _ in waiting]
    replies, batches = kinds.count("reply"), kinds.count("reply_batch")
    statements = kinds.count("statement")
    count = len(waiting)
    name = departure.name or "This person"
    what = f"{name} is the only approver of {clinic.name}"
    if count:
        what += (
            f": {_plural(replies, 'reply', 'replies')}, "
            f"{_plural(batches, 'reply batch', 'reply batches')} and "
            f"{_plural(statements, 'statement')} wait at the clinic's approval step, and nobody "
            "else may give it."
        )
        then = (
            "They keep waiting: add another approver of the clinic on this page (or an agency "
            "owner switches the clinic's approval step off, with a reason)."
        )
    else:
        what += (
            ": no reply or statement waits for the clinic's approval now, but each one "
            "submitted will wait until the clinic has another approver."
        )
        then = (
            "Add another approver of the clinic on this page (or an agency owner switches the "
            "clinic's approval step off, with a reason)."
        )
    items = [
        Left(
            kind="waiting_client",
            clinic_name=clinic.name,
            clinic_slug=clinic.slug,
            count=count,
            what=what,
            then=then,
            gap=True,
            links=((("Approvals", f"/clinics/{clinic.slug}/replies/"),) if count else ()),
        )
    ]
    facts = facts_waiting_for_clinic().count()
    if facts:
        items.append(
            Left(
                kind="waiting_facts",
                clinic_name=clinic.name,
                clinic_slug=clinic.slug,
                count=facts,
                what=f"{_plural(facts, 'fact')} of the fact sheet "
                f"wait{'s' if facts == 1 else ''} for {name}'s confirmation, and nobody else "
                "of the clinic may confirm them.",
                then="They keep waiting for the clinic: add another approver of the clinic on "
                "this page (or the agency confirms each on the fact sheet, which then says it "
                "was the agency, for the clinic).",
                gap=True,
                links=(("Fact sheet", f"/clinics/{clinic.slug}/facts/"),),
            )
        )
    return items


def _waiting_for_legal() -> dict[str, int]:
    """What waits for the clinic's legal people (in the current clinic's schema), by kind:
    texts at the legal step, texts whose route still takes them there (waiting for the
    agency first), and texts whose privacy block legal was asked to lift (`waits_at`)."""
    legal = Q(status=S.PENDING_LEGAL) | Q(status=S.PENDING_AGENCY, route__contains=[Step.LEGAL])
    asked = Q(status__in=(S.DRAFT, S.CHANGES_REQUESTED), legal_asked_version__isnull=False)
    counts = {}
    for kind, rows in (
        ("reply", ReplyDraft.objects.filter(batch__isnull=True)),
        ("reply_batch", ReplyBatch.objects.all()),
        ("statement", Statement.objects.all()),
    ):
        counts[kind] = rows.filter(legal).count() + sum(
            1 for obj in rows.filter(asked) if waits_at(obj) == "guard"
        )
    return counts


def _stranded_at_legal_step(clinic: Clinic, departure: Departure) -> list[Left]:
    """When the person is the last of the clinic's people with the legal role (only they give
    the legal step and lift a privacy block), what waits for legal there: it keeps waiting,
    stuck (`workflow.Waiting.stuck`, "no_one_with_role"), until someone of the clinic has the
    role again. Said before the removal, not only after it."""
    if departure.clinic_id is None:
        return []
    legal = {u.pk for u in people_who_can(clinic, permission=Permission.LEGAL_OVERRIDE)}
    if departure.user_id not in legal or legal - {departure.user_id}:
        return []
    counts = _waiting_for_legal()
    count = sum(counts.values())
    if not count:
        return []
    name = departure.name or "This person"
    parts = [
        _plural(counts["reply"], "reply", "replies"),
        _plural(counts["reply_batch"], "reply batch", "reply batches"),
        _plural(counts["statement"], "statement"),
    ]
    return [
        Left(
            kind="waiting_legal",
            clinic_name=clinic.name,
            clinic_slug=clinic.slug,
            count=count,
            what=f"{name} is the last person of {clinic.name} with the legal role: "
            f"{', '.join(parts[:-1])} and {parts[-1]} wait for legal review (at the legal step, "
            "on their way to it, or a privacy block to lift), and nobody else may give it.",
            then="They stay where they are, stuck: nobody can approve, send back or lift their "
            "block, and the agency's pages mark them “nobody with the role”. Give the Legal / "
            "compliance role to another of the clinic's people on this page and they wait for "
            "that person (a blocked text's writer may also change it).",
            gap=True,
            links=(("Approvals", f"/clinics/{clinic.slug}/replies/"),),
        )
    ]


def _followups(departure: Departure):
    return PrivateConversation.objects.filter(
        owner_id=departure.user_id, status__in=OPEN_STATUSES
    ).order_by("due_at", "pk")


def _followups_owned(clinic: Clinic, departure: Departure) -> Left | None:
    rows = list(_followups(departure).values("pk", "review_id"))
    if not rows:
        return None
    base = f"/clinics/{clinic.slug}"
    links = [(f"Follow-up of review {r['review_id']}", f"{base}/follow-ups/{r['pk']}/")
             for r in rows]  # fmt: skip
    if len(links) > LINKS_PER_CLINIC:
        links = [*links[:LINKS_PER_CLINIC], ("All follow-ups", f"{base}/follow-ups/")]
    return Left(
        kind="followup",
        clinic_name=clinic.name,
        clinic_slug=clinic.slug,
        count=len(rows),
        what=f"Private follow-ups they own in {clinic.name}, still open: {len(rows)}.",
        then="They stay open with nobody to answer them: give each to someone else.",
        links=tuple(links),
    )


def work_left_behind(departure: Departure) -> list[Left]:
    """Per clinic: the person's replies, reply batches and statements not yet published (one
    schema visit per clinic of the agency, or of the one clinic they leave), and, leaving a
    clinic, what only they could still approve there."""
    author = f"user:{departure.user_id}"  # accounts.actors.Actor.label of a person
    items: list[Left] = []
    for clinic in _clinics(departure):
        with schema_context(clinic.schema_name):
            items.extend(_stranded_at_client_step(clinic, departure))
            items.extend(_stranded_at_legal_step(clinic, departure))
            work = _open_work(clinic, author)
            followups = _followups_owned(clinic, departure)
        items.extend(i for i in (work, followups) if i is not None)
    return items


def _managers(departure: Departure) -> list[User]:
    """Who takes over what a leaver held: the agency's owners and managers (not the leaver)."""
    return list(
        User.objects.filter(
            is_active=True,
            agency_memberships__agency_id=departure.agency_id,
            agency_memberships__role__in=(AgencyRole.OWNER, AgencyRole.MANAGER),
        )
        .exclude(pk=departure.user_id)
        .distinct()
        .order_by("pk")
    )


def _stranded_tell(clinic: Clinic, managers: list[User], why: str) -> None:
    """The clinic has no approver left: each text that waits at its approval step waits in
    the owners' and managers' "Waiting for you", under the text's "stuck" notice (as when the
    separation of duties bars everyone of a step, `workflow._tell_stuck`): it closes when the
    text moves on (approved, sent back, edited, withdrawn, discarded) or when the clinic has
    an approver again (`responses.arrivals`). Each of their writers is told once, naming
    theirs, and is told when it can approve again (`clinics.approvers.
    no_approver_writers_tell`)."""
    by_writer: dict[int, list[tuple[str, str]]] = {}
    for flow, obj in _waiting_at_client_step():
        what = flow.describe(obj)
        for uid in writer_ids(obj):
            by_writer.setdefault(uid, []).append((what, flow.page(obj, clinic)))
        people_notify(
            users=managers,
            clinic=clinic,
            kind="stuck",
            ref=f"{flow.object_type}:{obj.pk}:stuck",
            title=f"{what[:1].upper()}{what[1:]} is stuck: nobody can give the clinic approval "
            f"{why}",
            url=f"/clinics/{clinic.slug}/settings/people/",
            severity="high",
            email=False,
        )
    writers = User.objects.filter(pk__in=by_writer).order_by("pk")
    no_approver_writers_tell(
        clinic=clinic,
        why=why,
        stranded=[(writer, by_writer[writer.pk]) for writer in writers],
    )


def approver_gone_tell(departure: Departure, *, why: str) -> None:
    """The clinic's only approver stays but no longer approves (their role changed): what
    waits at its approval step is stuck for the agency's owners and managers and its writers
    are told, as when that approver is removed (`_stranded_tell`, same refs, so they close
    when the clinic can approve again). `why`: since when, in words."""
    clinic = Clinic.objects.get(pk=departure.clinic_id)
    with schema_context(clinic.schema_name):
        _stranded_tell(clinic, _managers(departure), why)


def work_hand_over(departure: Departure, *, by) -> list[Left]:
    """Hand the leaver's open work to the agency's owners and managers (in the caller's
    transaction): each of their replies, reply batches and statements not submitted or sent
    back to them, and each private follow-up they own, waits in the managers' "Waiting for
    you" (in-app; the one e-mail listing everything is `clinics.leavers.left_behind_tell`).
    The notices use the texts' own "sent back" reference, so they close as the writer's did
    (a new version submitted, the text discarded or settled), and the follow-up's, so they
    close with it. A clinic left without an approver by its approver leaving: what waits at
    its approval step waits for them too (`_stranded_tell`); anyone else leaving a clinic
    that had none already tells nobody of it again (it is not "since" they left, and its
    writers were told once). Ends nothing: returns []."""
    managers = _managers(departure)
    if not managers:
        return []
    author = f"user:{departure.user_id}"  # accounts.actors.Actor.label of a person
    name = departure.name or "A person who left"
    mine = (S.DRAFT, S.CHANGES_REQUESTED)
    for clinic in _clinics(departure):
        base = f"/clinics/{clinic.slug}"
        with schema_context(clinic.schema_name):
            texts = [
                ("reply", d.pk, f"a reply to review {d.review_id}", d.status,
                 f"{base}/replies/review/{d.review_id}/")
                for d in ReplyDraft.objects.filter(
                    author_label=author, status__in=mine, batch__isnull=True
                ).order_by("pk")
            ]  # fmt: skip
            texts += [
                ("reply_batch", b.pk, f"reply batch {b.pk}", b.status,
                 f"{base}/replies/batches/{b.pk}/")
                for b in ReplyBatch.objects.filter(author_label=author, status__in=mine)
                .order_by("pk")
            ]  # fmt: skip
            texts += [
                ("statement", st.pk, f"the statement “{st.title}”", st.status,
                 f"{base}/statements/{st.pk}/")
                for st in Statement.objects.filter(author_label=author, status__in=mine)
                .order_by("pk")
            ]  # fmt: skip
            for object_type, pk, what, status, url in texts:
                people_notify(
                    users=managers,
                    clinic=clinic,
                    kind="left_work",
                    ref=f"{object_type}:{pk}:sent_back",
                    title=f"{name} left: {what} ({STATE_WORDS[status]}) needs someone to finish it",
                    url=url,
                    email=False,
                )
            if departure.clinic_role == ClinicRole.APPROVER and not _client_approvers(clinic):
                _stranded_tell(clinic, managers, f"since {name} left")
            for conversation in _followups(departure):
                people_notify(
                    users=managers,
                    clinic=clinic,
                    kind="follow_up",
                    ref=followup_ref(conversation.pk, "follow_up"),
                    title=f"{name} left: their private follow-up of review "
                    f"{conversation.review_id} needs a new owner",
                    url=f"{base}/follow-ups/{conversation.pk}/",
                    email=False,
                )
    return []
