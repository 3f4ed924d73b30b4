import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test.client import MULTIPART_CONTENT
from django_tenants.utils import schema_context

from feeds.models import ImportJob, Review
from feeds.services import import_job_run

HEADER = "source,external_id,author,rating,text,published_at,url,likes,shares,replies\n"
GOOD = [
    'google,c-1,Sam,5,"Great, fast service",2026-10-01T09:00:00Z,https://g.example/1,1,0,0\n',
    "facebook,c-2,Kim,,Anyone else wait 2 hours?,2026-10-02T09:00:00+02:00,,3,1,2\n",
    'yelp,c-3,Lee,2,"Multi\nline text",2026-10-03T09:00:00Z,,0,0,0\n',
]
BAD = [
    "google,c-4,Ann,7,too many stars,2026-10-01T09:00:00Z,,0,0,0\n",
    "myspace,c-5,Bo,3,unknown source,2026-10-01T09:00:00Z,,0,0,0\n",
    "google,c-6,Cy,3,bad time,next tuesday,,0,0,0\n",
]


def write(tmp_path, lines, name="reviews.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes("".join(lines).encode(encoding) if isinstance(lines, list) else lines)
    return path


def reviews(clinic):
    with schema_context(clinic.schema_name):
        return {r.external_id: r for r in Review.objects.all()}


def test_command_imports_good_rows_and_names_bad_lines(tmp_path, clinic_a, capsys):
    path = write(tmp_path, [HEADER, GOOD[0], BAD[0], GOOD[1], BAD[1], GOOD[2], BAD[2]])
    call_command("import_reviews", "--clinic", "clinic-a", str(path), "--no-progress")
    out, err = capsys.readouterr()
    assert "3 created, 0 updated, 0 unchanged, 3 rejected" in out
    # the multi-line row spans lines 6-7, so the rows after it are on 8
    assert "reviews.csv:3: rating: Must be between 1 and 5." in err
    assert "reviews.csv:5: source: Unknown source 'myspace'" in err
    assert "reviews.csv:8: published_at: Not an ISO 8601 time: 'next tuesday'" in err
    stored = reviews(clinic_a)
    assert set(stored) == {"c-1", "c-2", "c-3"}
    assert stored["c-2"].kind == "mention" and stored["c-2"].rating is None
    assert stored["c-2"].published_at.isoformat() == "2026-10-02T07:00:00+00:00"
    assert stored["c-3"].text == "Multi\nline text"


def test_importing_the_same_file_twice_changes_nothing(tmp_path, clinic_a, capsys):
    path = write(tmp_path, [HEADER, *GOOD])
    call_command("import_reviews", "--clinic", "clinic-a", str(path), "--no-progress")
    call_command("import_reviews", "--clinic", "clinic-a", str(path), "--no-progress")
    assert "0 created, 0 updated, 3 unchanged, 0 rejected" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"external_id,text\nx,y\n", "Line 1: missing column(s) source, published_at"),
        (
            HEADER.encode() + b"google,z-1,A,5,caf\xe9,2026-10-01T09:00:00Z,,0,0,0\n",
            "Line 2: not valid UTF-8",
        ),
    ],
    ids=["missing-columns", "latin-1"],
)
def test_a_file_that_cannot_be_read_is_refused_whole(tmp_path, clinic_a, content, message):
    path = write(tmp_path, content)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("import_reviews", "--clinic", "clinic-a", str(path), "--no-progress")
    assert reviews(clinic_a) == {}


def test_unknown_clinic_or_file_is_named(tmp_path, clinic_a):
    with pytest.raises(CommandError, match="No clinic with slug 'nope'"):
        call_command("import_reviews", "--clinic", "nope", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_reviews", "--clinic", "clinic-a", str(tmp_path / "x.csv"))


def test_web_upload_queues_a_job_that_reports_progress_and_bad_lines(login, clinic_a, tmp_path):
    client = login("alpha_writer")
    path = write(tmp_path, [HEADER, GOOD[0], BAD[0], GOOD[1]])
    with path.open("rb") as fh:
        response = client.post("/clinics/clinic-a/imports/upload/", {"file": fh})
    assert response.status_code == 302
    with schema_context(clinic_a.schema_name):
        job = ImportJob.objects.get()
        assert (job.status, job.total_rows, job.processed_rows) == ("queued", 3, 0)
        import_job_run(job_id=job.pk)  # what the worker runs
        job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count, job.error_count) == ("done", 3, 2, 1)
    assert job.errors == [
        {
            "line": 3,
            "error": "rating: Must be between 1 and 5.",
            "fields": {"rating": ["Must be between 1 and 5."]},
        }
    ]
    body = client.get(f"/clinics/clinic-a/api/v1/imports/{job.pk}/").json()
    assert body["status"] == "done" and body["errors"][0]["line"] == 3
    page = client.get("/clinics/clinic-a/imports/").content.decode()
    assert "Line 3: rating: Must be between 1 and 5." in page


def test_api_upload_refuses_a_latin1_file_and_queues_nothing(api, clinic_a, tmp_path):
    path = write(
        tmp_path, HEADER.encode() + b"google,z-1,A,5,caf\xe9,2026-10-01T09:00:00Z,,0,0,0\n"
    )
    with path.open("rb") as fh:
        response = api("key_a").post(
            "/clinics/clinic-a/api/v1/imports/", {"file": fh}, content_type=MULTIPART_CONTENT
        )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.json()["detail"]
    with schema_context(clinic_a.schema_name):
        assert ImportJob.objects.count() == 0


def test_viewers_cannot_upload(login, clinic_a, tmp_path):
    path = write(tmp_path, [HEADER, GOOD[0]])
    with path.open("rb") as fh:
        response = login("a_viewer").post("/clinics/clinic-a/imports/upload/", {"file": fh})
    assert response.status_code == 403
    with schema_context(clinic_a.schema_name):
        assert ImportJob.objects.count() == 0


def test_an_import_whose_task_was_never_queued_is_found_by_the_sweeper(login, clinic_a, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from feeds.services import import_jobs_stalled

    client = login("alpha_writer")
    path = write(tmp_path, [HEADER, GOOD[0]])
    with path.open("rb") as fh:
        client.post("/clinics/clinic-a/imports/upload/", {"file": fh})
    with schema_context(clinic_a.schema_name):
        job = ImportJob.objects.get()
        assert import_jobs_stalled() == []  # just queued: its task may still come
        ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=3))
        assert import_jobs_stalled() == [job.pk]
        import_job_run(job_id=job.pk)
        assert import_jobs_stalled() == []


def test_bad_lines_are_named_by_their_line_in_the_file_in_file_order(clinic_a):
    from feeds.services import csv_import, csv_open

    text = "".join(
        [
            HEADER,
            GOOD[0],
            "google,m-3,Ann,9,too many stars,2026-10-01T09:00:00Z,,0,0,0\n",
            "myspace,m-4,Bo,3,unknown source,2026-10-01T09:00:00Z,,0,0,0\n",
            'google,m-5,Cy,3,"no closing quote,2026-10-01T09:00:00Z,,0,0,0\n',
        ]
    )

    with schema_context(clinic_a.schema_name):
        result = csv_import(stream=csv_open(text))

    assert [(e["line"], e["error"].split(":")[0]) for e in result.errors] == [
        (3, "rating"),
        (4, "source"),
        (5, "Malformed CSV"),
    ]
    assert result.errors[2]["error"] == "Malformed CSV: unexpected end of data."


def test_a_row_with_several_bad_fields_joins_their_messages_without_double_punctuation(clinic_a):
    from feeds.services import csv_import, csv_open

    text = HEADER + "google,m-7,Ann,four,bad counts,2026-10-01T09:00:00Z,,many,0,0\n"

    with schema_context(clinic_a.schema_name):
        result = csv_import(stream=csv_open(text))

    [error] = result.errors
    assert error["line"] == 2
    assert ".;" not in error["error"]
    assert re.fullmatch(r"rating: [^;]*[^.]; likes: [^;]*\.", error["error"]), error["error"]
    assert error["fields"]["rating"] and error["fields"]["likes"]


def test_a_row_with_more_values_than_columns_is_a_row_error_naming_its_line(clinic_a):
    from feeds.services import csv_import, csv_open

    text = "".join(
        [
            "source,external_id,text,published_at\n",
            "google,v-2,fine,2026-10-01T09:00:00Z\n",
            "google,v-3,fine,2026-10-01T09:00:00Z,,\n",  # empty cells past the header: read
            "google,v-4,Great staff, kind nurses,2026-10-01T09:00:00Z\n",
        ]
    )

    with schema_context(clinic_a.schema_name):
        result = csv_import(stream=csv_open(text))
        stored = sorted(Review.objects.values_list("external_id", flat=True))

    assert result.errors == [
        {
            "line": 4,
            "error": "5 values for 4 columns: quote a value that holds a comma, or name the "
            "extra column in the header.",
            "fields": {},
        }
    ]
    assert (result.created, stored) == (2, ["v-2", "v-3"])


def test_a_bad_row_is_named_by_the_line_it_starts_on(clinic_a):
    from feeds.services import csv_import, csv_open

    text = "".join(
        [
            HEADER,
            "\n",
            'google,n-3,Ann,9,"two\nlines",2026-10-01T09:00:00Z,,0,0,0\n',
            'google,n-5,Bo,3,"bad"quote,2026-10-01T09:00:00Z,,0,0,0\n',
            GOOD[0],
            "google,n-7,Cy,3,bad time,next tuesday,,0,0,0\n",
        ]
    )

    with schema_context(clinic_a.schema_name):
        result = csv_import(stream=csv_open(text))

    assert [e["line"] for e in result.errors] == [3, 5, 7]
    assert result.errors[1]["error"] == "Malformed CSV: ',' expected after '\"'."
    assert result.created == 1


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"", 400, "The file is empty."),
        (b"\n\n", 400, "The file is empty."),
        (HEADER.encode(), 400, "The file has a header row but no rows to import."),
        (
            b"external_id,text\nx,y\n",
            400,
            "Line 1: missing column(s) source, published_at; expected "
            "source, external_id, author, rating, text, published_at, url, likes, shares, replies, "
            "source_id.",
        ),
        (
            HEADER.encode() + b"google,z-1,A,5,caf\xe9,2026-10-01T09:00:00Z,,0,0,0\n",
            400,
            "Line 2: not valid UTF-8 (byte 94). Save the file as UTF-8.",
        ),
        ((HEADER + GOOD[0] * 13_000).encode(), 413, "At most 1 MB (got 1.1 MB)."),
    ],
    ids=["empty", "blank-lines", "header-only", "missing-columns", "latin-1", "too-large"],
)
def test_api_upload_refuses_a_file_it_cannot_import_and_queues_nothing(
    api, clinic_a, monkeypatch, content, status, message
):
    monkeypatch.setattr("feeds.services.imports.IMPORT_MAX_BYTES", 1024 * 1024)
    upload = SimpleUploadedFile("reviews.csv", content, content_type="text/csv")

    response = api("key_a").post(
        "/clinics/clinic-a/api/v1/imports/", {"file": upload}, content_type=MULTIPART_CONTENT
    )

    assert response.status_code == status
    assert response.json()["fields"] == {"file": [message]}
    with schema_context(clinic_a.schema_name):
        assert ImportJob.objects.count() == 0


def test_the_upload_page_refuses_an_empty_file_and_queues_nothing(login, clinic_a):
    client = login("alpha_writer")
    upload = SimpleUploadedFile("reviews.csv", b"", content_type="text/csv")

    response = client.post("/clinics/clinic-a/imports/upload/", {"file": upload}, follow=True)

    assert "reviews.csv: The file is empty." in response.content.decode()
    with schema_context(clinic_a.schema_name):
        assert ImportJob.objects.count() == 0


def test_past_reviews_are_marked_as_created_and_an_update_keeps_the_clock(api, clinic_a, login):
    # given a review already in Carewatch with its reply clock
    client = api("key_a")
    live = SimpleUploadedFile("live.csv", (HEADER + GOOD[0]).encode())
    job = client.post(
        "/clinics/clinic-a/api/v1/imports/", {"file": live}, content_type=MULTIPART_CONTENT
    ).json()
    with schema_context(clinic_a.schema_name):
        import_job_run(job_id=job["id"])

    # when the clinic's history is imported as past reviews, the live one with it
    history = SimpleUploadedFile("history.csv", (HEADER + GOOD[0] + GOOD[2]).encode())
    response = client.post(
        "/clinics/clinic-a/api/v1/imports/",
        {"file": history, "past_reviews": "true"},
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 202 and response.json()["past_reviews"] is True
    with schema_context(clinic_a.schema_name):
        done = import_job_run(job_id=response.json()["id"])

    # then only the review it created is a past review
    assert (done.created_count, done.unchanged_count) == (1, 1)
    assert {e: r.imported_as_past for e, r in reviews(clinic_a).items()} == {
        "c-1": False, "c-3": True,
    }  # fmt: skip
    page = login("alpha_manager").get("/clinics/clinic-a/imports/").content.decode()
    assert "These are past reviews (do not count them against the reply target)" in page
    assert page.count('data-testid="past-reviews"') == 1


def test_a_past_reviews_value_it_cannot_read_is_a_400_and_nothing_is_queued(api, clinic_a):
    upload = SimpleUploadedFile("history.csv", (HEADER + GOOD[0]).encode())
    response = api("key_a").post(
        "/clinics/clinic-a/api/v1/imports/",
        {"file": upload, "past_reviews": "maybe"},
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"past_reviews": ["Must be true or false."]}
    with schema_context(clinic_a.schema_name):
        assert not ImportJob.objects.exists()


def test_a_refused_upload_keeps_past_reviews_ticked(login, clinic_a):
    """The onboarding walk: a refused upload came back with "These are past reviews" unticked,
    so the corrected file would have started reply clocks on a clinic's old history."""
    client = login("alpha_writer")
    empty = SimpleUploadedFile("history.csv", b"", content_type="text/csv")
    ticked = client.post(
        "/clinics/clinic-a/imports/upload/", {"file": empty, "past_reviews": "on"}, follow=True
    )
    page = ticked.content.decode()
    assert "history.csv: The file is empty." in page
    assert re.search(r'<input id="csv-past" type="checkbox" [^>]*checked>', page)
    empty = SimpleUploadedFile("history.csv", b"", content_type="text/csv")
    plain = client.post("/clinics/clinic-a/imports/upload/", {"file": empty}, follow=True)
    assert not re.search(r'<input id="csv-past" [^>]*checked', plain.content.decode())
