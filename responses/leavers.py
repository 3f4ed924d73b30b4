"""A person leaving (`core.leavers`): the replies and statements they wrote and that are not
settled yet stay (they are the agency's work) and are listed, per clinic, with links, so an
owner can have them finished or discarded; and when a clinic's only approver leaves, what
waits at the clinic's step, which nobody else may then give, is said before the removal."""

from __future__ import annotations

from django_tenants.utils import schema_context

from agency.models import AgencyMembership
from clinics.models import Clinic, ClinicMembership, ClinicRole
from core.leavers import Departure, Left
from responses.models import ApprovalStatus, ReplyBatch, ReplyDraft, Statement

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
            waiting = sum(1 for r in rows if r["status"] not in (S.DRAFT, S.CHANGES_REQUESTED))
            many = {"reply": "replies", "reply batch": "reply batches"}.get(one, "")
            parts.append(f"{_plural(len(rows), one, many)} ({waiting} waiting for approval)")
    base = f"/clinics/{clinic.slug}"
    links = [(f"Reply to review {r['review_id']}", f"{base}/replies/review/{r['review_id']}/")
             for r in replies]  # fmt: skip
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


def _stranded_at_client_step(clinic: Clinic, departure: Departure) -> Left | None:
    """When the person is the clinic's only approver (of its own people; agency staff never
    give the clinic's step), what waits at that step: nobody else may give it."""
    if departure.clinic_id is None:
        return None
    approvers = ClinicMembership.objects.filter(
        clinic=clinic, role=ClinicRole.APPROVER, user__is_active=True
    ).exclude(
        user_id__in=AgencyMembership.objects.filter(agency_id=clinic.agency_id).values("user_id")
    )
    ids = set(approvers.values_list("user_id", flat=True))
    if departure.user_id not in ids or ids - {departure.user_id}:
        return None
    replies = ReplyDraft.objects.filter(status=S.PENDING_CLIENT, batch__isnull=True).count()
    batches = ReplyBatch.objects.filter(status=S.PENDING_CLIENT).count()
    statements = Statement.objects.filter(status=S.PENDING_CLIENT).count()
    count = replies + batches + statements
    name = departure.name or "This person"
    what = f"{name} is the only approver of {clinic.name}"
    what += (
        f": {_plural(replies, 'reply', 'replies')}, {_plural(batches, 'reply batch', 'reply batches')}"
        f" and {_plural(statements, 'statement')} wait at the clinic's approval step, and nobody "
        "else may give it."
        if count
        else ": nothing waits for the clinic's approval now, but every reply will until the "
        "clinic has another approver."
    )
    return Left(
        kind="waiting_client",
        clinic_name=clinic.name,
        clinic_slug=clinic.slug,
        count=count,
        what=what,
        then="They keep waiting: add another approver of the clinic on this page (or an agency "
        "owner switches the clinic's approval step off, with a reason).",
        gap=True,
        links=((("Approvals", f"/clinics/{clinic.slug}/replies/"),) if count else ()),
    )


def work_left_behind(departure: Departure) -> list[Left]:
    """Per clinic: the person's replies, reply batches and statements not yet published (one
    schema visit per clinic of the agency, or of the one clinic they leave), and, leaving a
    clinic, what only they could still approve there."""
    author = f"user:{departure.user_id}"  # accounts.actors.Actor.label of a person
    items: list[Left] = []
    for clinic in _clinics(departure):
        with schema_context(clinic.schema_name):
            stranded = _stranded_at_client_step(clinic, departure)
            work = _open_work(clinic, author)
        items.extend(i for i in (stranded, work) if i is not None)
    return items
