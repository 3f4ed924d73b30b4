"""A portal link an e-mail carried brands the sign-in page it leads to (signed out) with the
agency's brand the e-mail showed: the link carries a signature of the clinic's address
(`agency.brand_links`). A typed address, a signature made for another clinic, or one for a
clinic that does not exist gives the neutral page, so nobody learns by trying addresses that a
clinic exists or which agency serves it. Signed in, the page answers at its own address."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.test import Client

from agency.brand_links import BRAND_PARAM, brand_link
from clinics.notifications import absolute_url
from tests.agency.conftest import BRAND, NAME

REPORT = "/clinics/clinic-a/portal/report/?month=2026-11"


def _sign_in_page(next_url: str) -> str:
    response = Client().get(f"/login/?next={quote(next_url)}")
    assert response.status_code == 200
    return response.content.decode()


def _neutral(html: str) -> bool:
    return 'class="brand"' not in html and not any(n in html for n in (BRAND, NAME, "Carewatch"))


def test_an_e_mails_portal_link_is_signed_and_other_links_are_not(settings):
    signed = absolute_url(REPORT)
    assert signed.startswith(f"{settings.PUBLIC_BASE_URL}/clinics/clinic-a/portal/report/?")
    assert "month=2026-11&brand=" in signed
    assert absolute_url("/clinics/clinic-a/inbox/?x=1") == (
        f"{settings.PUBLIC_BASE_URL}/clinics/clinic-a/inbox/?x=1"
    )


def test_the_signed_link_brands_the_sign_in_page(branded, clinic_a):
    # when: signed out, the report e-mail's link leads to the sign-in page
    response = Client().get(brand_link(REPORT))
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    html = Client().get(response["Location"]).content.decode()
    # then: it carries the brand the e-mail showed
    assert f'<a class="brand" href="/">{BRAND}</a>' in html


def test_an_unsigned_or_foreign_signature_leaves_the_page_neutral(branded, clinic_a):
    signature = re.search(rf"{BRAND_PARAM}=([^&]+)", brand_link(REPORT)).group(1)
    pages = {
        "typed": _sign_in_page(REPORT),
        "forged": _sign_in_page(f"{REPORT}&{BRAND_PARAM}=abc"),
        "another clinic": _sign_in_page(
            f"/clinics/clinic-c/portal/report/?month=2026-11&{BRAND_PARAM}={signature}"
        ),
        "no such clinic (signed)": _sign_in_page(brand_link("/clinics/no-such-clinic/portal/")),
    }
    assert {name for name, html in pages.items() if not _neutral(html)} == set()


def test_signed_in_the_link_answers_at_the_pages_own_address(login):
    response = login("a_approver").get(brand_link(REPORT))
    assert response.status_code == 302 and response["Location"] == REPORT
