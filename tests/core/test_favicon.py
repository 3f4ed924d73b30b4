"""The tab's icon: every layout links one (the agency's logo where the page carries a brand,
else a plain icon with no product name), and /favicon.ico, which browsers ask the root for on
their own, answers instead of a 404 in the log on every page view (walk 11, finding 13)."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.test import Client

ICON = '<link rel="icon" href="/static/favicon.ico" sizes="48x48">'


def test_favicon_ico_leads_to_the_static_icon(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.ico"
    with open(finders.find("favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file
    with open(finders.find("favicon.svg"), encoding="utf-8") as svg:
        text = svg.read()
    assert text.startswith("<svg") and "Carewatch" not in text


def test_every_layout_links_an_icon(world, login):
    # the sign-in page (base.html), the portal (portal/base.html), a refused page
    # (plain_page.html)
    for client, path, status in [
        (Client(), "/login/", 200),
        (login("a_approver"), "/clinics/clinic-a/portal/", 200),
        (login("a_approver"), "/agency/", 404),
    ]:
        response = client.get(path)
        assert response.status_code == status, path
        html = response.content.decode()
        assert ICON in html, path
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html, path
