"""A refusal in the incident room is said in the form it came from, which takes the focus, with
what was typed kept: on a phone the room is many screens long, and a message at its top is out
of sight of the form (walk 1 on phones)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from crisis.models import Incident
from crisis.services import detector_settings_update, detectors_run
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)


@pytest.fixture
def incident(stream):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="An outbreak in the waiting room")
    [opened] = detectors_run(now=NOW, notify=False)
    return opened


def _form(html: str, action: str) -> str:
    start = html.index(f'name="action" value="{action}"')
    return html[html.rindex("<form", 0, start) : html.index("</form>", start)]


def _status(incident) -> str:
    with schema_context("clinic_clinic_a"):
        return Incident.objects.get(pk=incident.pk).status


def test_resolve_anyway_refused_is_said_at_its_form_with_the_reason_kept(incident, login):
    client = login("alpha_writer")
    url = f"/clinics/clinic-a/incidents/{incident.pk}/"

    answer = client.post(url, {"action": "resolve", "override_reason": "done done done done"})

    assert answer.status_code in (400, 409)
    html = answer.content.decode()
    form = _form(html, "resolve")
    assert 'data-testid="form-refused"' in form and 'role="alert"' in form
    assert "a repeated word or character is not a reason" in form
    # the reason typed is back, and the field takes the focus (the browser scrolls to it)
    assert re.search(
        r'<textarea id="override-reason"[^>]* autofocus[^>]*>done done done done<', form
    )
    # said once: not also as a message at the top of the page
    assert html.count("a repeated word or character is not a reason") == 1
    # and the other forms are as they were
    assert 'data-testid="form-refused"' not in _form(html, "note")
    assert "autofocus" not in _form(html, "statement")
    assert _status(incident) == "open"


def test_a_refused_statement_is_said_at_its_form_and_a_refused_status_at_its_own(incident, login):
    client = login("alpha_writer")
    url = f"/clinics/clinic-a/incidents/{incident.pk}/"

    answer = client.post(
        url, {"action": "statement", "title": "About it", "body": "See {fact:no-such-fact}."}
    )
    assert answer.status_code == 400
    form = _form(answer.content.decode(), "statement")
    assert 'data-testid="form-refused"' in form and "{fact:no-such-fact}" in form
    assert re.search(
        r'<textarea id="st-body"[^>]* autofocus[^>]*>See \{fact:no-such-fact\}\.<', form
    )
    assert 'value="About it"' in form

    refused = client.post(url, {"action": "status", "status": "open", "message": "why not"})
    assert refused.status_code >= 400
    form = _form(refused.content.decode(), "status")
    assert "cannot become open" in form
    assert 'value="why not"' in form and "autofocus" in form
    assert _status(incident) == "open"
