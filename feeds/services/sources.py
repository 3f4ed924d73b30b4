"""Sources: create, change, and their decrypted credentials."""

from __future__ import annotations

from accounts.models import SecurityEventCode
from accounts.services import security_event_record
from core.crypto import decrypt_json, encrypt_json
from core.errors import ValidationFailed
from core.pipeline import source_credentials_changed
from feeds.models import (
    Source,
    SourceKind,
)

SOURCE_SECRET = SecurityEventCode.SOURCE_SECRET_CHANGED


def source_create(
    *,
    kind: str,
    name: str,
    settings: dict | None = None,
    credentials: dict | None = None,
    poll_interval_minutes: int = 15,
) -> Source:
    if kind not in SourceKind.values:
        raise ValidationFailed(
            "Unknown source kind.", fields={"kind": [f"Choose {SourceKind.values}."]}
        )
    name = (name or "").strip() or SourceKind(kind).label
    source = Source.objects.create(
        kind=kind,
        name=name[:200],
        settings=settings or {},
        credentials_encrypted=encrypt_json(credentials or {}),
        poll_interval_minutes=poll_interval_minutes,
    )
    if credentials:
        security_event_record(event=SOURCE_SECRET, detail={"source_id": source.pk, "kind": kind})
    return source


def source_update(*, source: Source, **changes) -> Source:
    fields = []
    for name in ("name", "settings", "enabled", "poll_interval_minutes"):
        if name in changes:
            setattr(source, name, changes[name])
            fields.append(name)
    if "credentials" in changes:
        source.credentials_encrypted = encrypt_json(changes["credentials"] or {})
        fields.append("credentials_encrypted")
    if changes.get("enabled") or "credentials" in changes:
        source.is_healthy, source.consecutive_failures, source.next_poll_at = True, 0, None
        fields += ["is_healthy", "consecutive_failures", "next_poll_at"]
    source.save(update_fields=[*fields, "updated_at"])
    if "credentials" in changes:
        security_event_record(event=SOURCE_SECRET, detail={"source_id": source.pk})
        source_credentials_changed(source.pk)
    return source


def source_credentials(source: Source) -> dict:
    return decrypt_json(source.credentials_encrypted)
