"""Control characters in text: a one-line field (a name, a title, an id) refuses every C0 and
C1 control and the Unicode line and paragraph separators; a multi-line field (a reply, a
statement, a body) allows line breaks and tabs and refuses the other controls. One rule
(`core.text.control_problem`), applied by the input check to every page form, by the API to
every serializer text field (one line when it holds at most 300 characters), and by the
services of names and titles."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.text import control_problem
from responses.models import Statement
from tests.responses.conftest import Api, review_in
from webhooks.models import WebhookSubscription

HOSTILE = ["\x01", "\x07", "\x1b[31m", "\x7f", "\x85", "\x9b"]


@pytest.mark.parametrize("char", [*HOSTILE, "\n", "\r", "\t", "\u2028", "\u2029"])
def test_a_one_line_field_refuses_controls_and_line_separators(char):
    assert control_problem(f"Clinic{char}name", one_line=True) is not None


@pytest.mark.parametrize("char", HOSTILE)
def test_a_multi_line_field_refuses_controls_other_than_line_breaks_and_tabs(char):
    assert control_problem(f"Thank you{char}", one_line=False) is not None


def test_what_each_kind_of_field_allows():
    assert control_problem("Dr Ana Núñez ✓", one_line=True) is None
    assert control_problem("Thanks,\r\n\tSam\u2028", one_line=False) is None
    assert control_problem("a\u2028b", one_line=True) == (
        "Contains a line break (U+2028): write the name on one line, without line breaks, tabs "
        "or other control characters."
    )


@pytest.mark.parametrize("char", ["\x1b[31m", "\u2028", "\t"])
def test_the_api_refuses_them_in_a_one_line_field(login, clinic_a, char):
    manager = Api(login("alpha_manager"), clinic_a)
    answer = manager.post(
        "webhooks/",
        {
            "url": "https://crm.example.com/hook",
            "events": ["review.created"],
            "description": f"CRM{char}",
        },
    )
    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["description"]
    with schema_context(clinic_a.schema_name):
        assert WebhookSubscription.objects.count() == 0


def test_the_api_allows_line_breaks_in_a_reply_and_refuses_a_bell(login, clinic_a):
    writer = Api(login("alpha_writer"), clinic_a)
    review = review_in(clinic_a)
    refused = writer.post("drafts/", {"review_id": review.pk, "text": "Thank you\x07 Sam."})
    assert refused.status_code == 400
    assert refused.json()["fields"]["text"] == [
        "Contains a control character (U+0007), which is not text: remove it (it often comes "
        "with text pasted from a terminal or another program)."
    ]
    kept = writer.post("drafts/", {"review_id": review.pk, "text": "Thank you, Sam.\n\nAna"})
    assert kept.status_code == 201, kept.json()


@pytest.mark.parametrize("char", HOSTILE)
def test_a_page_form_refuses_them_before_anything_is_stored(login, clinic_a, char):
    response = login("alpha_writer").post(
        "/clinics/clinic-a/statements/", {"title": f"Hours{char}", "body": "Open 8 to 6."}
    )
    assert response.status_code == 400
    assert "“title”" in response.content.decode()
    with schema_context(clinic_a.schema_name):
        assert Statement.objects.count() == 0


def test_a_statement_title_on_two_lines_is_refused_with_its_field(login, clinic_a):
    response = login("alpha_writer").post(
        "/clinics/clinic-a/statements/", {"title": "Hours\u2028today", "body": "Open\n8 to 6."}
    )
    assert response.status_code == 400
    assert "Contains a line break (U+2028)" in response.content.decode()
    with schema_context(clinic_a.schema_name):
        assert Statement.objects.count() == 0
