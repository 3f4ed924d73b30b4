"""The alert banner polls every 5 seconds on every page (staff and portal). A poll is the page,
not the person: it must not push the idle timeout forward (a tab left open on an unattended
screen stayed signed in for ever), and a poll after the session ended sends the whole page to
the sign-in page (it pasted the sign-in page into the banner, with the poll's address as where
to go next). `accounts.middleware.SessionMiddleware`, `BackgroundSignInMiddleware`."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

PORTAL = "/clinics/clinic-a/portal/"
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "alert-banner"}


def _expiry(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def _age(client, minutes: int) -> None:
    """As if the person's last request was `minutes` ago: their session ends 30 - minutes from
    now."""
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=30 - minutes)
    )


def _poll(client, page: str, path: str):
    return client.get(path, HTTP_HX_CURRENT_URL=f"http://testserver{page}", **POLL)


def test_a_banner_poll_does_not_push_the_idle_timeout_and_a_page_does(login):
    for who, page, banner in (
        ("a_approver", f"{PORTAL}approvals/", f"{PORTAL}alerts/banner/"),
        ("alpha_writer", "/clinics/clinic-a/", "/alerts/banner/"),
    ):
        client = login(who)
        assert client.get(page).status_code == 200
        # given a person whose last request was 20 minutes ago, their page still open
        _age(client, 20)
        before = _expiry(client)
        # when its banner polls: the poll is answered, and the session still ends when it would
        response = _poll(client, page, banner)
        assert response.status_code == 200, who
        assert "Cookie" in response["Vary"]
        assert _expiry(client) == before, who
        # a request of the person's own pushes it forward by the idle time
        assert client.get(page).status_code == 200
        left = (_expiry(client) - timezone.now()).total_seconds()
        assert abs(left - 30 * 60) < 60, who


def test_a_poll_after_the_session_ended_sends_the_page_to_sign_in_and_back(login):
    client = login("a_approver")
    page = f"{PORTAL}approvals/?card=reply-3"
    assert client.get(page).status_code in (200, 400)
    # given the idle time has passed
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    # when the banner polls: the whole page goes to the sign-in page, back to where it was
    response = _poll(client, page, f"{PORTAL}alerts/banner/")
    assert response.status_code == 204
    assert response.content == b""
    assert (
        response["HX-Redirect"]
        == "/login/?next=%2Fclinics%2Fclinic-a%2Fportal%2Fapprovals%2F%3Fcard%3Dreply-3"
    )
    # the staff banner the same
    response = _poll(client, "/clinics/clinic-a/", "/alerts/banner/")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=%2Fclinics%2Fclinic-a%2F"
    # a page of another site named as the current one leads to the root, never there
    response = client.get(
        "/alerts/banner/", HTTP_HX_CURRENT_URL="https://evil.example/steal/", **POLL
    )
    assert response["HX-Redirect"] == "/login/?next=%2F"
    # a page asked for in the usual way is redirected in the usual way
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert "HX-Redirect" not in response
