"""Walk 14 (an integrator): the agency's copy of an incident's timeline (`incidents/<id>/` and
`incidents/<id>/timeline/`) lacked the statement approved and published that the clinic's copy
says; an agency mirror built from it never learned them. Both copies now carry those steps,
each in its own side's words."""

from __future__ import annotations

from tests.crisis.test_api import BASE, incidents  # noqa: F401 (the fixture)


def _kinds(lines) -> list[str]:
    return [line["kind"] for line in lines]


def test_the_agency_copy_says_the_statement_was_approved_and_published(incidents, login):  # noqa: F811
    incident = incidents["outbreak"]
    writer = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}/statements/"
    body = {"title": "About the outbreak", "body": "There is no outbreak at the clinic."}
    sid = writer.post(url, body, "application/json").json()["id"]
    writer.post(f"{BASE}/statements/{sid}/submit/")
    assert login("alpha_manager").post(f"{BASE}/statements/{sid}/approve/").status_code == 200
    assert login("a_approver").post(f"{BASE}/statements/{sid}/approve/").json()["status"] == (
        "approved"
    )
    assert writer.post(f"{BASE}/statements/{sid}/publish/").json()["status"] == "published"

    # when the agency and the clinic read the incident's timeline
    manager = login("alpha_manager")
    agency = manager.get(f"{BASE}/incidents/{incident.pk}/").json()
    agency_all = manager.get(f"{BASE}/incidents/{incident.pk}/timeline/?page_size=100").json()
    clinic = login("a_approver").get(f"{BASE}/incidents/{incident.pk}/").json()

    # then both say it was approved, then published, after it was drafted
    for lines in (agency["timeline"], list(reversed(agency_all["results"])), clinic["timeline"]):
        kinds = _kinds(lines)
        assert "statement_approved" in kinds and "statement_published" in kinds, kinds
        assert kinds.index("statement") < kinds.index("statement_approved")
        assert kinds.index("statement_approved") < kinds.index("statement_published")
    assert agency["timeline_count"] == len(agency_all["results"])
    # in the agency's words: the clinic's page, not "your" page; no id (not an event)
    published = next(e for e in agency["timeline"] if e["kind"] == "statement_published")
    assert published["id"] is None
    assert "was published on Clinic A's public statement page" in published["message"]
    assert "your public statement page" not in published["message"]
    # the agency copy keeps its events with their ids and data
    opened = next(e for e in agency["timeline"] if e["kind"] == "opened")
    assert opened["id"] is not None and opened["data"]
