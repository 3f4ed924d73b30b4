"""Walk 14 #26: a CSV's columns that the import does not read were ignored without a word (the
JSON ingest names an unknown field), and a file separated by ';' (a European Excel's) was told
that its columns were missing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django_tenants.utils import schema_context

from feeds.models import ImportJob
from feeds.services.csv_import import CSV_COLUMNS

API = "/clinics/clinic-a/api/v1/imports/"


def _upload(api, content: bytes):
    upload = SimpleUploadedFile("file.csv", content, content_type="text/csv")
    return api("key_a").post(API, {"file": upload}, content_type=MULTIPART_CONTENT)


def test_columns_it_does_not_read_are_named_in_the_answer(api, clinic_a):
    response = _upload(
        api,
        b"source,external_id,published_at,colour,,notes,notes\n"
        b"google,d-1,2026-11-01T00:00:00Z,red,,a,b\n",
    )
    assert response.status_code == 202
    warning = f"Not read: the columns colour, notes (the import reads {', '.join(CSV_COLUMNS)})."
    assert response.json()["warnings"] == [warning]
    with schema_context(clinic_a.schema_name):
        job = ImportJob.objects.get()
    assert job.warnings == [warning]
    detail = api("key_a").get(f"{API}{job.pk}/")
    assert detail.json()["warnings"] == [warning]


def test_a_file_of_known_columns_has_no_warnings(api, clinic_a):
    response = _upload(api, b"source,external_id,published_at\ngoogle,d-1,2026-11-01T00:00:00Z\n")
    assert response.status_code == 202 and response.json()["warnings"] == []


@pytest.mark.parametrize(
    ("content", "separator"),
    [
        (b"source;external_id;published_at\ngoogle;d-1;2026-11-01T00:00:00Z\n", "';'"),
        (b"source\texternal_id\tpublished_at\ngoogle\td-1\t2026-11-01T00:00:00Z\n", "a tab"),
    ],
    ids=["semicolon", "tab"],
)
def test_a_file_separated_otherwise_is_told_to_use_commas(api, clinic_a, content, separator):
    response = _upload(api, content)
    message = (
        f"Line 1: the file seems to use {separator} as separator; use ',' (in Excel: save as "
        "“CSV UTF-8 (Comma delimited)”)."
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"file": [message]}
    with schema_context(clinic_a.schema_name):
        assert not ImportJob.objects.exists()
