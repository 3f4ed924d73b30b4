"""Deactivate, reactivate, delete: what stops, who may, and refused input changing nothing."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_exists

from accounts.actors import Actor
from accounts.credentials import api_key_create
from accounts.models import ApiKey, SecurityEvent
from clinics.lifecycle import clinic_deactivate, clinic_reactivate
from clinics.models import Clinic, ClinicMembership, Domain, Notification
from clinics.paused import ClinicTask
from clinics.schemas import clinic_schemas_each
from clinics.services import clinic_create
from core.errors import Conflict, PermissionDenied, ValidationFailed
from dashboard.models import ClinicSnapshot
from dashboard.selectors import dashboard_clinics, dashboard_totals

pytestmark = pytest.mark.django_db


def _deactivate(world, clinic):
    return clinic_deactivate(
        clinic=clinic, actor=Actor(user=world.users["alpha_owner"]), confirm_name=clinic.name
    )


def test_deactivate_sets_state_audits_and_tells_the_clinics_people(
    world, clinic_a, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        row = _deactivate(world, clinic_a)
    # then
    assert row.deactivated_at is not None
    assert row.deactivated_by_name == world.users["alpha_owner"].full_name
    event = SecurityEvent.objects.filter(event="clinic.deactivated").latest("id")
    assert (event.clinic_id, event.agency_id) == (clinic_a.pk, clinic_a.agency_id)
    assert event.detail["clinic_slug"] == "clinic-a"
    told = sorted(to for m in mail.outbox for to in m.to)
    assert told == sorted(
        ["a_approver@clinics.test", "a_viewer@clinics.test", "a_legal@clinics.test"]
    )
    assert "paused" in mail.outbox[0].subject


def test_every_sweep_skips_a_deactivated_clinic(world, clinic_a):
    # given
    _deactivate(world, clinic_a)
    # when
    visited = list(clinic_schemas_each())
    # then: the iterator every beat sweep uses (polling, detectors, escalations, outbox,
    # webhooks, scoring, follow-ups) leaves it out, and keeps the others
    assert clinic_a.schema_name not in visited
    assert world.clinics["b"].schema_name in visited


@pytest.mark.parametrize(
    "task_path",
    [
        "feeds.tasks.sources_poll_dispatch_task",
        "crisis.tasks.detectors_run_all_task",
        "responses.tasks.outbox_sweep_task",
        "webhooks.tasks.deliveries_sweep_task",
        "crisis.tasks.escalations_check_task",
    ],
    ids=["polling", "detectors", "outbox", "webhooks", "escalations"],
)
def test_the_real_sweeps_do_not_enter_a_deactivated_clinic(world, clinic_a, task_path):
    import importlib

    module, name = task_path.rsplit(".", 1)
    task = getattr(importlib.import_module(module), name)
    _deactivate(world, clinic_a)
    entered = []
    import clinics.schemas as schemas

    original = schemas.schema_context

    def spy(schema):
        entered.append(schema)
        return original(schema)

    with (
        mock.patch.object(schemas, "schema_context", spy),
        mock.patch("core.queueing.tasks_enqueue", return_value=0),
    ):
        task.run()
    assert clinic_a.schema_name not in entered
    assert world.clinics["b"].schema_name in entered


def test_a_task_already_queued_for_a_deactivated_clinic_does_nothing(world, clinic_a):
    # given: the app's task class is ClinicTask
    from config.celery import app
    from crisis.tasks import detectors_run_clinic_task

    assert isinstance(detectors_run_clinic_task, ClinicTask)
    assert app.Task.__mro__[1] is ClinicTask or issubclass(app.Task, ClinicTask)
    _deactivate(world, clinic_a)
    # when
    connection.set_tenant(Clinic.objects.get(pk=clinic_a.pk))
    try:
        with mock.patch("crisis.services.detectors_run") as run:
            result = detectors_run_clinic_task()
    finally:
        connection.set_schema_to_public()
    # then
    assert result is None
    run.assert_not_called()


def test_portal_people_keys_and_staff_writes_are_refused(world, clinic_a, login, api):
    _deactivate(world, clinic_a)
    # the clinic's own people: the paused page
    page = login("a_approver").get("/clinics/clinic-a/")
    assert page.status_code == 403
    assert b"Your agency has paused this portal" in page.content
    # its API keys, and agency keys reaching it
    for key in ("key_a", "key_alpha"):
        response = api(key).get("/clinics/clinic-a/api/v1/reviews/")
        assert response.status_code == 403
        assert response.json()["code"] == "clinic_deactivated"
        assert "API keys are refused" in response.json()["detail"]
    # staff: reading works, with the banner; writing answers 409 and changes nothing
    writer = login("alpha_writer")
    inbox = writer.get("/clinics/clinic-a/settings/")
    assert inbox.status_code == 200
    assert b"read-only; reactivate within 30 days" in inbox.content
    owner = login("alpha_owner")
    before = Clinic.objects.get(pk=clinic_a.pk).phone
    refused = owner.post("/clinics/clinic-a/settings/", {"name": "Renamed", "timezone": "UTC"})
    assert refused.status_code == 409
    assert Clinic.objects.get(pk=clinic_a.pk).name == "Clinic A"
    assert Clinic.objects.get(pk=clinic_a.pk).phone == before
    api_write = owner.post(
        "/clinics/clinic-a/api/v1/reviews/ingest/", {"items": []}, content_type="application/json"
    )
    assert api_write.status_code == 409
    assert api_write.json()["code"] == "clinic_deactivated"
    # other clinics are untouched
    assert api("key_b").get("/clinics/clinic-b/api/v1/reviews/").status_code == 200


def test_dashboard_leaves_it_out_of_totals_and_lists_it_apart(world, clinic_a, login):
    ClinicSnapshot.objects.update_or_create(
        clinic=clinic_a,
        defaults={"agency": clinic_a.agency, "sla_breaches": 7, "refreshed_at": timezone.now()},
    )
    assert dashboard_totals(agency=clinic_a.agency)["sla"] == 7
    _deactivate(world, clinic_a)
    assert dashboard_totals(agency=clinic_a.agency)["sla"] == 0
    names = [
        c.slug for c in dashboard_clinics(agency=clinic_a.agency, sort="name", descending=False)
    ]
    assert "clinic-a" not in names and "clinic-b" in names
    page = login("alpha_owner").get("/agency/")
    assert page.status_code == 200
    assert b"Deactivated clinics" in page.content
    assert b"Clinic A</a> \xe2\x80\x94 deactivated on" in page.content


def test_reactivation_undoes_it(world, clinic_a, login, api, django_capture_on_commit_callbacks):
    _deactivate(world, clinic_a)
    with django_capture_on_commit_callbacks(execute=True):
        row = clinic_reactivate(clinic=clinic_a, actor=Actor(user=world.users["alpha_owner"]))
    assert row.deactivated_at is None
    assert clinic_a.schema_name in list(clinic_schemas_each())
    assert api("key_a").get("/clinics/clinic-a/api/v1/reviews/").status_code == 200
    assert login("a_approver").get("/clinics/clinic-a/").status_code in (200, 302)
    assert SecurityEvent.objects.filter(event="clinic.reactivated", clinic_id=clinic_a.pk).exists()


def test_reactivation_after_30_days_is_refused(world, clinic_a):
    _deactivate(world, clinic_a)
    later = timezone.now() + timedelta(days=31)
    with pytest.raises(Conflict) as exc:
        clinic_reactivate(clinic=clinic_a, actor=Actor(user=world.users["alpha_owner"]), now=later)
    assert exc.value.code == "reactivation_expired"
    assert Clinic.objects.get(pk=clinic_a.pk).deactivated_at is not None


# --- bad input and permissions, through the API --------------------------------------------


def test_deactivating_twice_is_409(world, clinic_a, login):
    owner = login("alpha_owner")
    url = "/clinics/clinic-a/api/v1/deactivate/"
    first = owner.post(url, {"confirm_name": "Clinic A"}, content_type="application/json")
    assert first.status_code == 200
    assert first.json()["deactivated_by"] == world.users["alpha_owner"].full_name
    again = owner.post(url, {"confirm_name": "Clinic A"}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_deactivated"


def test_a_wrong_name_is_400_and_changes_nothing(world, clinic_a, login):
    owner = login("alpha_owner")
    response = owner.post(
        "/clinics/clinic-a/api/v1/deactivate/",
        {"confirm_name": "Clinic B"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "name_mismatch"
    assert Clinic.objects.get(pk=clinic_a.pk).deactivated_at is None
    assert not SecurityEvent.objects.filter(
        event="clinic.deactivated", clinic_id=clinic_a.pk
    ).exists()


@pytest.mark.parametrize("who", ["alpha_manager", "alpha_writer", "a_approver"])
def test_only_an_owner_deactivates(world, clinic_a, login, who):
    response = login(who).post(
        "/clinics/clinic-a/api/v1/deactivate/",
        {"confirm_name": "Clinic A"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Clinic.objects.get(pk=clinic_a.pk).deactivated_at is None


def test_a_key_cannot_deactivate(world, clinic_a):
    key, _ = api_key_create(agency=clinic_a.agency, clinic=clinic_a, name="k", scopes=["write"])
    with pytest.raises(PermissionDenied):
        clinic_deactivate(clinic=clinic_a, actor=Actor(api_key=key), confirm_name="Clinic A")


def test_other_agencys_owner_gets_404(world, clinic_a, login):
    response = login("beta_owner").post(
        "/clinics/clinic-a/api/v1/deactivate/",
        {"confirm_name": "Clinic A"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Clinic.objects.get(pk=clinic_a.pk).deactivated_at is None


def test_the_pages_confirm_with_the_typed_name(world, clinic_a, login):
    owner = login("alpha_owner")
    page = owner.get("/clinics/clinic-a/settings/leaving/deactivate/")
    assert page.status_code == 200
    assert b"Polling of its sources" in page.content
    wrong = owner.post("/clinics/clinic-a/settings/leaving/deactivate/", {"confirm_name": "x"})
    assert wrong.status_code == 400
    assert Clinic.objects.get(pk=clinic_a.pk).deactivated_at is None
    done = owner.post(
        "/clinics/clinic-a/settings/leaving/deactivate/", {"confirm_name": "Clinic A"}
    )
    assert done.status_code == 302
    assert Clinic.objects.get(pk=clinic_a.pk).deactivated_at is not None
    back = owner.post("/clinics/clinic-a/settings/leaving/", {"action": "reactivate"})
    assert back.status_code == 302
    assert Clinic.objects.get(pk=clinic_a.pk).deactivated_at is None


# --- delete --------------------------------------------------------------------------------


@pytest.fixture
def leaving(world, db):
    clinic = clinic_create(
        agency=world.agencies["alpha"], name="Leaving Clinic", slug="leaving-clinic"
    )
    person = ClinicMembership.objects.create(
        clinic=clinic, user=world.users["b_approver"], role="viewer"
    )
    api_key_create(agency=clinic.agency, clinic=clinic, name="leaving", scopes=["read"])
    Notification.objects.create(
        user=world.users["b_approver"], clinic=clinic, kind="x", ref="x:1", title="t", url="/"
    )
    ClinicSnapshot.objects.update_or_create(
        clinic=clinic, defaults={"agency": clinic.agency, "refreshed_at": timezone.now()}
    )
    assert person.pk
    return clinic


def test_deleting_an_active_clinic_is_409(world, leaving, login):
    response = login("alpha_owner").post(
        "/clinics/leaving-clinic/api/v1/delete/",
        {"confirm_name": "Leaving Clinic", "confirm": True},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_deactivated"
    assert schema_exists(leaving.schema_name)


def test_delete_drops_the_schema_and_public_rows_and_keeps_the_audit(world, leaving, login):
    owner = login("alpha_owner")
    _deactivate(world, leaving)
    # a wrong name, then no second confirmation: nothing changes
    bad = owner.post(
        "/clinics/leaving-clinic/api/v1/delete/",
        {"confirm_name": "Leaving", "confirm": True},
        content_type="application/json",
    )
    assert bad.status_code == 400
    unconfirmed = owner.post(
        "/clinics/leaving-clinic/api/v1/delete/",
        {"confirm_name": "Leaving Clinic", "confirm": False},
        content_type="application/json",
    )
    assert unconfirmed.status_code == 400
    assert unconfirmed.json()["code"] == "not_confirmed"
    assert schema_exists(leaving.schema_name)
    # when
    response = owner.post(
        "/clinics/leaving-clinic/api/v1/delete/",
        {"confirm_name": "Leaving Clinic", "confirm": True},
        content_type="application/json",
    )
    # then
    assert response.status_code == 204
    connection.set_schema_to_public()
    assert not schema_exists(leaving.schema_name)
    assert not Clinic.objects.filter(pk=leaving.pk).exists()
    for model, field in [
        (ClinicMembership, "clinic_id"),
        (ApiKey, "clinic_id"),
        (Notification, "clinic_id"),
        (Domain, "tenant_id"),
        (ClinicSnapshot, "clinic_id"),
    ]:
        assert not model.objects.filter(**{field: leaving.pk}).exists(), model
    event = SecurityEvent.objects.get(event="clinic.deleted", clinic_id=leaving.pk)
    assert event.detail["clinic_name"] == "Leaving Clinic"
    assert event.detail["clinic_slug"] == "leaving-clinic"
    assert event.detail["memberships"] == 1 and event.detail["api_keys"] == 1
    assert owner.get("/clinics/leaving-clinic/").status_code == 404


def test_the_delete_page_warns_when_no_export_was_made(world, leaving, login):
    _deactivate(world, leaving)
    page = login("alpha_owner").get("/clinics/leaving-clinic/settings/leaving/delete/")
    assert page.status_code == 200
    assert b"No export of this clinic was made" in page.content


def test_a_manager_cannot_delete(world, leaving, login):
    _deactivate(world, leaving)
    response = login("alpha_manager").post(
        "/clinics/leaving-clinic/api/v1/delete/",
        {"confirm_name": "Leaving Clinic", "confirm": True},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert schema_exists(leaving.schema_name)


def test_validation_failed_is_the_shape_of_a_wrong_name(world, clinic_a):
    with pytest.raises(ValidationFailed) as exc:
        _ = clinic_deactivate(
            clinic=clinic_a, actor=Actor(user=world.users["alpha_owner"]), confirm_name="clinic a"
        )
    assert exc.value.fields == {"confirm_name": ["Type the clinic's name exactly: Clinic A"]}
