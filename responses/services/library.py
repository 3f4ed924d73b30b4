"""The clinic's own reply templates and its reply settings (the fact sheet lives in `facts`).
Changing either takes the MANAGE permission (agency owners and managers) and is audited."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.actors import Actor
from agency.models import AgencyRole
from clinics.access import ClinicAccess
from clinics.history import settings_changed
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.permissions import Permission
from core.settings_history import Setting, SettingArea
from core.text import control_problem, markup_problem, reason_problem
from responses.models import (
    ReplyTemplate,
    ResponseSettings,
    TemplateCategory,
    validate_template_key,
)
from responses.services.common import audit_record, require
from responses.services.guarding import response_settings_get
from responses.services.templating import known_variables_help, unknown_variables

TEMPLATE_FIELDS = ("name", "category", "body", "is_active")
STAFF_NAME_MAX = 200  # ResponseSettings.staff_names' items
SETTINGS_FIELDS = (
    "require_agency_approval",
    "legal_review_on_needs_review",
    "clinician_review_on_health_detail",
    "require_client_approval",
    "staff_names",
    "clinic_address",
    "allow_reviewer_name",
)


# How the settings history names the reply settings.
REPLY_SETTINGS = {
    "require_agency_approval": Setting(SettingArea.REPLIES, "Approval step: the agency's"),
    "legal_review_on_needs_review": Setting(
        SettingArea.REPLIES, "Approval step: legal review of replies the guard flags"
    ),
    "clinician_review_on_health_detail": Setting(
        SettingArea.REPLIES, "Approval step: clinician review of health details"
    ),
    "require_client_approval": Setting(SettingArea.REPLIES, "Approval step: the clinic's"),
    "steps_off_reason": Setting(SettingArea.REPLIES, "Why an approval step is off"),
    "staff_names": Setting(SettingArea.REPLIES, "Staff names replies may use"),
    "clinic_address": Setting(SettingArea.REPLIES, "Practice address replies may give"),
    "allow_reviewer_name": Setting(SettingArea.REPLIES, "Replies may greet the reviewer by name"),
}
TEMPLATE_WORDS = {
    "name": "name",
    "category": "category",
    "body": "text",
    "is_active": "in use",
}


def _template_values(template: ReplyTemplate) -> dict:
    return {
        "name": template.name,
        "category": dict(TemplateCategory.choices).get(template.category, template.category),
        "body": template.body,
        "is_active": template.is_active,
    }


def _template_settings(template: ReplyTemplate, *, name: str = "") -> dict[str, Setting]:
    """The history's lines of a template, named as people know it: by its name (`name`, the
    one it had before a change, else its own), not its key."""
    where = f"Reply template “{name or template.name}”"
    return {
        "added": Setting(SettingArea.TEMPLATES, where),
        **{
            name: Setting(SettingArea.TEMPLATES, f"{where}: {words}")
            for name, words in TEMPLATE_WORDS.items()
        },
    }


def _audit(object_type: str, pk: int, action: str, who: Actor, **detail) -> None:
    audit_record(object_type=object_type, object_id=pk, action=action, who=who, detail=detail)


def _template_check(template: ReplyTemplate) -> None:
    errors = {}
    if not template.name.strip():
        errors["name"] = ["This field is required."]
    elif problem := control_problem(template.name, one_line=True):
        errors["name"] = [problem]
    if not template.body.strip():
        errors["body"] = ["This field is required."]
    elif problem := markup_problem(template.body, published="Replies are posted"):
        errors["body"] = [problem]  # its replies would carry the markup to the platforms
    elif unknown := unknown_variables(template.body):
        # refused here, not when a writer loads it mid-crisis
        errors["body"] = [
            f"{', '.join(unknown)}: not a variable (known: {known_variables_help()})."
        ]
    if template.category not in TemplateCategory.values:
        errors["category"] = [f"Choose {', '.join(TemplateCategory.values)}."]
    if errors:
        raise ValidationFailed("Invalid template.", fields=errors)


@transaction.atomic
def template_create(*, access: ClinicAccess, key: str, **data) -> ReplyTemplate:
    require(access, Permission.MANAGE)
    who = access.actor
    if key:
        try:
            validate_template_key(key)
        except ValidationError as exc:
            raise ValidationFailed("Invalid template.", fields={"key": exc.messages}) from None
        key = key.strip().lower()
    else:  # made from the name, in the same shape
        key = slugify(data.get("name", "")).replace("_", "-")[:80].strip("-")
    template = ReplyTemplate(key=key, **{k: v for k, v in data.items() if k in TEMPLATE_FIELDS})
    if not template.key:
        raise ValidationFailed("Invalid template.", fields={"key": ["Give the template a key."]})
    _template_check(template)
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise Conflict("A template with this key exists.", fields={"key": ["Taken."]}) from None
    _audit("template", template.pk, "created", who, key=template.key)
    values = _template_values(template)
    state = "in use" if template.is_active else "not in use"
    settings_changed(
        actor=who,
        settings=_template_settings(template),
        before={"added": None},
        after={
            "added": f"added: “{values['name']}”, {values['category']}, {state}: {values['body']}"
        },
    )
    return template


@transaction.atomic
def template_update(*, template_id: int, access: ClinicAccess, **changes) -> ReplyTemplate:
    require(access, Permission.MANAGE)
    who = access.actor
    template = ReplyTemplate.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise NotFound("Not found.")
    changed = [k for k in changes if k in TEMPLATE_FIELDS]
    before = _template_values(template)
    for name in changed:
        setattr(template, name, changes[name])
    _template_check(template)
    template.save()
    _audit("template", template.pk, "updated", who, key=template.key, fields=changed)
    after = _template_values(template)
    settings_changed(
        actor=who,
        settings=_template_settings(template, name=before["name"]),
        before=before,
        after={name: after[name] for name in changed},
    )
    return template


@transaction.atomic
def response_settings_update(
    *, access: ClinicAccess, reason: str = "", **changes
) -> ResponseSettings:
    """Change the reply settings. Switching an approval step off takes an agency owner (a
    person, not a key) and a reason that says something; the reason, who and when stay on the
    row and show as a banner on the clinic's pages and in the portal while any step is off."""
    require(access, Permission.MANAGE)
    who = access.actor
    row = response_settings_get()
    row = ResponseSettings.objects.select_for_update().get(pk=row.pk)
    before = {name: getattr(row, name) for name in REPLY_SETTINGS}
    changed = {k: v for k, v in changes.items() if k in SETTINGS_FIELDS}
    if "staff_names" in changed:
        changed["staff_names"] = [n.strip() for n in changed["staff_names"] if n and n.strip()]
    turned_off = [
        f for f in ResponseSettings.STEP_FLAGS if getattr(row, f) and changed.get(f) is False
    ]
    reason = (reason or "").strip()
    if turned_off:
        if who.api_key is not None or access.agency_role != AgencyRole.OWNER:
            raise PermissionDenied(
                "Only an agency owner switches an approval step off.", code="owner_only"
            )
        if problem := reason_problem(reason):
            raise ValidationFailed(
                "Say why the approval step is switched off.", fields={"reason": [problem]}
            )
    for name, value in changed.items():
        setattr(row, name, value)
    if turned_off:
        row.steps_off_reason = reason
        row.steps_off_by_name = who.name[:200]
        row.steps_off_at = timezone.now()
    elif not row.steps_off:
        row.steps_off_reason, row.steps_off_by_name, row.steps_off_at = "", "", None
    row.save()
    detail = {k: changed[k] for k in sorted(changed)}
    if turned_off:
        detail["steps_off"] = turned_off
        detail["reason"] = reason
    _audit("settings", row.pk, "updated", who, **detail)
    settings_changed(
        actor=who,
        settings=REPLY_SETTINGS,
        before=before,
        after={name: getattr(row, name) for name in REPLY_SETTINGS},
    )
    return row


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _staff_name_problem(name: str) -> str:
    if len(name) > STAFF_NAME_MAX:
        return f"“{name[:40]}…”: at most {STAFF_NAME_MAX} characters."
    if _CONTROL.search(name):
        return "A name holds a character that is not text."
    return ""


def staff_names_set(*, access: ClinicAccess, names: list[str]) -> ResponseSettings:
    """Replace the clinic's staff names with `names` (blank ones dropped), each checked, through
    `response_settings_update` (MANAGE, audited). Nothing changes when one is refused."""
    require(access, Permission.MANAGE)
    names = [" ".join(n.split()) for n in names if n and n.strip()]
    if problems := [p for n in names if (p := _staff_name_problem(n))]:
        raise ValidationFailed("Staff names not saved.", fields={"staff_names": problems})
    return response_settings_update(access=access, staff_names=names)


def _name_words(name: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", name.lower()) if len(w) > 1}


@transaction.atomic
def staff_name_add(*, access: ClinicAccess, name: str, review=None) -> ResponseSettings:
    """Add `name` to the clinic's staff names (the guard allows them in a reply), through
    `response_settings_update` (MANAGE, audited). A name already listed changes nothing. The
    name of `review`'s author is refused: a reply may never name the reviewer as staff."""
    require(access, Permission.MANAGE)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Give the name.", fields={"name": ["Give the name."]})
    if problem := _staff_name_problem(name):
        raise ValidationFailed("The name is not added.", fields={"name": [problem]})
    author = _name_words(getattr(review, "author_name", "") or "")
    if author and (words := _name_words(name)) and words <= author:
        raise ValidationFailed(
            f"“{name}” is the reviewer's name; it is not added to the staff names.",
            fields={"name": ["The reviewer's name cannot be a staff name."]},
        )
    row = response_settings_get()
    if name.lower() in {n.lower() for n in row.staff_names}:
        return row
    return response_settings_update(access=access, staff_names=[*row.staff_names, name])
