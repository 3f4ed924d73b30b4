"""The incident room's playbook leads to where each open step is done: on a phone the room is
many screens long, and the playbook is what says what to do next (walk 1 on phones)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from crisis.services import detector_settings_update, detectors_run
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)


@pytest.fixture
def incident(stream):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="An outbreak in the waiting room")
    [opened] = detectors_run(now=NOW, notify=False)
    return opened


def _steps(html: str) -> dict[str, str]:
    playbook = html[html.index('<ol class="playbook">') :]
    playbook = playbook[: playbook.index("</ol>")]
    return dict(re.findall(r'data-step="([a-z_]*)"[^>]*>(.*?)</li>', playbook, re.S))


def test_each_open_step_links_to_where_it_is_done_and_a_done_one_does_not(incident, login):
    client = login("alpha_writer")
    url = f"/clinics/clinic-a/incidents/{incident.pk}/"
    html = client.get(url).content.decode()
    steps = _steps(html)

    assert '<a href="#acknowledge">' in steps["acknowledged"]
    assert 'id="acknowledge"' in html
    assert '<a href="#statement-h">' in steps["statement_drafted"]
    assert '<a href="#statement-h">' in steps["statement_published"]
    assert '<a href="#mentions-h">' in steps["private"]
    assert 'href="#' in steps["answered"]
    # the review is not drafted before the incident is resolved: nothing to lead to
    assert "<a " not in steps["review"]
    for anchor in re.findall(r'href="#([a-z-]+)"', "".join(steps.values())):
        assert f'id="{anchor}"' in html, anchor

    # once acknowledged, that step is ticked and leads nowhere
    client.post(url, {"action": "acknowledge"})
    steps = _steps(client.get(url).content.decode())
    assert "<a " not in steps["acknowledged"]
    assert '<a href="#statement-h">' in steps["statement_drafted"]
