"""A statement created twice with the same title and body by the same person within 10
minutes (a double click, a retried request) is created once: the API answers 409
`statement_exists` naming it, the page opens the statement created the first time."""

from __future__ import annotations

from datetime import timedelta

from django_tenants.utils import schema_context

from responses.models import Statement

BODY = {"title": "Hours", "body": "Open 8 to 6."}


def test_the_same_statement_posted_twice_is_a_409_naming_the_first(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    first = writer.post("statements/", BODY)
    assert first.status_code == 201

    again = writer.post("statements/", BODY)

    assert again.status_code == 409
    assert again.json()["code"] == "statement_exists"
    assert again.json()["fields"] == {"statement_id": [str(first.json()["id"])]}
    with schema_context(clinic_a.schema_name):
        assert Statement.objects.count() == 1
    # another body, or another person, is another statement
    assert writer.post("statements/", {**BODY, "body": "Open 8 to 7."}).status_code == 201
    assert as_user("alpha_manager", clinic_a).post("statements/", BODY).status_code == 201


def test_the_same_statement_later_is_a_new_one(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    first = writer.post("statements/", BODY).json()["id"]
    with schema_context(clinic_a.schema_name):
        Statement.objects.filter(pk=first).update(
            created_at=Statement.objects.get(pk=first).created_at - timedelta(minutes=11)
        )

    assert writer.post("statements/", BODY).status_code == 201


def test_the_page_form_sent_twice_opens_the_first_statement(clinic_a, as_user):
    writer = as_user("alpha_writer", clinic_a)
    page = f"/clinics/{clinic_a.slug}/statements/"
    first = writer.client.post(page, BODY)
    assert first.status_code == 302

    again = writer.client.post(page, BODY)

    assert (again.status_code, again["Location"]) == (302, first["Location"])
    with schema_context(clinic_a.schema_name):
        assert Statement.objects.count() == 1
