"""Official statements: versioned, approved like replies (guard, agency, legal/clinician when
needed, clinic), then published: shown on the clinic's public statement page and posted and
pinned on every channel that can pin (Facebook pages). Unpinning takes them down again; every
version stays in the history."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.actors import Actor, user_id_of
from accounts.models import User
from clinics.access import ClinicAccess, people_who_can, user_access
from clinics.alerting import on_call_of
from clinics.notifications import notifications_close, notifications_withdraw, people_notify
from core.errors import Conflict, ValidationFailed
from core.permissions import Permission
from core.rollup import figures_changed
from core.tenancy import current_clinic
from core.text import control_problem, markup_problem
from responses.models import ApprovalStatus, Statement, StatementVersion, Verdict
from responses.services import workflow
from responses.services.common import audit_record, require, webhook_emit
from responses.services.guarding import guard_check, guard_refusal
from responses.services.templating import text_render, unresolved_error, variables_markup_error

MAX_TITLE = 200
MAX_BODY = 20_000
# what `markup_problem` says: channels take plain text, and the public page shows it escaped
PUBLISHED = "Statements are published"
S = ApprovalStatus
EDITABLE = frozenset(
    {*workflow.SUBMITTABLE, *workflow.PENDING, S.APPROVED, S.PUBLISHED, S.UNPINNED}
)


class StatementFlow(workflow.Flow):
    def text_of(self, version) -> str:
        return f"{version.title}\n\n{version.body}"

    def guard(self, obj, version) -> dict:
        return guard_check(self.text_of(version), clinic=current_clinic(), purpose="statement")

    def describe(self, obj) -> str:
        return f"the statement “{obj.title}”"

    def page(self, obj, clinic) -> str:
        return f"/clinics/{clinic.slug}/statements/{obj.pk}/"

    def on_approved(self, obj, who: Actor) -> None:
        tell_ready_to_publish(obj, who)

    # an approved statement waits for someone to publish it: until then, the last approval
    # may be taken back
    last_approval_takes_back = True

    def on_approval_taken_back(self, obj, who: Actor) -> None:
        notifications_withdraw(
            clinic=current_clinic(),
            ref=_publish_ref(obj),
            title=f"The statement “{obj.title}” is no longer approved: {who.name or 'someone'} "
            "took back the last approval, so it is not to be published yet",
        )


FLOW = StatementFlow(
    object_type="statement",
    model=Statement,
    version_model=StatementVersion,
    version_fk="statement",
)


def _publish_ref(statement: Statement) -> str:
    return f"statement:{statement.pk}:publish"


def tell_ready_to_publish(statement: Statement, who: Actor) -> dict[int, list[str]]:
    """The last approval was given: the statement waits for the agency to publish and pin it.
    Its writers, the agency's owners and managers and the clinic's on-call people, those of
    them who may publish (not the person who just approved), are told in-app and by e-mail;
    the notice closes when it is published, changed (a new version) or discarded."""
    clinic = current_clinic()
    writers = [
        pk
        for label in {statement.author_label, FLOW.current_version(statement).author_label}
        if (pk := user_id_of(label)) is not None
    ]
    people = [
        *User.objects.filter(pk__in=writers, is_active=True).order_by("pk"),
        *people_who_can(clinic, permission=Permission.MANAGE),
        *on_call_of(clinic),
    ]
    users = {
        u.pk: u
        for u in people
        if u.is_active
        and f"user:{u.pk}" != who.label
        and (access := user_access(u, clinic)) is not None
        and access.can(Permission.WRITE)
    }
    return people_notify(
        users=users.values(),
        clinic=clinic,
        kind="publish",
        ref=_publish_ref(statement),
        title=f"The statement “{statement.title}” is approved: publish and pin it",
        detail=f"{who.name or 'The last approver'} gave the last approval. Open it and choose "
        "“Publish and pin”: it then shows on the clinic's public statement page and is pinned "
        "on every channel that can pin.",
        url=FLOW.page(statement, clinic),
    )


def public_page_url(clinic) -> str:
    """The public address of the clinic's statements page; each statement's own address is
    under it (`statement_permalink`)."""
    return f"{settings.PUBLIC_BASE_URL}/statements/{clinic.slug}/"


def statement_permalink(clinic, statement_id: int) -> str:
    """The statement's own public address: it stays valid when a newer statement replaces it
    (the page then says it is superseded and links to the current one). Link to it from
    replies (`{statement_url}` in a reply template)."""
    return f"{public_page_url(clinic)}{statement_id}/"


def statement_payload(statement: Statement) -> dict:
    version = statement.published_version
    return {
        "statement": {
            "id": statement.pk,
            "version": version.number if version else None,
            "title": version.title if version else statement.title,
            "body": version.body if version else "",
            "published_at": statement.published_at,
            "is_pinned": statement.is_pinned,
            "url": public_page_url(current_clinic()),
        }
    }


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title:
        errors["title"] = ["Give the statement a title."]
    elif len(title) > MAX_TITLE:
        errors["title"] = [f"At most {MAX_TITLE} characters."]
    elif problem := markup_problem(title, published=PUBLISHED) or control_problem(
        title, one_line=True
    ):
        errors["title"] = [problem]
    if not body:
        errors["body"] = ["Write the statement."]
    elif len(body) > MAX_BODY:
        errors["body"] = [f"At most {MAX_BODY} characters."]
    elif problem := markup_problem(body, published=PUBLISHED):
        errors["body"] = [problem]
    if errors:
        raise ValidationFailed("Invalid statement.", fields=errors)
    return title, body


def _version_add(statement: Statement, *, title: str, body: str, who: Actor) -> StatementVersion:
    clinic = current_clinic()
    title, body = _clean(title, body)
    rendered = text_render(body, clinic=clinic)
    if rendered.unresolved:
        raise unresolved_error(rendered, field_name="body")
    if refusal := variables_markup_error(
        body,
        rendered.text,
        lambda placeholder: text_render(placeholder, clinic=clinic).text,
        published=PUBLISHED,
        field_name="body",
    ):
        raise refusal
    body = rendered.text
    result = guard_check(f"{title}\n\n{body}", clinic=clinic, purpose="statement")
    return StatementVersion.objects.create(
        statement=statement,
        number=statement.version + 1,
        title=title,
        body=body,
        guard_verdict=result["verdict"],
        guard_findings=result["findings"],
        author_label=who.label,
        author_name=who.name[:200],
    )


# A statement created again with the same title and body by the same person within this
# window is a double submit (a second click, a retried request), not a second statement.
REPEAT_WINDOW = timedelta(minutes=10)
REPEAT_WINDOW_WORDS = "less than 10 minutes"


def _created_just_now(who, title: str, body: str) -> int | None:
    """The id of the statement `who` created with this title and body within REPEAT_WINDOW."""
    return (
        Statement.objects.filter(
            author_label=who.label,
            title=title,
            created_at__gte=timezone.now() - REPEAT_WINDOW,
            versions__number=1,
            versions__body=body,
        )
        .exclude(status=S.DISCARDED)
        .values_list("pk", flat=True)
        .first()
    )


@transaction.atomic
def statement_create(*, access: ClinicAccess, title: str, body: str) -> Statement:
    """A new statement, version 1. The same title and body created by the same person less
    than REPEAT_WINDOW ago (and not discarded) is a form or a request sent twice: 409
    `statement_exists` naming it (`fields.statement_id`), and nothing is stored."""
    require(access, Permission.WRITE)
    who = access.actor
    title, body = _clean(title, body)
    with connection.cursor() as cursor:  # one creation at a time per person: a double submit
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext(%s))",
            [f"statement_create:{who.label}"],
        )
    if same := _created_just_now(who, title, body):
        raise Conflict(
            f"You created this statement {REPEAT_WINDOW_WORDS} ago (statement {same}): it "
            "was not created twice.",
            code="statement_exists",
            fields={"statement_id": [str(same)]},
        )
    statement = Statement.objects.create(
        title=title, author_label=who.label, author_name=who.name[:200]
    )
    version = _version_add(statement, title=title, body=body, who=who)
    statement.version = version.number
    statement.guard_verdict = version.guard_verdict
    statement.save(update_fields=["version", "guard_verdict", "updated_at"])
    audit_record(
        object_type=FLOW.object_type,
        object_id=statement.pk,
        action="created",
        who=who,
        version=1,
        to_status=statement.status,
        detail={"verdict": version.guard_verdict},
    )
    workflow.tell_who_acts(FLOW, statement)
    return statement


@transaction.atomic
def statement_update(
    *,
    statement_id: int,
    access: ClinicAccess,
    title: str | None = None,
    body: str | None = None,
    expected_version: int | None = None,
) -> Statement:
    """A new version. A published statement stays on its page (and pinned) as it was until
    the new version is approved and published. `title` or `body` None: it stays as the current
    version has it (a partial update)."""
    require(access, Permission.WRITE)
    who = access.actor
    statement = FLOW.lock(statement_id)
    if expected_version is not None and statement.version != expected_version:
        raise Conflict(workflow.stale_words(statement.version, expected_version), code="stale")
    if statement.status not in EDITABLE:
        raise Conflict(f"It cannot be edited now (it is “{statement.get_status_display()}”).")
    current = FLOW.current_version(statement)
    title, body = _clean(
        current.title if title is None else title, current.body if body is None else body
    )
    if (title, body) == (current.title, current.body):
        return statement
    version = _version_add(statement, title=title, body=body, who=who)
    statement.title = title
    statement.save(update_fields=["title", "updated_at"])
    workflow.after_new_version(FLOW, statement, version, who)
    # the approved text it was to publish is no longer the current one
    notifications_close(clinic=current_clinic(), ref=_publish_ref(statement))
    return statement


def statement_submit(*, statement_id: int, access: ClinicAccess, expected_version=None):
    """Submit the current version; 400 when it holds markup (a version saved before markup
    was refused)."""
    statement = Statement.objects.filter(pk=statement_id).first()
    if statement is not None and statement.version:
        version = FLOW.current_version(statement)
        _clean(version.title, version.body)
    return workflow.submit(FLOW, pk=statement_id, access=access, expected_version=expected_version)


def statement_approve(
    *,
    statement_id: int,
    access: ClinicAccess,
    expected_status: str | None = None,
    expected_version: int | None = None,
    comment: str = "",
):
    return workflow.approve(
        FLOW,
        pk=statement_id,
        access=access,
        expected_status=expected_status,
        expected_version=expected_version,
        comment=comment,
    )


def statement_reject(
    *,
    statement_id: int,
    access: ClinicAccess,
    comment: str,
    expected_status: str | None = None,
    expected_version: int | None = None,
):
    return workflow.reject(
        FLOW,
        pk=statement_id,
        access=access,
        comment=comment,
        expected_status=expected_status,
        expected_version=expected_version,
    )


def statement_take_back(
    *,
    statement_id: int,
    access: ClinicAccess,
    comment: str = "",
    expected_status: str | None = None,
    expected_version: int | None = None,
):
    """Take back one's own approval before the next step acts (`workflow.take_back`)."""
    return workflow.take_back(
        FLOW, pk=statement_id, access=access, comment=comment,
        expected_status=expected_status, expected_version=expected_version,
    )  # fmt: skip


def statement_override(
    *, statement_id: int, access: ClinicAccess, reason: str, expected_version: int | None = None
):
    """Legal lifts the privacy block of the current version (`workflow.override`)."""
    return workflow.override(
        FLOW, pk=statement_id, access=access, reason=reason, expected_version=expected_version
    )


def statement_override_refuse(
    *, statement_id: int, access: ClinicAccess, comment: str, expected_version: int | None = None
):
    """Legal keeps the block and sends the statement back (`workflow.refuse_override`)."""
    return workflow.refuse_override(
        FLOW, pk=statement_id, access=access, comment=comment, expected_version=expected_version
    )


@transaction.atomic
def statement_discard(*, statement_id: int, access: ClinicAccess):
    statement = FLOW.lock(statement_id)
    if statement.published_version_id is not None:
        raise Conflict("A published statement is unpinned, not discarded; its history stays.")
    discarded = workflow.discard(FLOW, pk=statement_id, access=access)
    notifications_close(clinic=current_clinic(), ref=_publish_ref(statement))
    return discarded


@transaction.atomic
def statement_publish(
    *, statement_id: int, access: ClinicAccess, expected_version: int | None = None
) -> Statement:
    """Publish the approved version: the public page shows it and every channel that can pin
    gets it posted and pinned (through the outbox); an earlier version's posts are unpinned."""
    from responses.services.outbox import outbox_statement_enqueue, outbox_statement_unpin

    require(access, Permission.WRITE)
    who = access.actor
    statement = FLOW.lock(statement_id)
    if expected_version is not None and statement.version != expected_version:
        raise Conflict("The statement changed since you read it. Reload it.", code="stale")
    if statement.status != S.APPROVED:
        raise Conflict(
            f"Only an approved statement can be published (it is "
            f"“{statement.get_status_display()}”)."
        )
    version = FLOW.current_version(statement)
    result = FLOW.guard(statement, version)
    if result["verdict"] == Verdict.BLOCK and not statement.is_overridden:
        raise guard_refusal(result)
    before = statement.status
    statement.status = S.PUBLISHED
    statement.published_version = version
    statement.title = version.title
    statement.is_pinned = True
    statement.published_at = timezone.now()
    statement.unpinned_at = None
    statement.save()
    audit_record(
        object_type=FLOW.object_type,
        object_id=statement.pk,
        action="published",
        who=who,
        version=version.number,
        from_status=before,
        to_status=statement.status,
    )
    outbox_statement_unpin(statement=statement, who=who, keep_version=version.number)
    outbox_statement_enqueue(statement=statement, who=who)
    notifications_close(clinic=current_clinic(), ref=_publish_ref(statement))
    webhook_emit("statement.published", statement_payload(statement))
    figures_changed()  # an approval state changed, as every step of `workflow` says
    return statement


@transaction.atomic
def statement_unpin(*, statement_id: int, access: ClinicAccess) -> Statement:
    """Take the statement off the public page and unpin its posts. Its versions stay."""
    from responses.services.outbox import outbox_statement_unpin

    require(access, Permission.WRITE)
    who = access.actor
    statement = FLOW.lock(statement_id)
    if not statement.is_pinned:
        raise Conflict("The statement is not pinned.")
    before = statement.status
    statement.is_pinned = False
    statement.unpinned_at = timezone.now()
    if statement.status == S.PUBLISHED:
        statement.status = S.UNPINNED
    statement.save()
    audit_record(
        object_type=FLOW.object_type,
        object_id=statement.pk,
        action="unpinned",
        who=who,
        version=statement.published_version.number if statement.published_version else None,
        from_status=before,
        to_status=statement.status,
    )
    outbox_statement_unpin(statement=statement, who=who)
    return statement
