"""Backing up and restoring one clinic: its schema (pg_dump custom format) plus its registry
entry in the public schema (clinic row, domains, memberships) as JSON beside it.

    python manage.py backup_clinic --clinic riverside-dental --out /backups/riverside.dump
    python manage.py restore_clinic --file /backups/riverside.dump

The whole database: `pg_dump --format=custom "$DATABASE_URL" > all.dump` and
`pg_restore --clean --if-exists --no-owner -d "$DATABASE_URL" all.dump` (docs/operations.md).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import NamedTuple

from django.db import connection, transaction

from accounts.models import User
from clinics.models import Clinic, ClinicMembership, Domain
from clinics.services import clinic_role_refusal
from core.errors import NotFound, ValidationFailed


def _libpq_env() -> dict:
    s = connection.settings_dict
    env = {**os.environ, "PGHOST": s.get("HOST") or "127.0.0.1", "PGPORT": str(s.get("PORT") or 5432),
           "PGUSER": s.get("USER") or "postgres", "PGDATABASE": s["NAME"]}  # fmt: skip
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return env


def registry_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".registry.json")


def clinic_backup(*, clinic: Clinic, out: Path) -> dict:
    """Write `out` (the clinic's schema) and `out.registry.json`. Consistent: pg_dump takes one
    snapshot of the schema."""
    out.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--schema={clinic.schema_name}", f"--file={out}"],
        env=_libpq_env(), capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise ValidationFailed(f"pg_dump failed: {result.stderr.strip()[:500]}")
    registry = {
        "clinic": {
            f.name: getattr(clinic, f.attname)
            for f in Clinic._meta.concrete_fields
            if f.name != "id"
        },
        "domains": list(Domain.objects.filter(tenant=clinic).values("domain", "is_primary")),
        "memberships": [
            {"email": m.user.email, "role": m.role, "crisis_roles": m.crisis_roles}
            for m in ClinicMembership.objects.filter(clinic=clinic).select_related("user")
        ],
    }
    registry_path(out).write_text(json.dumps(registry, default=str, indent=2))
    return registry


class Restored(NamedTuple):
    clinic: Clinic
    # the backup's memberships not given back, each "email (role): why"
    not_restored: list[str]


def clinic_restore(*, dump: Path) -> Restored:
    """Replace the clinic's schema with the backup's (the clinic's current data is lost; take a
    backup first), and recreate its registry entry if it was deleted. Its people get their
    roles back by the rule every other path gives a clinic role by
    (`clinics.services.clinic_role_refusal`): one who has become staff of the clinic's agency
    since the backup gets none (separation of duties), and is named in `not_restored`."""
    if not dump.is_file() or not registry_path(dump).is_file():
        raise NotFound(f"{dump} or its registry file is missing.")
    registry = json.loads(registry_path(dump).read_text())
    data = registry["clinic"]
    schema = data["schema_name"]
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    result = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={connection.settings_dict['NAME']}", str(dump)],
                            env=_libpq_env(), capture_output=True, text=True)  # fmt: skip
    if result.returncode != 0:
        raise ValidationFailed(f"pg_restore failed: {result.stderr.strip()[:500]}")
    with transaction.atomic():
        clinic = Clinic.objects.filter(schema_name=schema).first()
        if clinic is None:
            fields = {
                k: v for k, v in data.items() if k not in ("created_at", "updated_at", "agency")
            }
            fields["agency_id"] = data["agency"]
            clinic = Clinic.objects.create(**fields)
            for domain in registry["domains"]:
                Domain.objects.get_or_create(
                    domain=domain["domain"],
                    defaults={"tenant": clinic, "is_primary": domain["is_primary"]},
                )

        not_restored = []
        for member in registry["memberships"]:
            user = User.objects.filter(email__iexact=member["email"]).first()
            if user is None:
                continue
            if refusal := clinic_role_refusal(clinic=clinic, email=user.email):
                not_restored.append(f"{user.email} ({member['role']}): {refusal}")
                continue
            ClinicMembership.objects.get_or_create(
                clinic=clinic,
                user=user,
                defaults={"role": member["role"], "crisis_roles": member["crisis_roles"]},
            )
    return Restored(clinic=clinic, not_restored=not_restored)
