"""Finding 9: a security audit log. Append-only (the database refuses UPDATE and DELETE, the
model refuses a second save, the admin is read-only); written for sign-ins, lockouts,
two-factor changes, tokens, API keys, people and roles, crisis roles and secrets; owners read
their agency's part at /agency/security-log/ and export it as CSV; others get 404."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.credentials import api_key_create, api_key_revoke
from accounts.models import AppendOnlyError, SecurityEvent
from accounts.services import security_event_record, user_token_issue
from agency.services import agency_member_add, agency_member_remove, agency_member_role_set
from clinics.services import clinic_member_add
from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import PASSWORD


def _events(**filters) -> list[str]:
    return list(SecurityEvent.objects.filter(**filters).values_list("event", flat=True))


def test_the_log_is_append_only(world, db):
    event = security_event_record(event="login.failed", actor_email="x@y.test")
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    for sql in (
        "UPDATE accounts_securityevent SET event = 'x' WHERE id = %s",
        "DELETE FROM accounts_securityevent WHERE id = %s",
    ):
        with (
            pytest.raises((InternalError, ProgrammingError, IntegrityError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert SecurityEvent.objects.filter(pk=event.pk, event="login.failed").exists()


def test_admin_cannot_change_or_delete(world, db):
    from django.contrib import admin

    model_admin = admin.site._registry[SecurityEvent]
    assert not model_admin.has_change_permission(None)
    assert not model_admin.has_delete_permission(None)
    assert not model_admin.has_add_permission(None)


def test_sign_ins_and_failures_are_logged_with_where_from(world, db):
    client = Client(REMOTE_ADDR="10.7.0.1", HTTP_USER_AGENT="Tester/1.0")
    client.post("/login/", {"username": "b_approver@clinics.test", "password": "wrong"})
    client.post("/login/", {"username": "b_approver@clinics.test", "password": PASSWORD})
    rows = SecurityEvent.objects.filter(actor_id=world.users["b_approver"].pk).order_by("id")
    assert [(r.event, r.ip, r.user_agent) for r in rows] == [
        ("login.failed", "10.7.0.1", "Tester/1.0"),
        ("login.succeeded", "10.7.0.1", "Tester/1.0"),
    ]
    assert rows[0].detail == {"channel": "web", "reason": "wrong_password"}


def test_two_factor_tokens_keys_people_and_roles_are_logged(world, login, clinic_a, db):
    owner = world.users["alpha_owner"]
    alpha = world.agencies["alpha"]
    client = login("alpha_owner")
    device = TOTPDevice.objects.get(user=owner)
    client.post("/account/two-factor/backup-codes/", {"otp_token": totp_now(device)})
    token, _ = user_token_issue(user=owner, name="t")
    client.delete(f"/api/v1/auth/tokens/{token.pk}/")
    key, _ = api_key_create(agency=alpha, clinic=clinic_a, name="k", scopes=["read"])
    api_key_revoke(api_key=key)
    m = agency_member_add(agency=alpha, email="new@alpha.test", full_name="N", role="writer")
    agency_member_role_set(membership=m, role="analyst", acting_role="owner")
    agency_member_remove(membership=m, acting_role="owner")
    clinic_member_add(clinic=clinic_a, email="c@c.test", full_name="C", role="viewer")
    clinic_member_add(
        clinic=clinic_a, email="c@c.test", full_name="C", role="viewer", crisis_roles=["legal"]
    )
    assert _events(actor_id=owner.pk, event__startswith="otp.") == ["otp.backup_codes"]
    assert sorted(_events(detail__token_id=token.pk)) == ["token.issued", "token.revoked"]
    assert sorted(_events(detail__key_id=key.pk)) == ["api_key.issued", "api_key.revoked"]
    assert _events(target_user_id=m.user_id, agency_id=alpha.pk)[::-1] == [
        "member.added",
        "member.role_changed",
        "member.removed",
    ]
    crisis = SecurityEvent.objects.get(target_email="c@c.test", event="member.crisis_roles")
    assert crisis.detail == {"from": [], "to": ["legal"]} and crisis.clinic_id == clinic_a.pk


def test_webhook_and_source_secrets_are_logged(world, login, clinic_a, db):
    client = login("alpha_owner")
    response = client.post(
        "/clinics/clinic-a/api/v1/sources/",
        {"kind": "webhook", "name": "Hook"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    event = SecurityEvent.objects.filter(event="source.secret").latest("id")
    assert event.clinic_id == clinic_a.pk and event.actor_id == world.users["alpha_owner"].pk


def test_owners_see_their_agency_log_and_export_it(world, login, db):
    security_event_record(event="member.added", agency_id=world.agencies["alpha"].pk)
    security_event_record(event="member.added", agency_id=world.agencies["beta"].pk)
    Client().post("/login/", {"username": "a_viewer@clinics.test", "password": "nope"})
    Client().post("/login/", {"username": "nobody@nowhere.test", "password": "nope"})
    page = login("alpha_owner").get("/agency/security-log/")
    assert page.status_code == 200
    exported = login("alpha_owner").get("/agency/security-log/?format=csv")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode())))
    agencies = {r["agency_id"] for r in rows}
    assert str(world.agencies["beta"].pk) not in agencies
    assert "a_viewer@clinics.test" in {r["actor_email"] for r in rows}  # their clinic's person
    assert "nobody@nowhere.test" not in {r["actor_email"] for r in rows}


@pytest.mark.parametrize("name", ["alpha_manager", "alpha_writer", "a_approver"])
def test_non_owners_cannot_see_the_log(world, login, db, name):
    response = login(name).get("/agency/security-log/?format=csv")
    assert response.status_code in (403, 404)
