"""The "New statement" form, refused: a summary above the fields names every error, each field
says its own (aria-invalid, aria-describedby), the typed text stays, nothing is stored."""

from __future__ import annotations

import re
from html import unescape

from django_tenants.utils import schema_context

from responses.models import Statement


def _count(clinic) -> int:
    with schema_context(clinic.schema_name):
        return Statement.objects.count()


def test_both_fields_refused_are_each_named_in_the_summary_and_at_their_field(clinic_a, login):
    # given
    writer = login("alpha_writer")
    before = _count(clinic_a)
    # when: a title of spaces and a statement of spaces
    page = writer.post(f"/clinics/{clinic_a.slug}/statements/", {"title": "   ", "body": "  "})
    # then
    assert page.status_code == 400
    html = unescape(page.content.decode())
    summary = html[
        html.index('class="error error-summary"') : html.index(
            "</div>", html.index("error-summary")
        )
    ]
    assert "fix these 2 fields" in summary
    assert '<a href="#st-title">Title: Give the statement a title.</a>' in summary
    assert '<a href="#st-body">Statement: Write the statement.</a>' in summary
    assert re.search(
        r'<input id="st-title"[^>]* aria-invalid="true" aria-describedby="st-title-error"', html
    )
    assert re.search(
        r'<textarea id="st-body"[^>]* aria-invalid="true" aria-describedby="st-body-error"', html
    )
    assert (
        '<ul class="errorlist" id="st-title-error"><li>Give the statement a title.</li></ul>'
        in html
    )
    assert '<ul class="errorlist" id="st-body-error"><li>Write the statement.</li></ul>' in html
    assert "(and 1 more)" not in html and 'class="flash error"' not in html
    assert _count(clinic_a) == before


def test_one_field_refused_keeps_the_other_and_marks_only_itself(clinic_a, login):
    writer = login("alpha_writer")
    before = _count(clinic_a)
    page = writer.post(
        f"/clinics/{clinic_a.slug}/statements/", {"title": "T" * 201, "body": "Open 8 to 6."}
    )
    assert page.status_code == 400
    html = unescape(page.content.decode())
    assert "fix the field." in html
    assert '<a href="#st-title">Title: At most 200 characters.</a>' in html
    assert 'aria-invalid="true" aria-describedby="st-title-error"' in html
    assert 'id="st-body-error"' not in html
    assert ">Open 8 to 6.</textarea>" in html
    assert _count(clinic_a) == before


def test_an_unrefused_page_has_no_summary(clinic_a, login):
    html = login("alpha_writer").get(f"/clinics/{clinic_a.slug}/statements/").content.decode()
    assert "error-summary" not in html and "aria-invalid" not in html
