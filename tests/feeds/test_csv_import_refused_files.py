"""Walk 12, findings 3 and 6: an uploaded CSV that holds a NUL character, or whose header
names a column twice, is refused whole at upload (API: 400 naming `file`; page: the message),
its line named, and nothing is stored or queued; never a 500, never a silent last-column-wins
import. The other ways text reaches PostgreSQL refuse NUL too (the ingest API per item, a JSON
API and a page form as a whole)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test.client import MULTIPART_CONTENT
from django_tenants.utils import schema_context

from facts.models import Fact
from feeds.models import ImportJob, Review

API = "/clinics/clinic-a/api/v1/imports/"
PAGE = "/clinics/clinic-a/imports/"
NUL_MESSAGE = (
    "Line {line} contains a NUL character (\\u0000), which cannot be stored. Remove it (save "
    "the file again as UTF-8 CSV) and upload it again."
)
REFUSED = [
    pytest.param(
        b"source,external_id,published_at\ngoogle,n\x00ul2,2026-11-01T00:00:00Z\n",
        NUL_MESSAGE.format(line=2),
        id="nul-in-a-row",
    ),
    pytest.param(
        b"source,external_id,text,published_at\n"
        b'google,n-1,"two\nlines",2026-11-01T00:00:00Z\n'
        b'google,n-2,"first\nthen \x00",2026-11-01T00:00:00Z\n',
        NUL_MESSAGE.format(line=5),
        id="nul-on-the-second-line-of-a-value",
    ),
    pytest.param(
        b"source,exter\x00nal_id,published_at\ngoogle,n-1,2026-11-01T00:00:00Z\n",
        NUL_MESSAGE.format(line=1),
        id="nul-in-the-header",
    ),
    pytest.param(
        b"source,source,external_id,published_at\ngoogle,facebook,d-1,2026-11-01T00:00:00Z\n",
        "Line 1: the header names source twice (columns 1 and 2): keep one column of each name.",
        id="a-column-twice",
    ),
    pytest.param(
        b"Text,source,external_id,TEXT ,published_at, text\n"
        b"a,google,d-1,b,2026-11-01T00:00:00Z,c\n",
        "Line 1: the header names text 3 times (columns 1, 4 and 6): keep one column of each name.",
        id="a-column-three-times-in-any-case",
    ),
    pytest.param(
        b'source,external_id,published_at\n"',
        "Line 2: a quoted value opens here and is never closed, so the rest of the file would "
        'be read as one value. Close the quote (a " inside a value is written "") and upload '
        "it again.",
        id="only-an-unclosed-quote",
    ),
    pytest.param(
        b"source,external_id,published_at\ngoogle,q-1,2026-11-01T00:00:00Z\n"
        b'google,"q-2,2026-11-01T00:00:00Z\ngoogle,q-3,2026-11-01T00:00:00Z\n',
        "Line 3: a quoted value opens here and is never closed, so the rest of the file would "
        'be read as one value. Close the quote (a " inside a value is written "") and upload '
        "it again.",
        id="an-unclosed-quote-after-a-good-row",
    ),
]


def _nothing_stored(clinic) -> None:
    with schema_context(clinic.schema_name):
        assert ImportJob.objects.count() == 0
        assert Review.objects.count() == 0


@pytest.mark.parametrize(("content", "message"), REFUSED)
def test_the_api_refuses_the_file_naming_the_line_and_stores_nothing(
    api, clinic_a, content, message
):
    upload = SimpleUploadedFile("plain.csv", content, content_type="text/csv")

    response = api("key_a").post(API, {"file": upload}, content_type=MULTIPART_CONTENT)

    assert response.status_code == 400, response.content[:300]
    assert response.json()["fields"] == {"file": [message]}
    _nothing_stored(clinic_a)


@pytest.mark.parametrize(("content", "message"), REFUSED)
def test_the_upload_page_refuses_the_file_naming_the_line_and_stores_nothing(
    login, clinic_a, content, message
):
    upload = SimpleUploadedFile("plain.csv", content, content_type="text/csv")

    response = login("alpha_writer").post(f"{PAGE}upload/", {"file": upload}, follow=True)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [f"plain.csv: {message}"]
    _nothing_stored(clinic_a)


def test_the_command_refuses_a_header_naming_a_column_twice(tmp_path, clinic_a):
    path = tmp_path / "dup.csv"
    path.write_bytes(
        b"source,source,external_id,published_at\ngoogle,facebook,d-1,2026-11-01T00:00:00Z\n"
    )
    with pytest.raises(CommandError, match="the header names source twice"):
        call_command("import_reviews", "--clinic", "clinic-a", str(path), "--no-progress")
    _nothing_stored(clinic_a)


def test_columns_it_does_not_read_may_repeat(api, clinic_a):
    # an export's unnamed trailing columns, or two notes columns: ignored, so not refused
    content = (
        b"source,external_id,published_at,,,notes,notes\ngoogle,d-1,2026-11-01T00:00:00Z,,,a,b\n"
    )
    upload = SimpleUploadedFile("extra.csv", content, content_type="text/csv")

    response = api("key_a").post(API, {"file": upload}, content_type=MULTIPART_CONTENT)

    assert response.status_code == 202, response.content[:300]
    assert response.json()["total_rows"] == 1


def test_nul_elsewhere_is_refused_per_item_by_ingest_and_whole_by_a_json_api_and_a_form(
    api, login, clinic_a
):
    key = api("key_a")
    # the ingest API rejects the item alone, naming the field; the other is stored
    pushed = key.post(
        "/clinics/clinic-a/api/v1/reviews/ingest/",
        {"items": [
            {"source": "google", "external_id": "nul-1", "text": "a\x00b",
             "published_at": "2026-11-01T00:00:00Z"},
            {"source": "google", "external_id": "ok-1", "text": "fine",
             "published_at": "2026-11-01T00:00:00Z"},
        ]},
        content_type="application/json",
    )  # fmt: skip
    assert pushed.status_code == 200, pushed.content[:300]
    results = pushed.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created"]
    assert results[0]["fields"] == {
        "text": ["Contains a NUL character (\\u0000), which cannot be stored."]
    }
    # a JSON API (the fact sheet) refuses the request, naming the field
    fact = login("alpha_manager").post(
        "/clinics/clinic-a/api/v1/facts/",
        {"title": "Hours", "statement": "Open 8\x00 to 6."},
        content_type="application/json",
    )
    assert fact.status_code == 400
    assert fact.json()["fields"] == {
        "statement": ["Contains a NUL character (\\u0000), which cannot be stored."]
    }
    # a page form (the fact sheet's) answers a page naming the field
    page = login("alpha_manager").post(
        "/clinics/clinic-a/facts/", {"title": "Hours", "statement": "Open 8\x00 to 6."}
    )
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    assert "statement" in page.content.decode()
    with schema_context(clinic_a.schema_name):
        assert not Fact.objects.filter(title="Hours").exists()
        assert list(Review.objects.values_list("external_id", flat=True)) == ["ok-1"]
