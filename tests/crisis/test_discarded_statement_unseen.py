"""Walk 14: a statement drafted from the incident and discarded at the agency (the clinic never
saw it) was listed as "— discarded" in the post-crisis review sent to the clinic, and its
"Statement drafted" line was on the clinic's timeline. The clinic's copies leave it out; the
agency's keep it."""

from __future__ import annotations

from tests.crisis.conftest import ANYWAY
from tests.crisis.test_api import BASE, incidents  # noqa: F401 (the fixture)


def test_a_statement_discarded_before_the_clinic_saw_it_is_the_agencys_alone(
    incidents,  # noqa: F811
    login,
):
    incident = incidents["outbreak"]
    writer = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}/statements/"
    unseen = writer.post(url, {"title": "First try", "body": "No outbreak."}, "application/json")
    assert writer.post(f"{BASE}/statements/{unseen.json()['id']}/discard/").status_code == 200
    # one that reached the clinic (its legal review) and was discarded after stays in both
    seen = writer.post(
        url, {"title": "Second try", "body": "No outbreak at all."}, "application/json"
    )
    sid = seen.json()["id"]
    writer.post(f"{BASE}/statements/{sid}/submit/")
    assert login("alpha_manager").post(f"{BASE}/statements/{sid}/approve/").status_code == 200
    assert writer.post(f"{BASE}/statements/{sid}/discard/").status_code == 200
    manager = login("alpha_manager")
    assert (
        manager.post(
            f"{BASE}/incidents/{incident.pk}/status/",
            {"status": "resolved", "override_reason": ANYWAY},
        ).status_code
        == 200
    )
    assert manager.post(f"{BASE}/incidents/{incident.pk}/review/send/").status_code == 200

    # the clinic's timeline and review copy say nothing of the first
    approver = login("a_approver")
    timeline = approver.get(f"{BASE}/incidents/{incident.pk}/").json()["timeline"]
    assert not [line for line in timeline if "First try" in line["message"]]
    portal = approver.get(f"/clinics/clinic-a/portal/incidents/{incident.pk}/review/")
    html = portal.content.decode()
    assert portal.status_code == 200
    assert "First try" not in html and "Second try" in html
    # the agency's copy keeps both
    staff = manager.get(f"/clinics/clinic-a/incidents/{incident.pk}/review/").content.decode()
    assert "First try" in staff and "Second try" in staff
