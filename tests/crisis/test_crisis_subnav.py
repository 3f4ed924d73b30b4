"""The crisis row under the clinic's tabs repeats no tab: the incidents are the Incidents tab,
the row adds the response plan and marks it when shown."""

from __future__ import annotations

import re

A = "/clinics/clinic-a/"


def _row(html: str) -> str:
    return re.search(r'<nav class="subnav" aria-label="Crisis">(.*?)</nav>', html, re.S).group(1)


def test_the_crisis_row_adds_only_the_response_plan(login):
    client = login("alpha_owner")
    incidents = client.get(A + "incidents/").content.decode()
    assert re.findall(r"<a [^>]*>([^<]+)</a>", _row(incidents)) == ["Response plan"]
    assert '<a href="/clinics/clinic-a/incidents/" aria-current="page">Incidents</a>' in incidents
    plan = client.get(A + "response-plan/").content.decode()
    assert _row(plan).strip() == (
        '<a href="/clinics/clinic-a/response-plan/" aria-current="page">Response plan</a>'
    )
