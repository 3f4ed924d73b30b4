"""The owners' security log names the clinic of every line about one, on the page and in the
CSV (`clinic`, beside `clinic_id`), also after the clinic was deleted; it filters by event,
person, clinic (deleted ones too) and days (UTC), kept across pages and in the CSV, refusing
bad values at the form; and everyone but an owner gets 404, never 403, as README says."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime

import pytest
from django.db import connection

from accounts.actors import Actor
from accounts.models import SecurityEvent
from accounts.models import SecurityEventCode as Code
from accounts.services import security_event_record
from agency.views import SecurityLogView
from clinics.lifecycle import clinic_deactivate, clinic_delete
from clinics.services import clinic_create, clinic_member_add
from core.days import DAY_OUT_OF_RANGE, RANGE_REVERSED

LOG = "/agency/security-log/"
GONE_ID = 987_654_321  # a clinic id no clinic has (one deleted before this test)


def _rows(html: str) -> list[list[str]]:
    """The page's table as cells (the Clinic column is the fifth)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [cell.split("</td>", 1)[0] for cell in row.split("<td>")[1:]]
        for row in body.split("<tr>")[1:]
    ]


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def _old_line(**fields) -> SecurityEvent:
    """A line as written before lines kept their clinic's name."""
    return SecurityEvent.objects.create(**{"clinic_name": "", **fields})


def test_additions_to_two_clinics_name_each_clinic_on_the_page_and_in_the_csv(
    world, login, clinic_a, clinic_b
):
    # given one person added to two clinics alike
    for clinic in (clinic_a, clinic_b):
        clinic_member_add(
            clinic=clinic, email="twice@clinics.test", full_name="T", role="viewer",
            crisis_roles=["legal"],
        )  # fmt: skip
    added = SecurityEvent.objects.filter(target_email="twice@clinics.test").order_by("id")
    assert [(e.clinic_id, e.clinic_name) for e in added] == [
        (clinic_a.pk, "Clinic A"),
        (clinic_b.pk, "Clinic B"),
    ]
    client = login("alpha_owner")

    # when the owner reads them
    rows = _rows(client.get(LOG, {"person": "twice@"}).content.decode())
    exported = _csv(client.get(LOG, {"person": "twice@", "format": "csv"}))

    # then each line names its clinic, and the detail no longer carries it alone
    assert [(r[1].split(" <code>")[0], r[4], r[6]) for r in rows] == [
        ("Person added", "Clinic B", "as viewer · crisis roles: legal"),
        ("Person added", "Clinic A", "as viewer · crisis roles: legal"),
    ]
    assert [(r["clinic_id"], r["clinic"], r["event"]) for r in exported] == [
        (str(clinic_b.pk), "Clinic B", "member.added"),
        (str(clinic_a.pk), "Clinic A", "member.added"),
    ]
    header = list(exported[0])
    assert header[header.index("clinic_id") + 1] == "clinic"


def test_lines_without_a_clinic_say_none(world, login):
    security_event_record(event=Code.LOGIN_FAILED, actor_email="nobody@alpha.test")
    security_event_record(
        event=Code.MEMBER_ADDED, agency_id=world.agencies["alpha"].pk, actor_email="x@alpha.test"
    )
    client = login("alpha_owner")
    rows = _rows(client.get(LOG, {"person": "x@alpha.test"}).content.decode())
    assert [r[4] for r in rows] == ["—"]
    exported = _csv(client.get(LOG, {"person": "x@alpha.test", "format": "csv"}))
    assert [(r["clinic_id"], r["clinic"]) for r in exported] == [("", "")]


@pytest.mark.django_db
def test_a_deleted_clinic_stays_named_and_can_be_chosen(world, login):
    # given a clinic someone was added to, then deleted
    alpha = world.agencies["alpha"]
    clinic = clinic_create(agency=alpha, name="Northgate", slug="northgate-gone")
    gone_id = clinic.pk
    clinic_member_add(clinic=clinic, email="north@clinics.test", full_name="N", role="viewer")
    owner = Actor(user=world.users["alpha_owner"])
    clinic_deactivate(clinic=clinic, actor=owner, confirm_name=clinic.name)
    clinic_delete(clinic=clinic, actor=owner, confirm_name=clinic.name, confirmed=True)
    connection.set_schema_to_public()
    client = login("alpha_owner")

    # when the owner narrows the log to it
    page = client.get(LOG)
    narrowed = client.get(LOG, {"clinic": gone_id})
    exported = _csv(client.get(LOG, {"clinic": gone_id, "format": "csv"}))

    # then the filter offers it by name, and every line about it names it
    assert f'<option value="{gone_id}">Northgate (deleted)</option>' in page.content.decode()
    assert narrowed.status_code == 200
    rows = _rows(narrowed.content.decode())
    assert {r[4] for r in rows} == {"Northgate"}
    assert "Person added <code>member.added</code>" in {r[1] for r in rows}
    assert "Clinic deleted permanently <code>clinic.deleted</code>" in {r[1] for r in rows}
    assert {(r["clinic_id"], r["clinic"]) for r in exported} == {(str(gone_id), "Northgate")}
    assert "north@clinics.test" in {r["target_email"] for r in exported}


def test_older_lines_take_the_clinic_table_then_the_name_its_deletion_recorded(
    world, login, clinic_a
):
    # given lines written before lines kept their clinic's name: one of a clinic that exists,
    # one of a clinic deleted since (its deletion's line recorded its name in its detail), one
    # of a clinic nothing recorded
    alpha = world.agencies["alpha"].pk
    _old_line(
        event=Code.MEMBER_ADDED,
        agency_id=alpha,
        clinic_id=clinic_a.pk,
        target_email="old-a@clinics.test",
    )
    _old_line(
        event=Code.MEMBER_ADDED,
        agency_id=alpha,
        clinic_id=GONE_ID,
        target_email="old-gone@clinics.test",
    )
    _old_line(
        event=Code.CLINIC_DELETED,
        agency_id=alpha,
        clinic_id=GONE_ID,
        detail={"clinic_name": "Lakeview", "clinic_slug": "lakeview"},
    )
    _old_line(event=Code.MEMBER_ADDED, agency_id=alpha, clinic_id=GONE_ID + 1,
              target_email="old-unknown@clinics.test")  # fmt: skip
    client = login("alpha_owner")

    # when the owner reads and exports them
    html = client.get(LOG, {"person": "old-"}).content.decode()
    exported = _csv(client.get(LOG, {"person": "old-", "format": "csv"}))

    # then each names its clinic by the best name the log has
    assert [(r[3], r[4]) for r in _rows(html)] == [
        ("old-unknown@clinics.test", f"clinic {GONE_ID + 1} (name not recorded)"),
        ("old-gone@clinics.test", "Lakeview"),
        ("old-a@clinics.test", "Clinic A"),
    ]
    assert [r["clinic"] for r in exported] == [
        f"clinic {GONE_ID + 1} (name not recorded)",
        "Lakeview",
        "Clinic A",
    ]
    # and the deleted clinic is offered by the name its deletion recorded
    assert f'<option value="{GONE_ID}">Lakeview (deleted)</option>' in html
    narrowed = client.get(LOG, {"clinic": GONE_ID}).content.decode()
    assert [(r[3], r[4]) for r in _rows(narrowed)] == [
        ("—", "Lakeview"),
        ("old-gone@clinics.test", "Lakeview"),
    ]


def _at(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


@pytest.fixture
def dated_lines(world, clinic_a, clinic_b):
    """Lines of two people in two clinics on three UTC days (far from today's lines)."""
    alpha = world.agencies["alpha"].pk
    lines = [
        ("2031-03-01", "00:00:00", "ann@clinics.test", clinic_a, Code.MEMBER_ADDED),
        ("2031-03-01", "23:59:59", "bob@clinics.test", clinic_b, Code.MEMBER_ADDED),
        ("2031-03-02", "12:00:00", "ann@clinics.test", clinic_b, Code.MEMBER_REMOVED),
        ("2031-03-03", "00:00:00", "ann@clinics.test", clinic_a, Code.MEMBER_REMOVED),
    ]
    for day, clock, email, clinic, event in lines:
        SecurityEvent.objects.create(
            created_at=_at(day, clock), event=event, agency_id=alpha, clinic_id=clinic.pk,
            clinic_name=clinic.name, target_email=email,
        )  # fmt: skip


def _shown(client, **params) -> list[tuple[str, str, str]]:
    response = client.get(LOG, params)
    assert response.status_code == 200, response.content.decode()[:2000]
    return [(r[0][-26:-7], r[3], r[4]) for r in _rows(response.content.decode())]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"created_from": "2031-03-01", "created_to": "2031-03-01"}, [
            ("2031-03-01 23:59:59", "bob@clinics.test", "Clinic B"),
            ("2031-03-01 00:00:00", "ann@clinics.test", "Clinic A"),
        ], id="one-utc-day-both-ends"),
        pytest.param({"created_from": "2031-03-02"}, [
            ("2031-03-03 00:00:00", "ann@clinics.test", "Clinic A"),
            ("2031-03-02 12:00:00", "ann@clinics.test", "Clinic B"),
        ], id="from-only"),
        pytest.param({"created_from": "2031-03-01", "person": "ANN@"}, [
            ("2031-03-03 00:00:00", "ann@clinics.test", "Clinic A"),
            ("2031-03-02 12:00:00", "ann@clinics.test", "Clinic B"),
            ("2031-03-01 00:00:00", "ann@clinics.test", "Clinic A"),
        ], id="person-any-case"),
        pytest.param({"created_from": "2031-03-01", "clinic": "B"}, [
            ("2031-03-02 12:00:00", "ann@clinics.test", "Clinic B"),
            ("2031-03-01 23:59:59", "bob@clinics.test", "Clinic B"),
        ], id="clinic"),
        pytest.param({"created_from": "2031-03-01", "event": "member.removed", "clinic": "A"}, [
            ("2031-03-03 00:00:00", "ann@clinics.test", "Clinic A"),
        ], id="event-and-clinic"),
    ],
)  # fmt: skip
def test_each_filter_keeps_its_lines(world, login, clinic_a, clinic_b, dated_lines, params,
                                     expected):  # fmt: skip
    clinics = {"A": clinic_a.pk, "B": clinic_b.pk}
    if "clinic" in params:
        params = {**params, "clinic": clinics[params["clinic"]]}
    assert _shown(login("alpha_owner"), **params) == expected


def test_the_filters_stay_across_pages_and_apply_to_the_csv(
    world, login, clinic_a, dated_lines, monkeypatch
):
    monkeypatch.setattr(SecurityLogView, "PAGE", 1)
    client = login("alpha_owner")
    filters = {"person": "ann@", "clinic": clinic_a.pk, "created_from": "2031-03-01"}

    first = client.get(LOG, filters).content.decode()
    assert "Page 1 of 2" in first
    query = f"person=ann%40&amp;clinic={clinic_a.pk}&amp;created_from=2031-03-01"
    assert f'href="?{query}&amp;page=2">Older</a>' in first
    assert f'href="?{query}&amp;format=csv"' in first
    second = client.get(LOG, {**filters, "page": 2}).content.decode()
    assert [(r[3], r[4]) for r in _rows(second)] == [("ann@clinics.test", "Clinic A")]
    assert "Page 2 of 2" in second and "2031-03-01 00:00:00" in second

    exported = _csv(client.get(LOG, {**filters, "format": "csv"}))
    assert [(r["created_at"][:19], r["target_email"], r["clinic"]) for r in exported] == [
        ("2031-03-03T00:00:00", "ann@clinics.test", "Clinic A"),
        ("2031-03-01T00:00:00", "ann@clinics.test", "Clinic A"),
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"created_from": "2031-02-30"}, "From (UTC): Write a date like 2026-03-01.",
                     id="no-such-day"),
        pytest.param({"created_to": "yesterday"}, "To (UTC): Write a date like 2026-03-01.",
                     id="not-a-date"),
        pytest.param({"created_from": "0001-01-01"}, f"From (UTC): {DAY_OUT_OF_RANGE}",
                     id="day-out-of-range"),
        pytest.param({"created_from": "2031-03-02", "created_to": "2031-03-01"},
                     f"To (UTC): {RANGE_REVERSED}", id="reversed"),
        pytest.param({"clinic": "abc"}, "Clinic: Choose a clinic from the list.", id="clinic-text"),
        pytest.param({"clinic": "C"}, "Clinic: Choose a clinic from the list.",
                     id="another-agencys-clinic"),
        pytest.param({"clinic": "99999999999999999999"}, "Clinic: Choose a clinic from the list.",
                     id="clinic-huge"),
        pytest.param({"event": "nope"}, "Event: Choose an event from the list.", id="event"),
        pytest.param({"person": "x" * 255}, "Person (e-mail): An e-mail has at most 254 characters.",
                     id="person-too-long"),
        pytest.param({"colour": "red"}, "“colour”: the log has no such filter.", id="unknown"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("fmt", ["page", "csv"])
def test_bad_filters_are_refused_at_the_form(world, login, clinic_c, params, message, fmt):
    if params.get("clinic") == "C":
        params = {**params, "clinic": clinic_c.pk}
    if fmt == "csv":
        params = {**params, "format": "csv"}
    response = login("alpha_owner").get(LOG, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "These filters cannot be used: correct the fields marked." in html
    assert f"<li>{message}</li>" in html.replace("&quot;", '"')
    assert "<tbody>" not in html


@pytest.mark.parametrize(
    "name", ["alpha_manager", "alpha_writer", "alpha_analyst", "a_approver", "a_viewer",
             "b_approver", "beta_owner"],
)  # fmt: skip
@pytest.mark.parametrize("fmt", ["page", "csv"])
def test_everyone_but_an_owner_gets_404_and_no_traceback(world, login, name, fmt, caplog):
    params = {"format": "csv"} if fmt == "csv" else {}
    if name == "beta_owner":  # an owner of another agency, asking for this one
        params["agency"] = "alpha"
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = login(name).get(LOG, params)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert [r for r in caplog.records if r.exc_info] == []
    assert not any("Forbidden" in r.getMessage() for r in caplog.records)


def test_an_owner_reads_it_and_a_stranger_signs_in_first(world, login, client):
    assert login("alpha_owner").get(LOG).status_code == 200
    assert login("beta_owner").get(LOG).status_code == 200
    anonymous = client.get(LOG)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
