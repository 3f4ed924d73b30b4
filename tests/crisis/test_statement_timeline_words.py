"""A statement's approval steps on the incident's timeline name the version approved, in the
agency's copy and in the clinic's."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crisis.models import Incident, IncidentStatement
from crisis.timeline import review_timeline
from tests.crisis.conftest import NOW
from tests.responses.conftest import as_user  # noqa: F401 - the fixture


def test_a_statements_approvals_on_the_timeline_say_which_version(clinic_a, as_user):  # noqa: F811
    # given an incident's statement rewritten once (version 2), sent back by the agency,
    # then approved by the agency and the clinic
    writer, manager = as_user("alpha_writer", clinic_a), as_user("alpha_manager", clinic_a)
    sid = writer.post("statements/", {"title": "Hours", "body": "Open 8 to 6."}).json()["id"]
    writer.patch(f"statements/{sid}/", {"title": "Hours", "body": "Open 8 to 7."})
    writer.post(f"statements/{sid}/submit/")
    manager.post(f"statements/{sid}/reject/", {"comment": "Say the weekend too."})
    writer.post(f"statements/{sid}/submit/")
    manager.post(f"statements/{sid}/approve/")
    approved = as_user("a_approver", clinic_a).post(f"statements/{sid}/approve/").json()
    assert (approved["status"], approved["version"]) == ("approved", 2)
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.create(
            kind="surge", title="Surge", severity="high", trigger={}, opened_at=NOW,
            last_detected_at=NOW,
        )  # fmt: skip
        IncidentStatement.objects.create(incident=incident, statement_id=sid, added_at=NOW)

        staff = review_timeline(incident, clinic_a)
        client = review_timeline(incident, clinic_a, for_client=True)

    # then each decision names the version it was taken on
    assert [(line["what"], line["who"]) for line in staff if line["category"] == "approval"] == [
        (f"Statement #{sid}: rejected version 2", "Alpha Manager"),
        (f"Statement #{sid}: approved version 2", "Alpha Manager"),
        (f"Statement #{sid}: approved version 2", "A Approver"),
    ]
    assert [line["what"] for line in client if line["category"] == "approval"] == [
        "Statement: rejected version 2",
        "Statement: approved version 2",
        "Statement: approved version 2",
    ]
    # the steps that are not decisions keep their version tag
    assert (f"Statement #{sid} v2: submitted") in [line["what"] for line in staff]
