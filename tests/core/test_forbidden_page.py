"""403: the product's page for people (where to go, how to switch account), JSON for the APIs;
neither says which rule refused or what is behind the page."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from core.views import permission_denied


@pytest.mark.parametrize(
    ("person", "path", "refusal"),
    [
        ("a_approver", "/clinics/clinic-a/settings/", "The agency's pages are for its staff."),
        (
            "a_viewer",
            "/clinics/clinic-a/settings/api-keys/",
            "The agency's pages are for its staff.",
        ),
        ("alpha_writer", "/clinics/clinic-a/settings/api-keys/", "does not allow this"),
        ("alpha_writer", "/agency/settings/api-keys/", "Only an agency owner or manager"),
    ],
    ids=[
        "portal-clinic-settings",
        "portal-api-keys",
        "writer-keys",
        "writer-agency-keys",
    ],
)
def test_a_refused_page_is_the_styled_403_with_a_way_on(person, path, refusal, login, world):
    client = login(person)
    # a clinic person reading a staff page is sent to the portal; posting there is refused
    response = client.post(path) if path.startswith("/clinics/") and person[:2] == "a_" else None
    response = response or client.get(path)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    # the product's layout, saying what happened in general terms
    assert '<link rel="stylesheet" href="/static/css/app.css">' in html
    # in the brand the person knows (the agency's name for staff, its brand for its clients)
    assert "<title>Not open to this account · Alpha Agency</title>" in html
    assert "<h1>This page is not open to your account</h1>" in html
    # a way back to the start page, and a way to switch account
    assert '<a href="/">Go to the start page</a>' in html
    assert f"Signed in as {world.users[person].email}." in html
    assert '<form method="post" action="/logout/">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    # and nothing of the rule, the view or the exception
    assert refusal not in html and "Forbidden" not in html and "Traceback" not in html


def test_the_sign_out_form_signs_out(login):
    client = login("a_approver")
    client.handler.enforce_csrf_checks = True
    html = client.get("/agency/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    # when the person sends the page's form
    assert client.post("/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    # then they are signed out
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("person", "path"),
    [
        ("a_approver", "/clinics/clinic-a/api/v1/api-keys/"),
        ("a_approver", "/api/v1/api-keys/"),
    ],
    ids=["clinic-api", "agency-api"],
)
def test_the_apis_keep_their_json_403(person, path, login):
    response = login(person).get(path)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail", "code"}


@pytest.mark.parametrize(
    "path", ["/api/v1/clinics/", "/clinics/clinic-a/api/v1/me/"], ids=["agency", "clinic"]
)
def test_the_handler_answers_json_on_api_paths(path):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    response = permission_denied(request, PermissionDenied("Internal rule 7 refused."))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.content.decode() == (  # the API's one format (core.http.JsonAnswer)
        '{"detail":"You do not have permission to perform this action.","code":"permission_denied"}'
    )


def test_the_page_offers_no_sign_out_to_nobody(db):
    request = RequestFactory().get("/agency/")
    request.user = AnonymousUser()
    response = permission_denied(request, PermissionDenied("Internal rule 7 refused."))
    html = response.content.decode()
    assert response.status_code == 403
    assert "This page is not open to your account" in html
    assert "/logout/" not in html and "Signed in as" not in html
    assert "Internal rule 7" not in html


def test_text_typed_into_a_refused_form_is_shown_back_to_copy(login, world, clinic_a):
    from agency.models import AgencyMembership
    from tests.responses.conftest import review_in

    # a writer demoted to analyst while the reply editor was open presses Save
    review = review_in(clinic_a)
    client = login("alpha_writer")
    AgencyMembership.objects.filter(user=world.users["alpha_writer"]).update(role="analyst")
    typed = "Thank you, Sam. We are sorry about the wait & will call you today."
    answer = client.post(f"/clinics/clinic-a/replies/review/{review.pk}/",
                         {"action": "save", "text": typed})  # fmt: skip
    assert answer.status_code == 403
    html = answer.content.decode()
    assert "What you typed was not saved" in html
    assert "We are sorry about the wait &amp; will call you today.</textarea>" in html
    # a refused page that was only read shows nothing of the kind
    assert "What you typed" not in client.get("/agency/settings/api-keys/").content.decode()
