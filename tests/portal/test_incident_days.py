"""The portal's incidents page filters by the days the incidents opened (From, To: whole days in
the clinic's time zone, both included, as the agency's incidents page and the API read
`opened_from` / `opened_to`); a date it cannot read, a start after the end, a day out of range
or a filter it does not have is said at the form (400) and nothing is listed; the resolved
incidents come in pages whose links keep the filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from clinics.models import clinic_zone
from core.days import DATE_HELP, DAY_OUT_OF_RANGE, RANGE_REVERSED
from crisis.models import Incident

PAGE = "/clinics/clinic-a/portal/incidents/"


def _incident(make, clinic, title: str, opened: datetime, *, resolved: datetime | None = None):
    incident = make.incident(title=title, status="resolved" if resolved else "open")
    with schema_context(clinic.schema_name):
        Incident.objects.filter(pk=incident.pk).update(
            opened_at=opened, last_detected_at=opened, resolved_at=resolved
        )
    return incident


def _listed(html: str) -> list[str]:
    return re.findall(r'<a href="/clinics/clinic-a/portal/incidents/\d+/">([^<]+)</a>', html)


@pytest.fixture
def march(rows, clinic_a):
    zone = clinic_zone(clinic_a)
    make = rows(clinic_a)

    def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
        return datetime(2026, month, day, hour, minute, tzinfo=zone)

    _incident(make, clinic_a, "Feb open", local(28, 23, 30, month=2))
    _incident(make, clinic_a, "Mar 1 open", local(1, 0, 10))
    _incident(make, clinic_a, "Mar 31 late resolved", local(31, 23, 30), resolved=local(31, 23, 50))
    _incident(
        make, clinic_a, "Apr 1 resolved", local(1, 0, 20, month=4), resolved=local(2, 9, 0, 4)
    )
    return zone


def test_from_and_to_keep_the_incidents_opened_on_those_days_in_the_clinics_zone(login, march):
    client = login("a_approver", otp=False)

    response = client.get(PAGE, {"opened_from": "2026-03-01", "opened_to": "2026-03-31"})

    assert response.status_code == 200
    html = response.content.decode()
    assert _listed(html) == ["Mar 1 open", "Mar 31 late resolved"]
    assert 'value="2026-03-01"' in html and 'value="2026-03-31"' in html  # kept in the form
    # one end only, and no filter at all
    only_from = _listed(client.get(PAGE, {"opened_from": "2026-04-01"}).content.decode())
    assert only_from == ["Apr 1 resolved"]
    assert _listed(client.get(PAGE, {"opened_to": "2026-02-28"}).content.decode()) == ["Feb open"]
    everything = _listed(client.get(PAGE).content.decode())
    assert everything == ["Mar 1 open", "Feb open", "Apr 1 resolved", "Mar 31 late resolved"]


def test_no_incident_on_those_days_is_said(login, march):
    html = login("a_approver", otp=False).get(PAGE, {"opened_from": "2026-06-01"})
    assert "No open incident opened on these days." in html.content.decode()
    assert "No resolved incident opened on these days." in html.content.decode()


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"opened_from": "2026-13-01"}, f"From: {DATE_HELP}"),
        ({"opened_to": "yesterday"}, f"To: {DATE_HELP}"),
        ({"opened_from": "0001-01-01"}, f"From: {DAY_OUT_OF_RANGE}"),
        ({"opened_from": "2026-03-31", "opened_to": "2026-03-01"}, f"To: {RANGE_REVERSED}"),
        ({"opened": "2026-03-01"}, "“opened”: the incidents page has no such filter."),
    ],
    ids=["month-13", "words", "out-of-range", "reversed", "unknown-filter"],
)
def test_a_filter_it_cannot_use_is_said_at_the_form_and_nothing_is_listed(
    login, march, params, said
):
    response = login("a_approver", otp=False).get(PAGE, params)

    assert response.status_code == 400
    html = response.content.decode()
    errors = html.split('data-testid="filter-errors"', 1)[1].split("</div>", 1)[0]
    assert f"<li>{said}</li>" in errors
    assert _listed(html) == []
    for name, value in params.items():
        if name in ("opened_from", "opened_to"):
            assert f'value="{value}"' in html  # what was typed stays in the form


def test_the_resolved_pages_keep_the_filters(login, rows, clinic_a):
    zone = clinic_zone(clinic_a)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=zone)
    make = rows(clinic_a)
    for n in range(21):
        opened = start + timedelta(hours=n)
        _incident(make, clinic_a, f"Resolved {n:02}", opened, resolved=opened + timedelta(hours=1))
    _incident(make, clinic_a, "Other month", datetime(2026, 5, 1, tzinfo=UTC), resolved=start)
    client = login("a_approver", otp=False)
    filters = "opened_from=2026-03-01&amp;opened_to=2026-03-31"

    first = client.get(PAGE, {"opened_from": "2026-03-01", "opened_to": "2026-03-31"})

    html = first.content.decode()
    assert _listed(html) == [f"Resolved {n:02}" for n in range(20, 0, -1)]
    assert "Resolved (21)" in html and "Page 1 of 2" in html
    assert f'<a href="?{filters}&amp;page=2">Older</a>' in html
    second = client.get(PAGE, {"opened_from": "2026-03-01", "opened_to": "2026-03-31", "page": 2})
    html = second.content.decode()
    assert _listed(html) == ["Resolved 00"]
    assert f'<a href="?{filters}&amp;page=1">Newer</a>' in html
