"""One sender and one name for a clinic's people: every e-mail they get comes from the
agency's brand at the one sending address (never "Carewatch"), with the brand's possessive
written as the pages write it; the password pages an invitation opens carry the brand too.
Staff see the agency's name on every page, the two-factor set-up included."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.tokens import invitation_token_generator
from agency.services import agency_member_add
from clinics.models import Notification
from clinics.notifications import notification_digests_send, people_notify
from tests.agency.conftest import BRAND, NAME

SENDER = f"{BRAND} <no-reply@carewatch.local>"
PEOPLE = "/clinics/clinic-a/settings/people/"
PASSWORD = "a first long passphrase 7"


def _brand_link(html: str) -> str:
    return re.search(r'<a class="brand" href="[^"]*">([^<]*)</a>', html).group(1)


def test_approval_requests_come_from_the_same_sender_as_the_invitation(
    login, world, branded, clinic_a, django_capture_on_commit_callbacks
):
    # given: an invitation to a new clinic approver
    mail.outbox.clear()
    login("alpha_manager").post(
        PEOPLE, {"action": "save", "email": "nina@clinic-a.test", "full_name": "Nina Novak",
                 "role": "approver"},
    )  # fmt: skip
    [invitation] = mail.outbox
    nina = User.objects.get(email="nina@clinic-a.test")

    # when: a reply waits for her approval
    with django_capture_on_commit_callbacks(execute=True):
        people_notify(
            users=[nina], clinic=clinic_a, kind="approval", ref="reply:1",
            title="A reply waits for your approval", url="/clinics/clinic-a/portal/review/",
        )  # fmt: skip

    # then: one sender, the brand's, and the brand's possessive as the pages write it
    [_, request] = mail.outbox
    assert invitation.from_email == request.from_email == SENDER
    assert f"on {BRAND}’ client portal" in request.body
    assert "'s client portal" not in request.body and "Carewatch" not in request.body


def test_the_hourly_digest_comes_from_the_brand(
    world, branded, clinic_a, django_capture_on_commit_callbacks
):
    Notification.objects.create(
        user=world.users["a_approver"], clinic=clinic_a, kind="approval", ref="reply:9",
        title="A reply waits", url="/clinics/clinic-a/portal/review/", email_pending=True,
    )  # fmt: skip
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digests_send() == 1
    [digest] = mail.outbox
    assert digest.from_email == SENDER
    assert "Carewatch" not in digest.subject + digest.body


def test_the_invitation_pages_carry_the_brand_not_carewatch(login, world, branded, clinic_a):
    mail.outbox.clear()
    login("alpha_manager").post(
        PEOPLE, {"action": "save", "email": "nina@clinic-a.test", "full_name": "Nina Novak",
                 "role": "approver"},
    )  # fmt: skip
    path = (
        "/"
        + re.search(r"http://\S+/password-reset/\S+/", mail.outbox[0].body)
        .group(0)
        .split("/", 3)[3]
    )
    client = Client()
    page = client.get(path, follow=True)
    html = page.content.decode()
    assert _brand_link(html) == BRAND and "Carewatch" not in html
    done = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
        follow=True,
    ).content.decode()
    # signed in at once, in the portal of the clinic's brand
    assert "Your password is set: you are signed in as nina@clinic-a.test." in done
    assert f"<span>{BRAND}</span>" in done and "Carewatch" not in done


def test_a_staff_invitation_page_names_the_agency(world, branded):
    person = agency_member_add(
        agency=branded, email="new-writer@alpha.test", full_name="New Writer", role="writer"
    ).user
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = invitation_token_generator.make_token(person)
    html = Client().get(f"/password-reset/{uid}/{token}/", follow=True).content.decode()
    assert _brand_link(html) == NAME


def test_staff_see_the_agency_name_on_two_factor_set_up_and_after(world, branded):
    # given: a staff member who signed in with a password and has no authenticator yet
    person = agency_member_add(
        agency=branded, email="fresh@alpha.test", full_name="Fresh", role="writer",
        password="a long passphrase 42",
    ).user  # fmt: skip
    client = Client()
    client.force_login(person)
    # when / then: the set-up page, half signed in, names the agency as the next pages do
    setup = client.get("/account/two-factor/setup/")
    assert setup.status_code == 200
    html = setup.content.decode()
    assert _brand_link(html) == NAME and BRAND not in html
