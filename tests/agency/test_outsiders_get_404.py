"""Every page under /agency/ answers people outside the agency (a clinic's people, another
agency's staff asking for this one) 404, as a page that does not exist, reading or posting: one
rule, `agency.views.StaffView`, as README says. Nothing is logged as an error and no
traceback is written (a 403 from PermissionDenied would log one). The pages are read from the
URL conf, so a page added later is in the matrix."""

from __future__ import annotations

import logging
import re

import pytest
from django.urls import URLResolver, get_resolver

# every signed-in person's navigation, not a page: the clinic switcher sends each to a clinic
# they reach (or back, with "Choose one of your clinics."), clinic people included
NOT_PAGES = {"/agency/go/"}
OUTSIDERS = ["a_approver", "a_viewer", "a_legal", "b_approver", "beta_owner"]


def _paths(patterns, prefix: str) -> list[str]:
    paths = []
    for pattern in patterns:
        route = str(pattern.pattern)
        route = re.sub(r"<int:\w+>", "1", route)
        route = re.sub(r"<(?:\w+:)?\w+>", "x", route)
        if isinstance(pattern, URLResolver):
            paths += _paths(pattern.url_patterns, prefix + route)
        else:
            paths.append(prefix + route)
    return paths


def agency_pages() -> list[str]:
    public = get_resolver("config.urls_public")
    agency = next(
        p for p in public.url_patterns if isinstance(p, URLResolver) and p.namespace == "agency"
    )
    return sorted(set(_paths(agency.url_patterns, "/" + str(agency.pattern))) - NOT_PAGES)


PAGES = agency_pages()


def test_the_matrix_reads_every_agency_page_from_the_url_conf():
    assert {"/agency/", "/agency/security-log/", "/agency/settings/people/",
            "/agency/privacy/requests/1/", "/agency/approvals-log/"} <= set(PAGES)  # fmt: skip
    assert len(PAGES) >= 13
    assert not NOT_PAGES & set(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_people_outside_the_agency_get_404_and_no_error_is_logged(world, login, path, caplog):
    for person in OUTSIDERS:
        # another agency's owner asks for this agency's page; a clinic's people just open it
        params = "?agency=alpha" if person == "beta_owner" else ""
        client = login(person, otp=person == "beta_owner")
        caplog.clear()
        with caplog.at_level(logging.INFO):
            answers = {"GET": client.get(path + params), "POST": client.post(path + params, {})}
        for method, response in answers.items():
            where = f"{method} {path} as {person}"
            assert response.status_code == 404, where
            assert response["Content-Type"].startswith("text/html"), where
            assert "This page does not exist" in response.content.decode(), where
        assert [r.getMessage() for r in caplog.records if r.exc_info] == [], person
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert not any("Forbidden" in r.getMessage() for r in caplog.records), person


def test_the_agencys_own_staff_keep_their_answers(world, login):
    # a writer inside the agency is told the page is not for their role (403), an owner reads
    assert login("alpha_writer").get("/agency/privacy/").status_code == 403
    assert login("alpha_writer").post("/agency/settings/people/", {}).status_code == 403
    assert login("alpha_owner").get("/agency/settings/people/").status_code == 200


def test_the_404_page_offers_a_clinic_person_to_switch_account(world, login):
    html = login("a_approver", otp=False).get("/agency/").content.decode()
    assert "Signed in as a_approver@clinics.test." in html
    assert '<form method="post" action="/logout/">' in html
