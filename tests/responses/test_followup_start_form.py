"""The reply editor's "Start follow-up" forms: a refused start answers with the editor (400 or
the error's status), the message at the form that was sent and each field's next to it, the
page landing on the card (the forms' action ends with #follow-up) with the first wrong field
focused; what was typed stays, and nothing flashes at the top of the page."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from responses.models import PrivateConversation
from tests.responses.conftest import review_in
from tests.responses.test_followups import facebook_comment

pytestmark = pytest.mark.django_db


def _form(html: str, label: str) -> str:
    start = html.index(f'aria-label="{label}"')
    return html[start : html.index("</form>", start)]


def test_both_forms_post_to_the_card(clinic_a, login, platforms):
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    html = login("alpha_writer").get(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/")
    action = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/private/#follow-up"
    for label in ("Start a private follow-up", "Propose the public reply"):
        assert f'action="{action}" aria-label="{label}"' in html.content.decode()


@pytest.mark.parametrize(
    ("data", "field_id", "message"),
    [
        ({"channel": "phone", "due_at": "soon", "notes": "Call after 5"}, "fu-due",
         "A date and time, e.g. 2026-12-04 17:00."),
        ({"channel": "phone", "owner_id": "nobody", "due_at": "", "notes": "Call after 5"},
         "fu-owner", "Choose a person."),
        ({"channel": "phone", "notes": "n" * 10_001}, "fu-notes", "At most 10000."),
        ({"channel": "fax", "notes": "Call after 5", "text": "Please call us."}, "fu-channel",
         None),
    ],
    ids=["bad-due", "bad-owner", "notes-too-long", "unknown-channel"],
)  # fmt: skip
def test_a_refused_start_is_a_400_at_the_form_with_the_field_focused(
    clinic_a, login, platforms, data, field_id, message
):
    # given: a review a private channel reaches
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    writer = login("alpha_writer")

    # when
    answer = writer.post(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/private/", data)

    # then the editor answers, its form holding the message, the field marked and focused
    assert answer.status_code == 400
    html = answer.content.decode()
    form = _form(html, "Start a private follow-up")
    assert 'id="follow-up-error"' in form and "Follow-up not started:" in form
    errors = re.search(rf'<ul class="errorlist" id="{field_id}-error">(.*?)</ul>', form)
    assert errors is not None
    if message:
        assert errors.group(1) == f"<li>{message}</li>"
    tag = re.search(rf'<(?:input|select|textarea) id="{field_id}"[^>]*>', form).group(0)
    assert 'aria-invalid="true"' in tag and "autofocus" in tag
    assert form.count("autofocus") == 1
    # what was typed stays; nothing flashes at the top of the page
    assert '<textarea id="fu-notes" name="notes" rows="2"' in form
    assert f">{data['notes']}</textarea>" in form
    if data["channel"] == "phone":
        assert '<option value="phone" selected>' in form
    if "text" in data:
        assert f">{data['text']}</textarea>" in form
    if "due_at" in data:
        assert f'name="due_at" type="datetime-local" value="{data["due_at"]}"' in form
    assert 'class="flash' not in html[: html.index('id="follow-up"')]
    with schema_context(clinic_a.schema_name):
        assert not PrivateConversation.objects.exists()
    # the address it leaves in the browser, reloaded, is the editor
    editor = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    assert writer.get(f"{editor}private/")["Location"] == editor


def test_the_public_reply_form_says_its_refusal_at_its_own_fields(clinic_a, login):
    # given: nothing private reaches the person: only the public reply's form is shown
    review = review_in(clinic_a)
    writer = login("alpha_writer")

    answer = writer.post(
        f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/private/",
        {"channel": "public_reply", "owner_id": "", "due_at": "soon"},
    )

    assert answer.status_code == 400
    html = answer.content.decode()
    form = _form(html, "Propose the public reply")
    assert "Public reply not proposed:" in form
    assert (
        '<ul class="errorlist" id="pr-due-error"><li>A date and time, e.g. 2026-12-04 17:00.'
        "</li></ul>"
    ) in form
    tag = re.search(r'<input id="pr-due"[^>]*>', form).group(0)
    assert 'value="soon"' in tag and "autofocus" in tag


def test_a_second_follow_up_is_refused_on_the_card(clinic_a, login, platforms):
    review, _source, _psid = facebook_comment(clinic_a, platforms)
    writer = login("alpha_writer")
    url = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/private/"
    assert writer.post(url, {"channel": "phone", "owner_id": ""}).status_code == 302

    again = writer.post(url, {"channel": "phone", "owner_id": ""})

    assert again.status_code == 409
    html = again.content.decode()
    card = html[html.index('id="follow-up"') :]
    box = card[card.index('id="follow-up-error"') :]
    assert "already has an open follow-up" in box[: box.index("</div>")]
    with schema_context(clinic_a.schema_name):
        assert PrivateConversation.objects.count() == 1
