"""The reply editor's "Record consent" form: a refused submission answers 400 with the editor,
the message at the form and each field's next to it, the page landing on the form (its action
ends with #consent) with the first wrong field focused; what was typed stays."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from responses.models import ContactConsent
from tests.responses.conftest import review_in

pytestmark = pytest.mark.django_db


def _form(html: str) -> str:
    start = html.index('<form method="post" action="/clinics/clinic-a/replies/review/')
    start = html.index('id="consent"', start) - 200
    return html[start : html.index("</form>", start)]


def test_the_form_posts_to_its_own_anchor(clinic_a, login):
    review = review_in(clinic_a)
    html = login("alpha_writer").get(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/")
    action = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/consent/#consent"
    assert f'action="{action}" aria-label="Record consent" id="consent"' in html.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"channel": "email", "address": "not-an-address", "basis": "Asked at the desk"},
         "address", "Enter a valid e-mail address."),
        ({"channel": "sms", "address": "+15550100123", "basis": "yes"},
         "basis", "How and when the person agreed (three words or more)."),
        ({"channel": "fax", "address": "x", "basis": "y"}, "channel", "Choose email or sms."),
        ({"channel": "email", "address": "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".org",
          "basis": "Asked at the desk"}, "address", "At most 254 characters."),
    ],
    ids=["bad-email", "short-basis", "unknown-channel", "address-too-long"],
)  # fmt: skip
def test_a_refused_consent_is_a_400_at_the_form_with_the_field_focused(
    clinic_a, login, data, field, message
):
    # given
    review = review_in(clinic_a)
    writer = login("alpha_writer")

    # when
    answer = writer.post(f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/consent/", data)

    # then the editor answers, its form holding the message, the field marked and focused
    assert answer.status_code == 400
    html = answer.content.decode()
    form = _form(html)
    assert 'id="consent-error"' in form and "Consent not recorded:" in form
    field_id = {"channel": "cs-channel", "address": "cs-address", "basis": "cs-basis"}[field]
    assert f'<ul class="errorlist" id="{field_id}-error"><li>{message}</li></ul>' in form
    tag = re.search(rf'<(?:input|select) id="{field_id}"[^>]*>', form).group(0)
    assert 'aria-invalid="true"' in tag and "autofocus" in tag
    assert form.count("autofocus") == 1
    # what was typed stays; nothing flashes at the top of the page
    assert f'value="{data["basis"]}"' in form
    assert 'class="flash' not in html[: html.index('id="follow-up"')]
    with schema_context(clinic_a.schema_name):
        assert not ContactConsent.objects.exists()


def test_a_recorded_consent_goes_back_to_the_editors_consent_card(clinic_a, login):
    review = review_in(clinic_a)
    writer = login("alpha_writer")
    editor = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    data = {"channel": "email", "address": "Sam@Example.org", "basis": "Asked us at the desk"}

    answer = writer.post(f"{editor}consent/", data)

    assert answer.status_code == 302 and answer["Location"] == f"{editor}#consent"
    with schema_context(clinic_a.schema_name):
        assert ContactConsent.objects.get().address == "sam@example.org"
    # the address a refused submission leaves in the browser, reloaded, is the editor
    assert writer.get(f"{editor}consent/")["Location"] == editor


def test_withdrawing_a_consent_twice_says_so_at_the_consents(clinic_a, login):
    review = review_in(clinic_a)
    writer = login("alpha_writer")
    consent_url = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/consent/"
    data = {"channel": "email", "address": "sam@example.org", "basis": "Asked us at the desk"}
    writer.post(consent_url, data)
    with schema_context(clinic_a.schema_name):
        consent = ContactConsent.objects.get()
    assert writer.post(consent_url, {"revoke": consent.pk}).status_code == 302

    again = writer.post(consent_url, {"revoke": consent.pk})

    assert again.status_code == 409
    html = again.content.decode()
    box = html[html.index('id="consent-error"') :]
    assert "This consent was already withdrawn." in box[: box.index("</div>")]
    assert "Consent not recorded" not in html


def test_a_clinic_person_without_writing_cannot_record_consent(clinic_a, login):
    review = review_in(clinic_a)
    approver = login("a_approver", otp=False)
    answer = approver.post(
        f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/consent/",
        {"channel": "email", "address": "sam@example.org", "basis": "Asked us at the desk"},
    )
    assert answer.status_code == 403
    with schema_context(clinic_a.schema_name):
        assert not ContactConsent.objects.exists()
