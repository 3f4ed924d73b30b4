"""Reads for the client portal: what waits for the clinic's approval, shaped as cards (the
text, what changed since the previous version, the guard's verdict), open incidents, and the
counts of the portal's navigation. The workflow itself is `responses.services`."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.actors import Actor, user_id_of
from accounts.models import User
from accounts.selectors import user_half_signed_in, user_is_agency_staff
from agency.branding import brand_name
from clinics.access import ClinicAccess, clinic_access
from clinics.models import Clinic, ClinicMembership, CrisisRole, Notification
from clinics.preferences import preferences_for, shows_on_pages
from clinics.selectors import clinic_days_as_instants, clinics_for_actor
from core.permissions import Permission
from crisis.models import (
    ACTIVE_STATUSES,
    Incident,
    IncidentMention,
    IncidentStatement,
    PostCrisisReview,
)
from crisis.selectors import incident_events_for_client
from crisis.views_alerts import BANNER_SHOWN, banner_items
from facts.selectors import facts_waiting_for_clinic
from facts.services import clinic_attest_refusal
from inbox.selectors import NO_CLOCK_WORDS
from responses.guard.result import STAFF_NAMES_PLACE
from responses.models import (
    OPEN_STATUSES,
    ApprovalStatus,
    AuditEntry,
    PrivateConversation,
    ReplyBatch,
    ReplyDraft,
    Statement,
    Step,
)
from responses.selectors import (
    CLINIC_STEPS,
    LOG_DECISIONS,
    approval_histories,
    can_act_now,
    channel_plan_reply,
    channel_plan_reviews,
    channel_plan_statement,
    current_version,
    duration_words,
    findings_for_reader,
    findings_once,
    is_final_step,
    reply_batch_shown,
    reply_batches_items,
    review_sla,
    sla_for,
    statements_public,
    word_diff,
)
from responses.services.approvals import FLOWS, waiting_for_each
from responses.services.review_edits import review_changes_each
from responses.services.workflow import (
    FINISHED,
    PENDING,
    STEP_FOR_STATUS,
    legal_sent_back_each,
    principals_who_acted_each,
    sent_back_kept_block,
    sent_back_of_this_text,
    sent_back_this_version,
    sent_back_which,
    versions_sent_before_each,
)
from scoring.selectors import latest_scores_prefetch

CLIENT_STEP = ApprovalStatus.PENDING_CLIENT


def _text(kind: str, version) -> str:
    if version is None:
        return ""
    if kind in ("reply", "batch"):
        return version.text
    return f"{version.title}\n\n{version.body}"


def checks_tab_label(access: ClinicAccess) -> str:
    """The portal tab of legal's and the clinician's checks, named for what the person does
    there ("Review" was read as the clinic's reviews); "" when they have no such step (the tab
    then shows only while something waits there)."""
    legal = CrisisRole.LEGAL in access.crisis_roles or access.can(Permission.LEGAL_OVERRIDE)
    clinician = CrisisRole.CLINICIAN in access.crisis_roles
    if legal and clinician:
        return "Legal & clinical checks"
    if legal:
        return "Legal check"
    return "Clinical check" if clinician else ""


def _clinic_step(obj) -> str:
    """The clinic's step a card compares versions at: the one the text waits at now (the
    clinic's approval, or its legal or clinical check), else the clinic's approval."""
    step = STEP_FOR_STATUS.get(obj.status)
    return step if step in CLINIC_STEPS else Step.CLIENT


def version_the_clinic_saw(obj, number: int | None):
    """The version the card compares with: the last earlier one the clinic was sent for the
    step the text waits at now (`_clinic_step`; its `number`, read for the page's texts by
    `versions_sent_before_each`), never an agency-internal draft the clinic never received.
    None when this is the first version the clinic sees."""
    if number is None:
        return None
    return next((v for v in obj.versions.all() if v.number == number), None)


def _may_override(access: ClinicAccess, obj) -> bool:
    """Whether legal may lift the privacy check's block of `obj`'s current version now."""
    return (
        access.can(Permission.LEGAL_OVERRIDE)
        and obj.is_blocked
        and not obj.is_override_refused
        and obj.status not in FINISHED
        and access.actor.label != obj.author_label
    )


def _card_reads(kind: str, objs: list) -> dict:
    """What the cards of `objs` (one kind) read from the audit trail, the people of each step
    and their notices: a few queries for all of them, whatever their number."""
    object_type = FLOWS[kind].object_type
    acted = principals_who_acted_each(object_type=object_type, objs=objs)
    return {
        # a batch's mentions, their replies and where each stands
        "batch_rows": reply_batches_items(objs) if kind == "batch" else {},
        "acted": acted,
        "waiting": waiting_for_each(kind, objs, acted=acted),
        "history": approval_histories(object_type, objs),
        "earlier": versions_sent_before_each(
            object_type, [(obj, _clinic_step(obj)) for obj in objs]
        ),
        # legal sent an earlier version back: it is bound to legal (`workflow.route_for`)
        "sent_back": legal_sent_back_each(object_type, objs),
        "clinic_sent_back": clinic_sent_back_each(object_type, objs),
        "incident": incidents_of_texts(kind, objs),
        # the review changed after the reply was written
        "review_changed": review_changes_each(objs) if kind == "reply" else {},
    }


def clinic_sent_back_each(object_type: str, objs: list) -> dict[int, AuditEntry]:
    """The clinic's last "send back with this comment" of each text, where it has one (one
    query): the card says so beside a later version, and says when the very version the clinic
    sent back comes to it again unchanged, so an approval by habit does not publish it."""
    ids = [obj.pk for obj in objs]
    if not ids:
        return {}
    found: dict[int, AuditEntry] = {}
    for entry in AuditEntry.objects.filter(
        object_type=object_type, object_id__in=ids, action="rejected", from_status=CLIENT_STEP
    ).order_by("id"):
        found[entry.object_id] = entry  # the newest wins
    return found


def incident_waiting_for_clinic(incident_id: int) -> dict[str, int]:
    """What of an incident waits for the clinic's approval, counted: {"replies" (to its
    mentions, each of its own), "batches" (one reply to many of its mentions), "statements"
    (drafted from it), "total"}; the portal's incident page says it to the clinic's approvers
    with links to where they approve (three queries)."""
    reviews = IncidentMention.objects.filter(incident_id=incident_id).values("review_id")
    waiting = {
        "replies": ReplyDraft.objects.filter(
            status=CLIENT_STEP, batch__isnull=True, review_id__in=reviews
        ).count(),
        "batches": ReplyDraft.objects.filter(batch__status=CLIENT_STEP, review_id__in=reviews)
        .values("batch_id")
        .distinct()
        .count(),
        "statements": Statement.objects.filter(
            status=CLIENT_STEP, incident_link__incident_id=incident_id
        ).count(),
    }
    return waiting | {"total": sum(waiting.values())}


def incidents_of_texts(kind: str, objs: list) -> dict[int, Incident]:
    """The incident each text (one kind) belongs to, where it has one, in one query: a
    statement's is the incident it was drafted from; a reply's or a batch's, an incident that
    holds its review (one of the batch's mentions): a running one before a resolved one, the
    newest first. The card names it, so a person acting for several clinics in crisis at once
    knows which one a text answers."""
    ids = [obj.pk for obj in objs]
    if not ids:
        return {}
    if kind == "statement":
        links = IncidentStatement.objects.filter(statement_id__in=ids).select_related("incident")
        return {link.statement_id: link.incident for link in links}
    if kind == "batch":
        links = IncidentMention.objects.filter(review__reply_drafts__batch_id__in=ids).annotate(
            text_id=F("review__reply_drafts__batch_id")
        )
    else:
        links = IncidentMention.objects.filter(review__reply_drafts__id__in=ids).annotate(
            text_id=F("review__reply_drafts__id")
        )
    found: dict[int, Incident] = {}
    for link in sorted(
        links.select_related("incident"),
        key=lambda m: (m.incident.status not in ACTIVE_STATUSES, -m.incident.opened_at.timestamp()),
    ):
        found.setdefault(link.text_id, link.incident)
    return found


# The guard's advice names the agency's page of the clinic's staff list (`STAFF_NAMES_PLACE`),
# which the clinic's people cannot open: the portal says who keeps the list instead.
_ADD_TO_STAFF_LIST = re.compile(r"\s*Add your [^.]*? to the staff list[^.]*\.")


def finding_words_for_clinic(message: str, *, brand: str) -> str:
    """A guard finding's message as the clinic's people read it in the portal: advice that
    sends the reader to an agency page (the staff list's) says that the agency does it. The
    agency's pages keep the guard's own words."""
    if STAFF_NAMES_PLACE not in message:
        return message
    words = message.replace(f" ({STAFF_NAMES_PLACE})", "").replace(
        STAFF_NAMES_PLACE, "the clinic's staff list"
    )
    words = _ADD_TO_STAFF_LIST.sub("", words).strip()
    return (
        f"{words} {brand} keeps the clinic's staff list: if this is one of your staff, tell "
        f"{brand} and they add the name."
    )


def findings_for_clinic(findings: list, *, brand: str) -> list:
    """`findings` (dicts) with their messages for the portal (`finding_words_for_clinic`)."""
    return [
        {**f, "message": finding_words_for_clinic(f.get("message", ""), brand=brand)}
        for f in findings or []
    ]


def approval_cards(access: ClinicAccess, objs, kind: str) -> list[dict]:
    """`approval_card` for each of `objs` (one kind), in a number of queries that does not
    grow with the cards."""
    objs = list(objs)
    reads = _card_reads(kind, objs)
    return [approval_card(access, obj, kind, reads=reads) for obj in objs]


def approval_card(access: ClinicAccess, obj, kind: str, *, reads: dict | None = None) -> dict:
    """One item waiting for approval as the portal shows it: what changed is shown against the
    version the clinic was sent before (`version_the_clinic_saw`), not the agency's drafts.
    `reads`: `_card_reads` of a page's texts, `obj` among them."""
    reads = reads or _card_reads(kind, [obj])
    version = current_version(obj)
    earlier = version_the_clinic_saw(obj, reads["earlier"][obj.pk])
    sent_back = reads["sent_back"][obj.pk]
    if sent_back is not None and sent_back_this_version(sent_back, obj):
        sent_back = None  # this version was sent back: it waits for its writer
    waiting = reads["waiting"][obj.pk]
    if (
        sent_back is not None
        and waiting is not None
        and waiting.step in (Step.LEGAL, "guard")
        and sent_back_of_this_text(sent_back, obj)
        and sent_back.version > (earlier.number if earlier is not None else 0)
    ):
        # legal reads what changed since the version they sent back
        earlier = version_the_clinic_saw(obj, sent_back.version)
    text = _text(kind, version)
    step = STEP_FOR_STATUS.get(obj.status)
    card = {
        "kind": kind,
        "obj": obj,
        "version": version,
        "text": text,
        "earlier": earlier,
        "diff": word_diff(_text(kind, earlier), text) if earlier is not None else None,
        "findings": version.guard_findings if version else [],
        "verdict": obj.guard_verdict,
        "step": Step(step).label if step else "",
        "can_act": can_act_now(access, obj, acted=reads["acted"][obj.pk]),
        "may_override": _may_override(access, obj),
        "overridden": obj.is_overridden,
        "waiting": waiting,
        "history": reads["history"][obj.pk],
        "sent_back": sent_back,
        "sent_back_which": sent_back_which(sent_back, obj) if sent_back is not None else "",
        "sent_back_kept_block": sent_back is not None and sent_back_kept_block(sent_back),
        "clinic_sent_back": reads["clinic_sent_back"].get(obj.pk),
        "sla": None,
        "plan": None,
        "incident": reads["incident"].get(obj.pk),
        "review_changed": reads.get("review_changed", {}).get(obj.pk),
    }
    if kind == "batch":
        # every mention with the reply it gets: what this approval covers
        card |= reply_batch_shown(obj, version, rows=reads["batch_rows"].get(obj.pk))
        card["findings"] = findings_once(card["findings"])
        card["diff"] = None
    card["findings"] = findings_for_reader(
        findings_for_clinic(card["findings"], brand=brand_name(access.clinic.agency)),
        obj,
        can_act=card["can_act"],
        history=card["history"],
    )
    if card["can_act"] and is_final_step(obj):
        # before the last approval: where it goes, and each channel that is not connected
        if kind == "batch":
            card["plan"] = channel_plan_reviews(m["review"] for m in card["mentions"])
        elif kind == "reply":
            card["plan"] = channel_plan_reply(obj.review)
        else:  # the same channels for every statement: read once for the page
            if "statement_plan" not in reads:
                reads["statement_plan"] = channel_plan_statement()
            card["plan"] = reads["statement_plan"]
    if kind in ("reply", "batch"):
        # a batch is due when the first of its mentions is (its e-mail's "reply due …",
        # `batches.FLOW.due_at`: the earliest `review_due_at`), on the clock of that mention
        sla = sla_for(obj, access.clinic) if kind == "reply" else _batch_clock(card, access)
        card["sla"] = sla
        card["sla_words"] = (
            # no clock: a past review says so; one the reply target does not count (a 5-star
            # thank-you) shows none
            (NO_CLOCK_WORDS if kind == "reply" and obj.review.imported_as_past else "")
            if sla is None
            else f"overdue by {duration_words(sla['remaining_seconds'])}"
            if sla["breached"]
            else f"{duration_words(sla['remaining_seconds'])} left"
        )
    return card


def _batch_clock(card: dict, access: ClinicAccess) -> dict | None:
    """The reply clock of the batch's mention due first (`review_sla`, None where no clock
    runs on any of them): the batch is late once one of them is."""
    clocks = [c for m in card["mentions"] if (c := review_sla(m["review"], access.clinic))]
    return min(clocks, key=lambda c: c["due_at"], default=None)


def reply_card_get(access: ClinicAccess, draft_id: int) -> dict | None:
    draft = (
        ReplyDraft.objects.select_related("review__source")
        .prefetch_related("versions")
        .filter(pk=draft_id)
        .first()
    )
    return approval_card(access, draft, "reply") if draft else None


def batch_card_get(access: ClinicAccess, batch_id: int) -> dict | None:
    batch = (
        ReplyBatch.objects.select_related("cluster", "statement__published_version")
        .prefetch_related("versions")
        .filter(pk=batch_id)
        .first()
    )
    return approval_card(access, batch, "batch") if batch else None


def statement_card_get(access: ClinicAccess, statement_id: int) -> dict | None:
    statement = Statement.objects.prefetch_related("versions").filter(pk=statement_id).first()
    return approval_card(access, statement, "statement") if statement else None


def replies_waiting_for_clinic() -> tuple[QuerySet, QuerySet]:
    """Replies at the clinic's step, in the order the portal lists them: the batches (one
    approval for all their mentions) submitted first, then the replies of their own, the
    oldest review first. Read a page of them with `core.paging.Chained`, its cards with
    `reply_cards`."""
    batches = (
        ReplyBatch.objects.filter(status=CLIENT_STEP)
        # the card names the claim, and the statement a pointer batch links to
        .select_related("cluster", "statement__published_version")
        .prefetch_related("versions")
        .order_by("submitted_at", "pk")
    )
    drafts = (
        ReplyDraft.objects.filter(status=CLIENT_STEP, batch__isnull=True)
        .select_related("review__source")
        .prefetch_related("versions", latest_scores_prefetch(through="review"))
        .order_by("review__published_at", "pk")
    )
    return batches, drafts


def waiting_position(kind: str, pk: int) -> int | None:
    """Where the batch or reply `pk` (`kind` "batch" or "reply") stands, from 0, in the list
    `replies_waiting_for_clinic` gives, or None when it does not wait for the clinic: the
    approvals page opens the page that holds the card a link names (one query per kind)."""
    batches, drafts = replies_waiting_for_clinic()
    batch_ids = list(batches.values_list("pk", flat=True))
    if kind == "batch":
        return batch_ids.index(pk) if pk in batch_ids else None
    draft_ids = list(drafts.values_list("pk", flat=True))
    return len(batch_ids) + draft_ids.index(pk) if pk in draft_ids else None


def reply_cards(access: ClinicAccess, rows) -> list[dict]:
    """The cards of `rows` (batches and replies, as `replies_waiting_for_clinic` lists them),
    in their order, in a number of queries that does not grow with the cards."""
    rows = list(rows)
    cards = {}
    for kind, model in (("batch", ReplyBatch), ("reply", ReplyDraft)):
        if of_kind := [r for r in rows if isinstance(r, model)]:
            cards |= {(kind, c["obj"].pk): c for c in approval_cards(access, of_kind, kind)}
    return [cards["batch" if isinstance(r, ReplyBatch) else "reply", r.pk] for r in rows]


def statements_waiting_for_clinic(access: ClinicAccess) -> list[dict]:
    statements = (
        Statement.objects.filter(status=CLIENT_STEP)
        .prefetch_related("versions")
        .order_by("submitted_at", "pk")
    )
    return approval_cards(access, statements, "statement")


def statements_published() -> list[Statement]:
    return statements_public()


def _mine(access: ClinicAccess) -> list[str]:
    """The pending statuses this person may act on."""
    mine = []
    if access.can(Permission.APPROVE_CLIENT):
        mine.append(CLIENT_STEP)
    if access.can(Permission.LEGAL_OVERRIDE):
        mine.append(ApprovalStatus.PENDING_LEGAL)
    if CrisisRole.CLINICIAN in access.crisis_roles:
        mine.append(ApprovalStatus.PENDING_CLINICIAN)
    if access.can(Permission.APPROVE_AGENCY):
        mine.append(ApprovalStatus.PENDING_AGENCY)
    return mine


def in_progress_counts(access: ClinicAccess) -> dict:
    """Items waiting for somebody else (the agency, legal, the clinician) before the clinic's
    step: what this person cannot act on now."""
    earlier = [s for s in PENDING if s != CLIENT_STEP and s not in _mine(access)]
    return {
        "replies": ReplyDraft.objects.filter(status__in=earlier, batch__isnull=True).count()
        + ReplyBatch.objects.filter(status__in=earlier).count(),
        "statements": Statement.objects.filter(status__in=earlier).count(),
    }


def _blocked(model):
    return (
        model.objects.filter(guard_verdict="block")
        .exclude(status__in=[*FINISHED, ApprovalStatus.APPROVED])
        .exclude(override_version=F("version"))
        .exclude(override_refused_version=F("version"))  # sent back: waits for its writer
        .filter(legal_asked_version=F("version"))  # only saved: its writer may still change it
    )


def _review_querysets(access: ClinicAccess) -> list[tuple[str, QuerySet]]:
    """(kind, texts) of what waits for legal (the legal step, and guard blocks nobody
    overrode) or the clinician, for this person only: the cards and the badge read these."""
    statuses = [
        s
        for s in _mine(access)
        if s in (ApprovalStatus.PENDING_LEGAL, ApprovalStatus.PENDING_CLINICIAN)
    ]
    out = []
    for kind, model in (("batch", ReplyBatch), ("reply", ReplyDraft), ("statement", Statement)):
        q = Q(status__in=statuses)
        if access.can(Permission.LEGAL_OVERRIDE):
            q |= Q(pk__in=_blocked(model).values("pk"))
        qs = model.objects.filter(q).prefetch_related("versions").order_by("updated_at", "pk")
        if kind == "reply":
            qs = qs.select_related("review__source").filter(batch__isnull=True)
        elif kind == "batch":
            qs = qs.select_related("cluster", "statement__published_version")
        out.append((kind, qs))
    return out


def review_cards(access: ClinicAccess) -> dict:
    """What waits for legal (the legal step, and guard blocks nobody overrode) or the
    clinician, for this person only."""
    cards = [
        card for kind, qs in _review_querysets(access) for card in approval_cards(access, qs, kind)
    ]
    return {"cards": cards, "mine": sum(1 for c in cards if c["can_act"] or c["may_override"])}


def review_mine(access: ClinicAccess) -> int:
    """`review_cards(access)["mine"]` without building the cards: a few queries per kind of
    text, whatever the number of texts (the badge is on every portal page)."""
    mine = 0
    for kind, qs in _review_querysets(access):
        texts = list(qs)
        acted = principals_who_acted_each(object_type=FLOWS[kind].object_type, objs=texts)
        mine += sum(
            1
            for obj in texts
            if can_act_now(access, obj, acted=acted[obj.pk]) or _may_override(access, obj)
        )
    return mine


def texts_waiting_counted(access: ClinicAccess | None, kind: str) -> dict[str, int]:
    """How many texts of `kind` wait at the clinic's step: "replies" (the batches and the
    replies of their own as `replies_waiting_for_clinic` lists them, a batch one row) or
    "statements". `waiting`: all of them, the rows of the page's list (its "Showing … of N");
    `yours`: those this person may approve now (not their own, none the separation of duties
    refuses them; none for one who does not approve for the clinic; all without `access`).
    The list's count, its lead line and the navigation's badge read this one count. Two
    queries per kind of text, whatever their number."""
    if kind == "replies":
        batches, drafts = replies_waiting_for_clinic()
        parts = ((drafts, "reply"), (batches, "reply_batch"))
    else:
        parts = ((Statement.objects.filter(status=CLIENT_STEP), "statement"),)
    client = access is None or access.can(Permission.APPROVE_CLIENT)
    waiting = yours = 0
    for qs, object_type in parts:
        texts = list(
            qs.select_related(None)
            .prefetch_related(None)
            .order_by()
            .only("pk", "version", "author_label")
        )
        waiting += len(texts)
        if not client:
            continue
        if access is None:
            yours += len(texts)
            continue
        # their own texts, and what the separation of duties would refuse them, are not theirs
        texts = [t for t in texts if t.author_label != access.actor.label]
        acted = principals_who_acted_each(object_type=object_type, objs=texts)
        yours += sum(1 for t in texts if not access.principals & acted[t.pk])
    return {"waiting": waiting, "yours": yours}


def portal_counts(access: ClinicAccess | None = None) -> dict:
    """The badges of the portal's navigation: only what this person can act on
    ("replies", "statements", ...), and beside the two kinds of texts how many wait for the
    clinic in all ("replies_waiting", "statements_waiting": what their pages list), from one
    count (`texts_waiting_counted`). A fixed number of queries, whatever the number of texts
    waiting (it is on every portal page)."""
    replies = texts_waiting_counted(access, "replies")
    statements = texts_waiting_counted(access, "statements")
    counts = {
        "replies": replies["yours"],
        "replies_waiting": replies["waiting"],
        "statements": statements["yours"],
        "statements_waiting": statements["waiting"],
        "incidents": Incident.objects.filter(status__in=ACTIVE_STATUSES).count(),
        "review": 0,
        # facts the agency asked the clinic to confirm: only for those who may confirm them
        "facts": facts_waiting_for_clinic().count()
        if access is not None and clinic_attest_refusal(access) is None
        else 0,
    }
    if access is not None and (
        access.can(Permission.LEGAL_OVERRIDE) or CrisisRole.CLINICIAN in access.crisis_roles
    ):
        counts["review"] = review_mine(access)
    # the private follow-ups this person owns and has not closed: they call the person back
    user_id = access.actor.user.pk if access is not None and access.actor.user else None
    counts["follow_ups"] = (
        PrivateConversation.objects.filter(owner_id=user_id, status__in=OPEN_STATUSES).count()
        if user_id is not None
        else 0
    )
    counts["total"] = sum(counts[k] for k in WAITING_KINDS)
    return counts


# What waits for a person in a clinic, the one definition (`portal_counts`): the replies and
# batch replies they may approve now (a batch one), the statements, the texts at their legal or
# clinical check, the facts to confirm and the follow-ups they own and have not closed. The
# Overview's badge and lead, the tabs' badges, the "Waiting for you" banner, the notifications
# page and the clinic switcher all read it; across clinics, the sum of each clinic's.
WAITING_KINDS = ("replies", "statements", "review", "facts", "follow_ups")


def waiting_words(counts: dict, *, checks_tab: str = "") -> list[dict]:
    """What waits for the person (`portal_counts`), kind by kind, as the Overview, the banner
    and the notifications page say it: [{"n", "words", "path"}] ("3 replies to approve",
    "approvals/"), only the kinds where something waits. `checks_tab`: the name of their
    legal or clinical check (`checks_tab_label`)."""
    n = counts
    check = (checks_tab or "check").lower()
    parts = [
        ("replies", f"repl{'y' if n['replies'] == 1 else 'ies'} to approve", "approvals/"),
        ("statements", f"statement{'' if n['statements'] == 1 else 's'} to approve", "statements/"),
        ("review", f"text{'' if n['review'] == 1 else 's'} for your {check}", "review/"),
        ("facts", f"fact{'' if n['facts'] == 1 else 's'} to confirm", "facts/"),
        (
            "follow_ups",
            f"follow-up{'' if n['follow_ups'] == 1 else 's'} of yours still open",
            "follow-ups/",
        ),
    ]
    return [{"n": n[k], "words": words, "path": path} for k, words, path in parts if n.get(k)]


def portal_banner(user, clinic: Clinic) -> dict:
    """The portal's banner for `user` in `clinic`: "incidents", their incident alerts not
    acknowledged yet (of every clinic: an incident is urgent wherever it is), and "here", this
    clinic's other open notices, overdue and due soonest first, at most `BANNER_SHOWN` (the
    rest are on the notifications page). Its count is `portal_counts`' "total", not these.
    "hidden_by_choice": the person chose not to see what waits for them on the pages
    (`clinics.preferences.shows_on_pages`): no banner line, nav badge or title count then (the
    Overview and the tabs still list what waits)."""
    if user is None or not user.is_authenticated or user_half_signed_in(user):
        return {"incidents": [], "here": []}
    if not shows_on_pages(preferences_for([user])[user.pk]):
        return {"incidents": [], "here": [], "hidden_by_choice": True}
    items, _staff = banner_items(user)
    here = [i for i in items if i["n"].kind != "incident" and i["n"].clinic_id == clinic.pk]
    here.sort(
        key=lambda i: (
            i["n"].due_at is None,
            i["n"].due_at.timestamp() if i["n"].due_at else 0,
            -i["n"].created_at.timestamp(),
        )
    )
    return {
        "incidents": [i for i in items if i["n"].kind == "incident"],
        "here": here[:BANNER_SHOWN],
    }


def waiting_in_clinics(actor: Actor, clinics) -> dict[int, int]:
    """clinic id -> how many things wait for `actor` there (`portal_counts`' "total", read in
    each clinic's schema): the clinic switcher and the "Your clinics" page, which span
    clinics, say each and their sum. A person without access to one of them counts 0 there."""
    out: dict[int, int] = {}
    for clinic in clinics:
        with tenant_context(clinic):
            access = clinic_access(actor, clinic)
            out[clinic.pk] = portal_counts(access)["total"] if access is not None else 0
    return out


def _opened_between(qs: QuerySet, opened_from: date | None, opened_to: date | None) -> QuerySet:
    """The incidents of `qs` opened on those days, whole days in the clinic's time zone and
    both included, as the agency's incidents page and the API read `opened_from`/`_to`."""
    start, end = clinic_days_as_instants(opened_from, opened_to, end_inclusive=True)
    if start is not None:
        qs = qs.filter(opened_at__gte=start)
    if end is not None:
        qs = qs.filter(opened_at__lte=end)
    return qs


def incidents_open(
    *, opened_from: date | None = None, opened_to: date | None = None
) -> list[Incident]:
    """The incidents still running, newest first (opened on those days, when given)."""
    running = Incident.objects.filter(status__in=ACTIVE_STATUSES)
    return list(_opened_between(running, opened_from, opened_to).order_by("-opened_at", "-id"))


def incidents_closed(
    *, opened_from: date | None = None, opened_to: date | None = None
) -> QuerySet[Incident]:
    """Resolved incidents, the last resolved first (opened on those days, when given), for
    paging; `review_sent` says whether the agency sent the clinic its post-crisis review."""
    closed = Incident.objects.exclude(status__in=ACTIVE_STATUSES).annotate(
        review_sent=Exists(
            PostCrisisReview.objects.filter(incident=OuterRef("pk"), sent_at__isnull=False)
        )
    )
    return _opened_between(closed, opened_from, opened_to).order_by(
        F("resolved_at").desc(nulls_last=True), "-id"
    )


def review_sent_to_clinic(incident_id: int) -> PostCrisisReview | None:
    """The incident's post-crisis review once the agency sent it to the clinic (the portal
    shows nothing before)."""
    return (
        PostCrisisReview.objects.select_related("incident")
        .filter(incident_id=incident_id, sent_at__isnull=False)
        .first()
    )


def incident_for_portal(incident_id: int) -> Incident | None:
    """An incident with its timeline as the clinic reads it (oldest first): without the agency's
    plumbing (`crisis.selectors.incident_events_for_client`, which the post-crisis review sent
    to the clinic reads too); and the incident it continues."""
    return (
        Incident.objects.select_related("continues")
        .prefetch_related(Prefetch("events", queryset=incident_events_for_client()))
        .filter(pk=incident_id)
        .first()
    )


def portal_home_for(user) -> str | None:
    """Where a clinic person lands after signing in: their clinic's portal when they belong to
    exactly one clinic, not paused, and to no agency (staff, people of several clinics and
    people whose only clinic is paused get the list, which says it is paused: the paused
    portal's page links there, so it must not lead back)."""
    if user_is_agency_staff(user):
        return None
    slugs = list(
        ClinicMembership.objects.filter(user=user).values_list(
            "clinic__slug", "clinic__deactivated_at"
        )[:2]
    )
    if len(slugs) == 1 and slugs[0][1] is not None:
        return None
    slugs = [slug for slug, _at in slugs]
    return f"/clinics/{slugs[0]}/portal/" if len(slugs) == 1 else None


def clinic_switch(actor: Actor, current: Clinic) -> dict | None:
    """The portal header's clinic switcher for a person of several clinics: each clinic they
    may open (its agency did not pause it), by name, with its portal and how many things wait
    for them there, and how many wait in the others. None for
    a person of one clinic, and for the agency's staff (their pages list every clinic). Two
    queries."""
    user = actor.user
    if user is None or user_is_agency_staff(user):
        return None
    clinics = list(clinics_for_actor(actor).filter(deactivated_at__isnull=True).order_by("name"))
    if len(clinics) < 2:
        return None
    waiting = waiting_in_clinics(actor, clinics)
    rows = [
        {
            "clinic": c,
            "url": f"/clinics/{c.slug}/portal/",
            "waiting": waiting.get(c.pk, 0),
            "current": c.pk == current.pk,
        }
        for c in clinics
    ]
    return {"clinics": rows, "elsewhere": sum(r["waiting"] for r in rows if not r["current"])}


# refs of the notices that ask a person to decide on a text ("reply:12", "reply_batch:3",
# "statement:4": `responses.services.workflow._ref`)
_DECISION_REF = re.compile(r"^(reply|reply_batch|statement):(\d+)$")
_DECISION_ACTIONS = [action for actions in LOG_DECISIONS.values() for action in actions]
# a notice is closed in the transaction of the decision that closes it, just after its entry
_CLOSE_SLACK = timedelta(seconds=5)


def notices_handled(notices: list, *, user, clinic: Clinic) -> dict[int, dict]:
    """Who handled each done notice of `notices` that asked `user` to decide on a reply, batch
    or statement (closed without their reading it: another of its people decided): {notice id:
    {"name", "email", "at", "you"}}, read from the decision in the audit trail that closed it.
    `email` only where another of the clinic's people bears the same name. Three queries."""
    wanted: dict[tuple[str, int], list] = {}
    for n in notices:
        m = _DECISION_REF.match(n.ref)
        if m and not n.open and n.waits and n.read_at is None:
            wanted.setdefault((m.group(1), int(m.group(2))), []).append(n)
    if not wanted:
        return {}
    q = Q()
    for object_type in {t for t, _ in wanted}:
        q |= Q(object_type=object_type, object_id__in=[i for t, i in wanted if t == object_type])
    entries = list(
        AuditEntry.objects.filter(q, action__in=_DECISION_ACTIONS)
        .filter(created_at__gte=min(n.created_at for ns in wanted.values() for n in ns))
        .order_by("-created_at", "-id")
    )
    found: dict[int, AuditEntry] = {}
    for entry in entries:  # newest first: the last decision before each notice closed
        for n in wanted.get((entry.object_type, entry.object_id), []):
            if (
                n.pk not in found
                and n.created_at <= entry.created_at <= n.updated_at + _CLOSE_SLACK
            ):
                found[n.pk] = entry
    ids = {user_id_of(e.actor_label) for e in found.values()} - {None}
    people = dict(
        ClinicMembership.objects.filter(clinic=clinic).values_list("user_id", "user__full_name")
    )
    emails = dict(User.objects.filter(pk__in=ids).values_list("pk", "email"))
    out = {}
    for pk, entry in found.items():
        uid = user_id_of(entry.actor_label)
        name = entry.actor_name or "someone"
        namesakes = [p for p, full in people.items() if p != uid and full == name]
        out[pk] = {
            "name": name,
            "email": emails.get(uid, "") if namesakes else "",
            "at": entry.created_at,
            "you": uid == user.pk,
        }
    return out


# --- an e-mail's link to a card that no longer waits -------------------------------------------

# how far back a person's closed "waits for you" notices name what happened to their card
HANDLED_DAYS = 30
_CARD_ANCHOR = re.compile(r"#(card-(reply|batch|statement)-(\d+))$")
_CARD_TYPES = {"reply": "reply", "batch": "reply_batch", "statement": "statement"}
_CARD_MODELS = {"reply": ReplyDraft, "reply_batch": ReplyBatch, "statement": Statement}
# what a decision did to a text, after "… by <who>"
_HAPPENED = {
    "approved": "Approved",
    "rejected": "Sent back for changes",
    "override_refused": "Sent back, keeping the privacy block",
    "guard_overridden": "Privacy block lifted",
    "approval_taken_back": "Approval taken back",
    "edited": "Changed into a new version",
    "discarded": "Withdrawn (discarded)",
    "withdrawn": "Withdrawn",
    "submitted": "Submitted again",
    "published": "Published",
}
_NOT_HAPPENED = ("reminded", "legal_asked", "created")
# what comes next, said instead of its status, where the status alone reads like a step back
# (a lifted block leaves the text a draft: it is its writer's to submit)
_BLOCK_LIFTED_NEXT = "its writer is told and submits it again; then it comes to the next approver"


def cards_handled(*, user, clinic: Clinic, page: str, shown) -> list[dict]:
    """What happened to the texts a person was sent to this portal page for (`page`, its
    path: the link of each "waits for you" notice, the e-mail's too, ends in the card's
    anchor) that no longer wait for them here (`shown`: the anchors of the page's cards), in
    the last `HANDLED_DAYS` days, newest first: {"anchor", "what", "happened", "by", "at",
    "status"}: the e-mail's link lands on the line (its anchor) that says who approved, sent
    back, withdrew or published it, and when, instead of only "Nothing waits". Three queries
    at most for a few notices, whatever their number (one per kind of text and one for the
    trail). "next": what comes next, said instead of the status where it says more (a lifted
    block: its writer submits it again)."""
    since = timezone.now() - timedelta(days=HANDLED_DAYS)
    anchors: dict[str, tuple[str, int, datetime]] = {}
    waiting = set(shown)
    for url, at, still_open in (
        Notification.objects.filter(
            user=user, clinic=clinic, waits=True, url__startswith=page, created_at__gte=since
        )
        .order_by("-created_at", "-pk")
        .values_list("url", "created_at", "open")[:200]
    ):
        found = _CARD_ANCHOR.search(url)
        if found is None or found.group(1) in waiting or found.group(1) in anchors:
            continue
        if still_open:  # it still waits for them (on another page of the list, say)
            waiting.add(found.group(1))
            continue
        anchors[found.group(1)] = (_CARD_TYPES[found.group(2)], int(found.group(3)), at)
    if not anchors:
        return []
    objs: dict[tuple[str, int], object] = {}
    for object_type, model in _CARD_MODELS.items():
        ids = [pk for t, pk, _ in anchors.values() if t == object_type]
        if ids:
            query = model.objects.filter(pk__in=ids)
            if model is ReplyDraft:
                query = query.select_related("review__source")
            objs |= {(object_type, obj.pk): obj for obj in query}
    wanted = Q()
    for object_type in {t for t, _, _ in anchors.values()}:
        wanted |= Q(
            object_type=object_type,
            object_id__in=[pk for t, pk, _ in anchors.values() if t == object_type],
        )
    last: dict[tuple[str, int], AuditEntry] = {}
    for entry in (
        AuditEntry.objects.filter(wanted, created_at__gte=since)
        .exclude(action__in=_NOT_HAPPENED)
        .order_by("id")
    ):
        last[(entry.object_type, entry.object_id)] = entry  # the newest wins
    rows = []
    for anchor, (object_type, pk, told_at) in anchors.items():
        obj = objs.get((object_type, pk))
        if obj is None:
            continue
        entry = last.get((object_type, pk))
        if entry is not None and entry.created_at < told_at:
            entry = None  # nothing happened to it since they were told
        happened = ""
        if entry is not None:
            happened = _HAPPENED.get(entry.action, entry.action.replace("_", " ").capitalize())
            if entry.action == "approved" and entry.detail.get("step") in Step.values:
                happened += f" at the {Step(entry.detail['step']).label.lower()}"
        rows.append({
            "anchor": anchor,
            "what": _card_named(object_type, obj),
            "happened": happened,
            # a part of Carewatch (publishing) is named by nobody: what it did says enough
            "by": (entry.actor_name or entry.actor_label)
            if entry and not entry.actor_label.startswith("system:")
            else "",
            "at": entry.created_at if entry else None,
            "status": obj.get_status_display(),
            "next": _BLOCK_LIFTED_NEXT
            if entry and entry.action == "guard_overridden"
            and obj.status in (ApprovalStatus.DRAFT, ApprovalStatus.CHANGES_REQUESTED)
            else "",
        })  # fmt: skip
    return rows


def _card_named(object_type: str, obj) -> str:
    if object_type == "reply":
        who = obj.review.author_name or "a reviewer"
        return f"The reply to {who} on {obj.review.source.name}"
    if object_type == "reply_batch":
        return f"The reply to many mentions (batch {obj.pk})"
    return f"The statement “{obj.title}”"
