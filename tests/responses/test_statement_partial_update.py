"""`PATCH statements/<id>/` is a partial update: what is sent changes, what is left out stays;
a PATCH that sends neither the title nor the text is a 400 naming the field, and changes
nothing."""

from __future__ import annotations


def _statement(writer) -> int:
    created = writer.post("statements/", {"title": "Opening hours", "body": "Walk-ins welcome."})
    assert created.status_code == 201, created.json()
    return created.json()["id"]


def test_only_the_body_changes_the_text_and_keeps_the_title(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    sid = _statement(writer)

    edited = writer.patch(f"statements/{sid}/", {"body": "Walk-ins welcome until 6 pm."})

    assert edited.status_code == 200, edited.json()
    got = edited.json()
    assert (got["title"], got["version"]) == ("Opening hours", 2)
    current = next(v for v in got["versions"] if v["number"] == 2)
    assert (current["title"], current["body"]) == ("Opening hours", "Walk-ins welcome until 6 pm.")


def test_only_the_title_changes_the_title_and_keeps_the_text(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    sid = _statement(writer)

    got = writer.patch(f"statements/{sid}/", {"title": "Our opening hours"}).json()

    current = next(v for v in got["versions"] if v["number"] == got["version"])
    assert (current["title"], current["body"]) == ("Our opening hours", "Walk-ins welcome.")


def test_neither_title_nor_body_is_a_400_and_changes_nothing(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    sid = _statement(writer)

    refused = writer.patch(f"statements/{sid}/", {"expected_version": 1})

    assert refused.status_code == 400
    assert "body" in str(refused.json())
    assert writer.get(f"statements/{sid}/").json()["version"] == 1


def test_a_blank_body_is_still_refused_with_its_field(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    sid = _statement(writer)

    refused = writer.patch(f"statements/{sid}/", {"body": "  "})

    assert refused.status_code == 400
    assert "body" in str(refused.json())
    assert writer.get(f"statements/{sid}/").json()["version"] == 1
