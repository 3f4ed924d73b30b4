"""The suggested "Move to private" reply fits X: where its full wording renders over X's 280
characters, the shorter wording the template carries is offered (the same "first wording that
fits" the batches use), so the suggested text of an X mention can be submitted; a platform with
room keeps the full wording."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from responses.selectors import template_get
from responses.services.private import invitation_text
from responses.services.replies import platform_limit
from responses.services.templating import text_render
from tests.responses.conftest import review_in


@pytest.fixture
def full_contact(clinic_a):
    """Clinic A with a phone, an e-mail and a contact page, as most clinics have: the full
    "Move to private" wording then renders over X's 280 characters."""
    before = (clinic_a.phone, clinic_a.email, clinic_a.contact_url)
    clinic_a.phone, clinic_a.email = "+1 555 0100", "front-desk@riverside-family-dental.test"
    clinic_a.contact_url = "https://riverside-family-dental.test/contact-us"
    clinic_a.save(update_fields=["phone", "email", "contact_url"])
    yield clinic_a
    clinic_a.phone, clinic_a.email, clinic_a.contact_url = before
    clinic_a.save(update_fields=["phone", "email", "contact_url"])


FULL_START = "Thank you for sharing this. We want to understand your concerns and help"


def _full_wording(clinic) -> str:
    with schema_context(clinic.schema_name):
        return text_render(template_get("move-private")["body"], clinic=clinic).text


def test_the_move_to_private_reply_for_an_x_mention_fits_x_and_can_be_submitted(
    full_contact, as_user
):
    clinic_a = full_contact
    # given an X mention, where the template's full wording is too long for this clinic
    mention = review_in(clinic_a, "x")
    assert len(_full_wording(clinic_a)) > platform_limit("x") == 280
    writer = as_user("alpha_writer", clinic_a)

    # when the writer starts the reply from the "Move to private" template
    created = writer.post("drafts/", {"review_id": mention.pk, "template_key": "move-private"})
    assert created.status_code == 201, created.json()
    text = created.json()["text"]

    # then it is the shorter wording, within X's limit, and submitting it is not refused
    assert text.startswith("Thank you for sharing this. To protect your privacy")
    assert len(text) <= 280
    submitted = writer.post(f"drafts/{created.json()['id']}/submit/")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == "pending_agency"


def test_the_editor_and_the_follow_up_offer_the_wording_that_fits_the_platform(
    full_contact, as_user
):
    clinic_a = full_contact
    mention, review = review_in(clinic_a, "x"), review_in(clinic_a, "google")
    writer = as_user("alpha_writer", clinic_a).client
    base = f"/clinics/{clinic_a.slug}/replies/review/"

    # the editor's menu loads the shorter wording for X, the full one for Google
    on_x = writer.get(f"{base}{mention.pk}/?template=move-private").content.decode()
    on_google = writer.get(f"{base}{review.pk}/?template=move-private").content.decode()
    assert "To protect your privacy we cannot discuss details here: please contact" in on_x
    assert FULL_START not in on_x.split("<textarea", 1)[1].split("</textarea>", 1)[0]
    assert FULL_START in on_google.split("<textarea", 1)[1].split("</textarea>", 1)[0]

    # the private follow-up's public reply ("please contact us") fits X too
    with schema_context(clinic_a.schema_name):
        proposal = invitation_text(channel="public_reply", clinic=clinic_a, review=mention)
        kept = invitation_text(channel="public_reply", clinic=clinic_a, review=review)
    assert len(proposal) <= 280 and proposal.startswith("Thank you for sharing this. To protect")
    assert kept == _full_wording(clinic_a)
