"""The clinic's data export: its files' headers and rows, the job's progress, who may
download it, and that it works on a deactivated clinic."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.lifecycle import clinic_deactivate
from crisis.models import IncidentEvent
from facts.models import Fact, FactVersion
from offboarding.exports import CSV_FILES, export_request, export_run
from offboarding.models import ClinicExport
from responses.models import AuditEntry, ReplyDraft, ReplyVersion, Statement, StatementVersion

pytestmark = pytest.mark.django_db


def _small_clinic(clinic, rows):
    r = rows(clinic)
    review = r.review(rating=1, label="negative", text="=HYPERLINK(bad) waited two hours")
    incident = r.incident()
    with schema_context(clinic.schema_name):
        draft = ReplyDraft.objects.create(
            review=review, author_label="user:1", author_name="W", version=1
        )
        ReplyVersion.objects.create(
            draft=draft,
            number=1,
            guard_verdict="ok",
            author_label="user:1",
            author_name="W",
            text="Sorry about the wait.",
        )
        AuditEntry.objects.create(
            object_type="reply",
            object_id=draft.pk,
            review_id=review.pk,
            action="submitted",
            actor_label="user:1",
            actor_name="W",
            version=1,
        )
        statement = Statement.objects.create(
            title="On waits", author_label="user:1", author_name="W", version=1
        )
        StatementVersion.objects.create(
            statement=statement,
            number=1,
            guard_verdict="ok",
            author_label="user:1",
            author_name="W",
            title="On waits",
            body="We hear you.",
        )
        IncidentEvent.objects.create(
            incident=incident, kind="note", message="internal note", actor="W", at=timezone.now()
        )
        fact = Fact.objects.create(slug="hours", title="Hours", statement="Open 8-5.")
        FactVersion.objects.create(
            fact=fact,
            number=1,
            action="created",
            title="Hours",
            statement="Open 8-5.",
            is_active=True,
            status="confirmed",
        )
    return review, draft, statement, incident, fact


def _read(job):
    from django.core.files.storage import default_storage

    with default_storage.open(job.file_name, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def _csv(zf, name):
    return list(csv.reader(io.StringIO(zf.read(name).decode("utf-8"))))


def test_export_contents(world, clinic_b, rows, django_capture_on_commit_callbacks):
    review, draft, statement, incident, fact = _small_clinic(clinic_b, rows)
    owner = Actor(user=world.users["alpha_owner"])
    with (
        mock.patch("core.queueing.tasks_enqueue") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = export_request(clinic=clinic_b, actor=owner)
    assert queued.call_args.args[0] == "offboarding.tasks.export_run"
    assert queued.call_args.kwargs["schema_name"] == clinic_b.schema_name
    # when
    with django_capture_on_commit_callbacks(execute=True):
        job = export_run(export_id=job.pk)
    # then
    assert job.status == "done" and job.size_bytes > 0
    month = review.published_at.astimezone(timezone.get_current_timezone())
    assert job.files_total == len(CSV_FILES) + 1 + 1 and job.files_done == job.files_total
    zf = _read(job)
    names = set(zf.namelist())
    assert {name for name, *_ in CSV_FILES} | {"README.txt"} <= names
    reviews = _csv(zf, "reviews.csv")
    assert reviews[0][:3] == ["id", "source", "platform"] and "score_label" in reviews[0]
    assert len(reviews) == 2
    row = dict(zip(reviews[0], reviews[1], strict=True))
    assert row["id"] == str(review.pk)
    assert row["text"] == "'=HYPERLINK(bad) waited two hours"  # a formula is not run
    assert (row["score_label"], row["score"], row["rating"]) == ("negative", "-0.8", "1")
    replies = _csv(zf, "replies.csv")
    assert replies[0] == [
        "id",
        "review_id",
        "status",
        "version",
        "text",
        "author",
        "guard_verdict",
        "override_reason",
        "override_by",
        "created_at",
        "submitted_at",
        "approved_at",
        "published_at",
    ]
    assert (
        replies[1][:2] == [str(draft.pk), str(review.pk)]
        and replies[1][4] == "Sorry about the wait."
    )
    trail = _csv(zf, "approval_trail.csv")
    assert [r[4] for r in trail[1:]] == ["submitted"]
    assert _csv(zf, "statement_versions.csv")[1][:4] == [
        str(statement.pk),
        "1",
        "On waits",
        "We hear you.",
    ]
    assert _csv(zf, "incidents.csv")[1][0] == str(incident.pk)
    assert _csv(zf, "incident_timeline.csv")[1][4] == "internal note"  # the staff copy
    facts = _csv(zf, "facts.csv")
    assert facts[0][:4] == ["id", "slug", "title", "statement"]
    assert [str(fact.pk), "hours", "Hours", "Open 8-5."] in [r[:4] for r in facts[1:]]
    versions = _csv(zf, "fact_versions.csv")
    assert [str(fact.pk), "1", "created"] in [r[:3] for r in versions[1:]]
    assert len(_csv(zf, "outbox_deliveries.csv")) == 1  # header only
    reports = [n for n in names if n.startswith("reports/monthly-")]
    assert reports == [f"reports/monthly-{month:%Y-%m}.json"]
    assert json.loads(zf.read(reports[0]))["month"] == f"{month:%Y-%m}"
    readme = zf.read("README.txt").decode()
    assert "reviews.csv (1 rows)" in readme and "incident_timeline.csv" in readme
    # the person is told
    assert any("export of Clinic B is ready" in m.subject for m in mail.outbox)


def test_export_api_status_and_download(
    world, clinic_b, rows, login, django_capture_on_commit_callbacks
):
    _small_clinic(clinic_b, rows)
    manager = login("alpha_manager")
    with (
        mock.patch("core.queueing.tasks_enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        created = manager.post("/clinics/clinic-b/api/v1/exports/", content_type="application/json")
    assert created.status_code == 202
    export_id = created.json()["id"]
    assert created.json()["status"] == "queued" and created.json()["download_url"] is None
    export_run(export_id=export_id)
    detail = manager.get(f"/clinics/clinic-b/api/v1/exports/{export_id}/").json()
    assert detail["status"] == "done"
    assert detail["download_url"] == f"/clinics/clinic-b/api/v1/exports/{export_id}/download/"
    download = manager.get(detail["download_url"])
    assert download.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).testzip() is None
    page = manager.get(f"/clinics/clinic-b/settings/leaving/exports/{export_id}/download/")
    assert page.status_code == 200
    # not for writers, keys, the clinic's people; another agency gets 404
    assert login("alpha_writer").get(detail["download_url"]).status_code == 403
    assert login("b_approver").get(detail["download_url"]).status_code == 403
    assert login("beta_owner").get(detail["download_url"]).status_code == 404
    assert login("beta_owner").post("/clinics/clinic-b/api/v1/exports/").status_code == 404


def test_an_export_of_another_clinic_is_404(world, clinic_b, login):
    job = ClinicExport.objects.create(clinic=clinic_b, status="done")
    assert (
        login("alpha_owner").get(f"/clinics/clinic-a/api/v1/exports/{job.pk}/").status_code == 404
    )


def test_a_deactivated_clinic_still_exports(
    world, clinic_b, login, django_capture_on_commit_callbacks
):
    clinic_deactivate(
        clinic=clinic_b, actor=Actor(user=world.users["alpha_owner"]), confirm_name="Clinic B"
    )
    with (
        mock.patch("core.queueing.tasks_enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = login("alpha_owner").post(
            "/clinics/clinic-b/settings/leaving/", {"action": "export"}
        )
    assert response.status_code == 302
    assert ClinicExport.objects.filter(clinic=clinic_b, status="queued").count() == 1
    page = login("alpha_owner").get("/clinics/clinic-b/settings/leaving/")
    assert b"Reactivate Clinic B" in page.content
