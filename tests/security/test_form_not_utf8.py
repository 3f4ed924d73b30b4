"""A form body whose text fields are not UTF-8 (raw `\\xff\\xfe`, an encoded surrogate
`\\xed\\xa0\\x80`, urlencoded or multipart) is refused with the 400 page before any view: Django
would read the bytes as replacement characters and the page would store them as typed. A
multipart FILE part is not text: its bytes are the importer's to check."""

from __future__ import annotations

import pytest

from clinics.models import Clinic

BAD = [b"\xff\xfe", b"\xed\xa0\x80"]
BOUNDARY = "cwboundary"


def _multipart(parts: list[tuple[str, bytes, str | None]]) -> bytes:
    body = b""
    for name, data, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: text/csv\r\n"
        body += b"\r\n" + data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def _settings_post(client, body: bytes, content_type: str):
    return client.post("/clinics/clinic-a/settings/", body, content_type=content_type)


@pytest.mark.parametrize("bad", BAD, ids=["ff-fe", "encoded-surrogate"])
def test_an_urlencoded_form_with_bytes_that_are_not_utf8_is_refused(login, clinic_a, bad):
    # given
    before = Clinic.objects.get(pk=clinic_a.pk).name
    body = b"name=" + bad + b"&timezone=UTC&reply_target_minutes=60"
    # when: raw, then percent-encoded
    raw = _settings_post(login("alpha_manager"), body, "application/x-www-form-urlencoded")
    quoted = _settings_post(
        login("alpha_manager"),
        b"name=" + b"".join(b"%%%02X" % c for c in bad) + b"&timezone=UTC",
        "application/x-www-form-urlencoded",
    )
    # then
    for response in (raw, quoted):
        assert response.status_code == 400
        html = response.content.decode()
        assert "Nothing was sent or saved" in html and "“name”" in html
        assert "not valid UTF-8" in html
    assert Clinic.objects.get(pk=clinic_a.pk).name == before


@pytest.mark.parametrize("bad", BAD, ids=["ff-fe", "encoded-surrogate"])
def test_a_multipart_form_with_a_text_field_not_utf8_is_refused(login, clinic_a, bad):
    before = Clinic.objects.get(pk=clinic_a.pk).name
    body = _multipart([("name", bad, None), ("timezone", b"UTC", None)])
    response = _settings_post(
        login("alpha_manager"), body, f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.content.decode()
    assert Clinic.objects.get(pk=clinic_a.pk).name == before


def test_a_file_part_is_not_checked_and_valid_text_passes(login, clinic_a):
    body = _multipart(
        [("name", "Clinic A é".encode(), None), ("upload", b"\xff\xfe,\xed\xa0\x80\n", "x.csv")]
    )
    response = login("alpha_writer").post(
        "/clinics/clinic-a/inbox/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code != 400
    plain = login("alpha_writer").post("/clinics/clinic-a/inbox/", {"q": "café ✓"})
    assert plain.status_code != 400
