"""Finding (hostile-input tester): a NUL byte (or another control character) in any page form
answered a bare 400 page, and the typed text was only behind the Back button. The one input
check (`core.middleware.InputTextMiddleware`) now shows the form's text back on that page, for
every form of every page: the field flagged with its message and the character removed, the
rest of the form as it was sent, a password to type again (never shown back), and one button
that sends it again. Nothing is stored until then. The API answers a 400 naming the field, a
nested one by its path."""

from __future__ import annotations

import html
import re

import pytest
from django_tenants.utils import schema_context

from feeds.models import Source
from tests.responses.conftest import Api

SOURCES = "/clinics/clinic-a/sources/"


def _form(page: str) -> dict[str, str]:
    """The fields of the page's form to send again, as a browser would send them."""
    fields = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page):
        fields[html.unescape(name)] = html.unescape(value)
    for name, value in re.findall(
        r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S
    ):
        fields[html.unescape(name)] = html.unescape(value)
    return fields


def _sources(clinic) -> list[str]:
    with schema_context(clinic.schema_name):
        return list(Source.objects.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Relay\x00 hook", "Contains a NUL character (\\u0000), which cannot be stored."),
        ("Relay\x1b hook", "Contains a control character (U+001B), which is not text"),
    ],
    ids=["nul", "escape"],
)
def test_the_form_comes_back_with_the_text_and_sends_again(login, clinic_a, typed, message):
    client = login("alpha_manager")
    client.handler.enforce_csrf_checks = True
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(SOURCES).content.decode()
    )[1]
    sent = {"csrfmiddlewaretoken": token, "action": "add_webhook", "name": typed,
            "backlog_choice": "1", "backlog_past": "on"}  # fmt: skip

    # when the form is sent with the character in a field
    refused = client.post(SOURCES, sent)

    # then the page shows the field flagged, its text without the character, and nothing is added
    page = refused.content.decode()
    assert refused.status_code == 400
    assert f'<form method="post" action="{SOURCES}">' in page
    assert "“name”" in page and message in page
    assert _form(page) == {**sent, "name": "Relay hook"}
    assert _sources(clinic_a) == []

    # and sending it again as shown adds the source (the form's own token still holds)
    again = client.post(SOURCES, _form(page))
    assert again.status_code == 200, again.content[:300]
    assert _sources(clinic_a) == ["Relay hook"]


def test_a_password_is_never_shown_back(client):
    refused = client.post("/login/", {"username": "ann\x00@x.test", "password": "hunter2-secret"})
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "hunter2-secret" not in page
    assert '<input id="again-2" type="password" name="password" autocomplete="off">' in page
    assert _form(page) == {"username": "ann@x.test"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "facebook", "settings": {"page_id": "1\x00"}}, "settings.page_id"),
        ({"kind": "yelp", "credentials": {"api_key": "k\x00"}}, "credentials.api_key"),
        ({"kind": "webhook", "name": "Hook", "settings": {"a\x00": "x"}}, "settings.a?"),
    ],
    ids=["nested-value", "nested-write-only", "nested-key"],
)
def test_the_api_names_a_nested_field_with_a_nul(login, clinic_a, body, field):
    answer = Api(login("alpha_manager"), clinic_a).post("sources/", body)
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "fields": {field: ["Contains a NUL character (\\u0000), which cannot be stored."]},
    }
    assert _sources(clinic_a) == []
