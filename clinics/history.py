"""The settings history's writer: who changed which setting of a clinic or of the agency, when,
from what to what, on a page or through the API (`SettingChange`).

`settings_changed` is the one way to write it. Each service that saves settings calls it with
the values before and after, inside its own transaction, so a save that fails or is refused
records nothing. `agency` reaches it through `core.settings_history.settings_changed`."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.db import connection

from accounts.actors import Actor
from accounts.audit import request_being_served
from clinics.models import Clinic, SettingChange, SettingVia
from core.http import is_api_path
from core.settings_history import Setting
from core.tenancy import current_clinic

NONE_WORDS = "(none)"
HIDDEN_SET = "set (hidden)"
HIDDEN_REPLACED = "replaced (hidden)"
HIDDEN_NOT_SET = "not set"


def value_words(value: Any) -> str:
    """A setting's value as the history shows it: on/off, a list joined with commas, a mapping
    as "name: value" pairs, "(none)" for nothing."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None or value == "" or value == [] or value == {} or value == ():
        return NONE_WORDS
    if isinstance(value, list | tuple):
        return ", ".join(value_words(item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {value_words(value[key])}" for key in sorted(value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _secret_words(was_set: Any, now_set: Any) -> tuple[str, str] | None:
    """A secret's change in words, from whether it was set and whether a new one was given
    (True), it was removed (False): never the secret itself."""
    if not isinstance(was_set, bool) or not isinstance(now_set, bool):
        raise TypeError("A hidden setting is recorded from booleans only, never its value.")
    if now_set:
        return (HIDDEN_SET, HIDDEN_REPLACED) if was_set else (HIDDEN_NOT_SET, HIDDEN_SET)
    return (HIDDEN_SET, "removed") if was_set else None


def _via(actor: Actor) -> str:
    request = request_being_served()
    if actor.system or request is None:
        return SettingVia.OTHER
    return SettingVia.API if is_api_path(request) else SettingVia.PAGE


def settings_changed(
    *,
    actor: Actor,
    settings: Mapping[str, Setting],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    clinic: Clinic | None = None,
    agency_id: int | None = None,
    hidden: Collection[str] = (),
) -> list[SettingChange]:
    """Record one line for each setting of `settings` ({name: Setting}) that `after` holds and
    whose value differs from `before`'s (a name missing from `before` was unset). A name in
    `hidden` is a secret: `before` and `after` say only whether it was set and whether a new
    one was given (True) or it was removed (False), and the line says "replaced (hidden)".

    Where: `clinic`, else agency-wide for `agency_id`, else the clinic whose schema is active.
    Call it inside the transaction of the change (it refuses otherwise), so that a change
    that fails records nothing."""
    if not connection.in_atomic_block:
        raise RuntimeError("Record a settings change inside the transaction that makes it.")
    if clinic is None and agency_id is None:
        clinic = current_clinic()
    if clinic is not None:
        agency_id = clinic.agency_id
    via = _via(actor)
    rows = []
    for name, setting in settings.items():
        if name not in after:
            continue
        old, new = before.get(name), after[name]
        if name in hidden:
            words = _secret_words(False if old is None else old, new)
            if words is None:
                continue
        else:
            words = (value_words(old), value_words(new))
            if words[0] == words[1]:
                continue
        rows.append(
            SettingChange(
                agency_id=agency_id,
                clinic=clinic,
                area=setting.area,
                setting=setting.words[:200],
                old_value=words[0],
                new_value=words[1],
                actor_label=actor.label[:100],
                actor_name=actor.name[:200],
                via=via,
            )
        )
    return SettingChange.objects.bulk_create(rows)
