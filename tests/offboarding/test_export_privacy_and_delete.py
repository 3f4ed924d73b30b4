"""An export never outlives what it holds: a privacy request withdraws the clinic's earlier
exports (they hold the removed words) and the next one leaves an item deleted at its author's
request out; an export whose clinic is deleted while it runs ends with one info line and keeps
no file."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from unittest import mock

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import connection
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.lifecycle import clinic_deactivate
from clinics.services import clinic_create
from feeds.models import Review
from feeds.services.privacy import privacy_request_carry_out
from offboarding import exports
from offboarding.exports import clinic_delete_with_exports, export_request, export_run
from offboarding.models import ClinicExport

pytestmark = pytest.mark.django_db


def _export(world, clinic, capture) -> ClinicExport:
    with mock.patch("core.queueing.tasks_enqueue"), capture(execute=True):
        job = export_request(clinic=clinic, actor=Actor(user=world.users["alpha_owner"]))
    return export_run(export_id=job.pk)


def _files(folder: str) -> set[str]:
    return set(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else set()


def _review_ids(job) -> list[str]:
    with default_storage.open(job.file_name, "rb") as handle:
        zf = zipfile.ZipFile(io.BytesIO(handle.read()))
    rows = list(csv.reader(io.StringIO(zf.read("reviews.csv").decode("utf-8"))))
    return [row[0] for row in rows[1:]], zf.read("reviews.csv").decode("utf-8")


def test_a_privacy_request_withdraws_earlier_exports_and_the_next_leaves_the_item_out(
    world, clinic_a, rows, django_capture_on_commit_callbacks
):
    # given Morgan's review, exported
    review = rows(clinic_a).review(rating=2, text="The nurse was rude to Morgan Ito")
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=review.pk).update(author_name="Morgan Ito")
    before = _export(world, clinic_a, django_capture_on_commit_callbacks)
    ids, text = _review_ids(before)
    assert str(review.pk) in ids and "Morgan Ito" in text
    old_file = before.file_name

    # when Morgan's review is deleted at their request
    with django_capture_on_commit_callbacks(execute=True):
        privacy_request_carry_out(
            agency=world.agencies["alpha"], actor=Actor(user=world.users["alpha_owner"]),
            author="Morgan Ito", reason="DSR-0099 deletion request received by e-mail",
            action="delete", selected=[f"clinic-a:{review.pk}"],
        )  # fmt: skip

    # then the earlier export no longer downloads and its file is gone
    before.refresh_from_db()
    assert (before.status, before.file_name) == ("expired", "")
    assert not default_storage.exists(old_file)
    assert exports.export_file_open(before) is None
    # and the next export leaves the deleted item out
    after = _export(world, clinic_a, django_capture_on_commit_callbacks)
    ids, text = _review_ids(after)
    assert str(review.pk) not in ids and "Morgan Ito" not in text


def test_an_export_running_when_a_privacy_request_comes_keeps_no_file(
    world, clinic_a, django_capture_on_commit_callbacks
):
    # given an export being written when a privacy request is carried out in its clinic
    with (
        mock.patch("core.queueing.tasks_enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = export_request(clinic=clinic_a, actor=Actor(user=world.users["alpha_owner"]))
    real_write = exports.export_zip_write
    files_before = _files("exports/clinic-a")

    def write_meanwhile_redacted(**kwargs):
        counts = real_write(**kwargs)
        exports.exports_redact(review_ids=[1], author_names=["Morgan Ito"])
        return counts

    # when it finishes
    with mock.patch("offboarding.exports.export_zip_write", side_effect=write_meanwhile_redacted):
        result = export_run(export_id=job.pk)

    # then it is stopped, says why, and no file of it is kept
    assert (result.status, result.file_name) == ("failed", "")
    assert "privacy request" in result.failure
    assert _files("exports/clinic-a") == files_before


def _delete(world, clinic) -> None:
    owner = Actor(user=world.users["alpha_owner"])
    clinic_deactivate(clinic=clinic, actor=owner, confirm_name=clinic.name)
    clinic_delete_with_exports(clinic=clinic, actor=owner, confirm_name=clinic.name, confirmed=True)


@pytest.mark.parametrize("when", ["while reading", "after writing"])
def test_an_export_whose_clinic_is_deleted_while_it_runs_ends_quietly_and_keeps_no_file(
    world, caplog, when, django_capture_on_commit_callbacks
):
    # given an export of a clinic, queued
    clinic = clinic_create(agency=world.agencies["alpha"], name="Gone Soon", slug="gone-soon")
    schema = clinic.schema_name
    with (
        mock.patch("core.queueing.tasks_enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = export_request(clinic=clinic, actor=Actor(user=world.users["alpha_owner"]))
    real_write = exports.export_zip_write

    def write_then_delete(**kwargs):
        if when == "while reading":
            with schema_context("public"):
                _delete(world, clinic)
            raise RuntimeError('relation "facts_factversion" does not exist')
        counts = real_write(**kwargs)
        with schema_context("public"):
            _delete(world, clinic)
        return counts

    # when the clinic is deleted while the export runs
    with (
        mock.patch("offboarding.exports.export_zip_write", side_effect=write_then_delete),
        caplog.at_level(logging.INFO),
    ):
        result = export_run(export_id=job.pk)
    connection.set_schema_to_public()

    # then it ends with one info line, no error, and no file of the clinic is left
    assert result is None
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [r.getMessage() for r in caplog.records if "no longer exists" in r.getMessage()] == [
        f"export {job.pk} skipped: its clinic no longer exists (schema {schema})"
    ]
    assert _files("exports/gone-soon") == set()


def test_a_privacy_request_in_a_deactivated_clinic_tells_its_people_the_portal_is_paused(
    world, clinic_a, rows, django_capture_on_commit_callbacks
):
    # given a deactivated clinic with Morgan's review
    review = rows(clinic_a).review(rating=2, text="Slow front desk")
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=review.pk).update(author_name="Morgan Ito")
    clinic_deactivate(
        clinic=clinic_a, actor=Actor(user=world.users["alpha_owner"]), confirm_name="Clinic A"
    )
    mail.outbox.clear()

    # when the review is deleted at Morgan's request
    with django_capture_on_commit_callbacks(execute=True):
        privacy_request_carry_out(
            agency=world.agencies["alpha"], actor=Actor(user=world.users["alpha_owner"]),
            author="Morgan Ito", reason="DSR-0100 deletion request received by e-mail",
            action="delete", selected=[f"clinic-a:{review.pk}"],
        )  # fmt: skip

    # then the clinic's people are told that the receipt waits for the portal's reopening
    told = [m for m in mail.outbox if "A privacy request was carried out" in m.subject]
    assert told
    for message in told:
        assert (
            "once Alpha Agency reopens the portal (it is paused now: ask them for the receipt "
            "until then). Nothing for you to do."
        ) in " ".join(message.body.split())
