"""Nothing in an address brands a page. Signed out, `/clinics/<slug>/…` sends a person to the
sign-in page with `?next=/clinics/<slug>/…`; that page, the password pages and a made-up
password link name nobody (no agency, not the product), so a real clinic's slug and one that
does not exist give the same bytes, and nobody learns which agency serves a clinic (or an
account) by trying addresses. A page whose link legitimately carries its person (a password
link Carewatch signed, expired or not; the acknowledge link) keeps their agency's brand."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.tokens import InvitationTokenGenerator, invitation_token_generator
from clinics.services import clinic_member_add
from tests.agency.conftest import BRAND, NAME

PRODUCT = "Carewatch"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _page(client: Client, path: str, slug: str = "") -> str:
    """The page `path` ends at, with its CSRF token (and the slug it was asked for) blanked."""
    response = client.get(path, follow=True)
    assert response.status_code == 200, (path, response.status_code)
    html = CSRF.sub('name="csrfmiddlewaretoken" value="…"', response.content.decode())
    return html.replace(slug, "<slug>") if slug else html


def _names_nobody(html: str) -> bool:
    return not any(name in html for name in (BRAND, NAME, "Alpha Agency", PRODUCT))


@pytest.mark.parametrize(
    "route",
    ["", "portal/", "portal/approvals/", "incidents/", "settings/people/"],
    ids=["clinic", "portal", "approvals", "incidents", "settings"],
)
def test_signed_out_a_real_and_an_unknown_clinic_lead_to_the_same_sign_in_page(
    branded, clinic_a, route
):
    # when: signed out, a person opens a page of clinic A and of a clinic that does not exist
    real = _page(Client(), f"/clinics/clinic-a/{route}", "clinic-a")
    unknown = _page(Client(), f"/clinics/no-such-clinic/{route}", "no-such-clinic")
    # then: both end on the sign-in page, byte for byte the same, naming nobody
    assert 'id="signin-h">Sign in</h1>' in real
    assert real == unknown
    assert _names_nobody(real), re.findall(r"<title>.*?</title>", real)
    assert "<title>Sign in</title>" in real and 'class="brand"' not in real


@pytest.mark.parametrize("path", ["/login/", "/password-reset/", "/password-reset/sent/"])
def test_a_next_address_brands_no_signed_out_page(branded, clinic_a, path):
    assert _names_nobody(_page(Client(), path))
    pages = {
        slug: _page(Client(), f"{path}?next=/clinics/{slug}/portal/", slug)
        for slug in ("clinic-a", "clinic-c", "no-such-clinic")
    }
    assert pages["clinic-a"] == pages["clinic-c"] == pages["no-such-clinic"]
    assert _names_nobody(pages["clinic-a"])


def test_signed_in_the_sign_in_page_sends_on_and_names_no_other_agency(branded, login):
    # someone signed in is sent on to `next`, as signing in would; another agency's clinic
    # there answers the plain 404 anyone outside it gets, naming nobody else's agency
    response = login("a_approver").get("/login/?next=/clinics/clinic-c/portal/", follow=True)
    assert response.redirect_chain == [("/clinics/clinic-c/portal/", 302)]
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html and "Signed in as a_approver@" in html
    assert "Beta Agency" not in html


def _link_page(uid: str, token: str) -> str:
    return _page(Client(), f"/password-reset/{uid}/{token}/")


def _uid(pk: int) -> str:
    return urlsafe_base64_encode(force_bytes(pk))


@pytest.mark.parametrize("token", ["1a2b3c-0123456789abcdef0123", "set-password", "nonsense"])
def test_a_made_up_password_link_says_nothing_of_the_account(world, branded, clinic_a, token):
    # given: a clinic person with a password, one invited (no password yet), and nobody
    invited = clinic_member_add(
        clinic=clinic_a, email="nina@clinic-a.test", full_name="Nina Novak", role="approver"
    ).user
    assert not invited.has_usable_password()
    nobody = User.objects.order_by("-pk").first().pk + 1000
    # when: someone tries ids with a made-up token
    pages = {
        name: _link_page(_uid(pk), token)
        for name, pk in [
            ("with a password", world.users["a_approver"].pk),
            ("invited", invited.pk),
            ("staff", world.users["alpha_owner"].pk),
            ("nobody", nobody),
        ]
    }
    # then: every page is the one an unknown account gives, naming nobody
    assert "This link does not work" in pages["nobody"]
    assert {name for name, html in pages.items() if html != pages["nobody"]} == set()
    assert _names_nobody(pages["nobody"])
    assert "for a new invitation" not in pages["invited"]


class _Later(InvitationTokenGenerator):
    def _now(self):
        return super()._now() + timedelta(days=8)


def test_an_expired_invitation_keeps_its_agencys_brand(world, branded, clinic_a, monkeypatch):
    # given: a genuine invitation link, opened after it expired
    invited = clinic_member_add(
        clinic=clinic_a, email="nina@clinic-a.test", full_name="Nina Novak", role="approver"
    ).user
    token = invitation_token_generator.make_token(invited)
    monkeypatch.setattr(invitation_token_generator, "_now", _Later()._now)
    # then: it does not work, and says so in the brand of the agency that sent it
    html = _link_page(_uid(invited.pk), token)
    assert "This link does not work" in html
    assert f'<a class="brand" href="/">{BRAND}</a>' in html
    assert f"Ask the person who invited you at {BRAND} for a new invitation" in html
    assert PRODUCT not in html


def test_a_valid_reset_link_keeps_the_brand_and_a_used_one_loses_it(world, branded):
    user = world.users["a_viewer"]
    caches["default"].clear()  # the reset form's throttle
    mail.outbox.clear()
    Client().post("/password-reset/", {"email": user.email})
    path = re.search(r"http://\S+?(/password-reset/\S+/\S+/)", mail.outbox[-1].body).group(1)
    client = Client()
    page = client.get(path, follow=True)
    assert f'<a class="brand" href="/">{BRAND}</a>' in page.content.decode()
    password = "a brand new passphrase 42"
    done = client.post(
        page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    assert done.status_code == 302
    # the same link, used: it no longer says whose it was
    again = _page(Client(), path)
    assert "This link does not work" in again and _names_nobody(again)


def test_the_statement_colours_of_a_clinic_with_nothing_public_are_the_default(world, db):
    # clinic C's agency (Beta) has its own colour; clinic C has published no statement
    assert world.agencies["beta"].primary_colour == "#7A1FA2"
    real = Client().get("/statements/clinic-c/brand.css")
    unknown = Client().get("/statements/no-such-clinic/brand.css")
    assert real.status_code == unknown.status_code == 200
    assert real.content == unknown.content
    assert b"--brand:#1f6feb" in real.content.lower()
    # and the page itself is the same 404 for both
    assert Client().get("/statements/clinic-c/").content == (
        Client().get("/statements/no-such-clinic/").content
    )
