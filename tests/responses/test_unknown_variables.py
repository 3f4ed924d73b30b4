"""A reply holding variables that are not variables ({clinic_phonee}, a typo): every one is
named, each once with why (and the variable it looks like a typo of), the list of variables
said once; a {statement_url} with no statement to link says why once."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django_tenants.utils import schema_context

from responses.models import ReplyDraft
from responses.services.templating import known_variables_help
from tests.responses.conftest import review_in

pytestmark = pytest.mark.django_db

TEXT = "Thank you. Call {clinic_phonee} or see {foo}."
TYPO = "{clinic_phonee}: not a variable (did you mean {clinic_phone}?)."
UNKNOWN = "{foo}: not a variable."


def test_the_api_names_every_unknown_variable_once_with_the_list_once(clinic_a, as_user):
    review = review_in(clinic_a)
    writer = as_user("alpha_writer", clinic_a)

    refused = writer.post("drafts/", {"review_id": review.pk, "text": TEXT})

    assert refused.status_code == 400
    body = refused.json()
    assert body["fields"] == {"text": [TYPO, UNKNOWN]}
    assert body["detail"] == (
        "Fill in or remove {clinic_phonee}, {foo} first: nothing was saved. "
        f"The variables: {known_variables_help()}."
    )
    with schema_context(clinic_a.schema_name):
        assert not ReplyDraft.objects.filter(review=review).exists()


@pytest.mark.parametrize("action", ["save", "submit"])
def test_the_editor_lists_every_unknown_variable_above_the_text(clinic_a, login, action):
    review = review_in(clinic_a)
    writer = login("alpha_writer")

    answer = writer.post(
        f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/", {"action": action, "text": TEXT}
    )

    assert answer.status_code == 400
    html = unescape(answer.content.decode())
    box = html[html.index('id="unresolved"') :]
    box = box[: box.index("</div>")]
    assert f"<li>{TYPO}</li><li>{UNKNOWN}</li>" in box
    # the line at the top says it once: no variable named twice, none hidden behind "more"
    shown = re.sub(r"<textarea[^>]*>", "", html)  # its data-unresolved: for the script
    assert "more)" not in shown
    assert shown.count("{clinic_phonee}: not a variable") == 1
    assert shown.count(known_variables_help()) == 1
    assert "Call {clinic_phonee} or see {foo}." in html  # the typed text stays in the editor
    with schema_context(clinic_a.schema_name):
        assert not ReplyDraft.objects.filter(review=review).exists()


def test_a_statement_link_with_no_statement_says_why_once(clinic_a):
    from feeds.models import Review
    from responses.services.batches import render_for
    from responses.services.guarding import response_settings_get
    from scoring.selectors import latest_scores_prefetch

    review = review_in(clinic_a)
    with schema_context(clinic_a.schema_name):
        review = Review.objects.prefetch_related(latest_scores_prefetch()).get(pk=review.pk)
        _text, left = render_for(
            "{greeting} our statement: {statement_url}", review, clinic=clinic_a,
            settings_row=response_settings_get(),
        )  # fmt: skip
    assert left == ["{statement_url}: no statement is published and pinned."]
