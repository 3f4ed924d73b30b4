"""An edit form (a statement, a fact, a reply in the editor) sent with an empty or missing
`expected_version` is refused ("This page is out of date: reload") and changes nothing: the
stale-version check is never skipped."""

from __future__ import annotations

import pytest

from tests.responses.conftest import review_in

MISSING = [{"expected_version": ""}, {"expected_version": "  "}, {}]
IDS = ["empty", "blank", "missing"]


def _refused(response) -> None:
    assert response.status_code == 400
    assert "This page is out of date: reload" in response.content.decode()


@pytest.mark.parametrize("version", MISSING, ids=IDS)
def test_a_statement_saved_without_its_version_is_refused(clinic_a, as_user, version):
    writer = as_user("alpha_writer", clinic_a)
    sid = writer.post("statements/", {"title": "Hours", "body": "Open 8 to 6."}).json()["id"]
    url = f"/clinics/{clinic_a.slug}/statements/{sid}/"
    for action in ("save", "submit", "publish"):
        body = {"action": action, "title": "Hours", "body": "Open 8 to 9.", **version}
        _refused(writer.client.post(url, body))
    stored = writer.get(f"statements/{sid}/").json()
    assert (stored["version"], stored["status"], stored["current"]["body"]) == (
        1,
        "draft",
        "Open 8 to 6.",
    )


@pytest.mark.parametrize("version", MISSING, ids=IDS)
def test_a_fact_saved_without_its_version_is_refused(clinic_a, as_user, version):
    manager = as_user("alpha_manager", clinic_a)
    fid = manager.post(
        "facts/", {"slug": "parking", "title": "Parking", "statement": "Free parking."}
    ).json()["id"]
    url = f"/clinics/{clinic_a.slug}/facts/{fid}/"
    edit = {"title": "Parking", "statement": "Paid parking.", "source": "", "topics": ""}
    _refused(manager.client.post(url, {"action": "save", **edit, **version}))
    _refused(manager.client.post(url, {"action": "deactivate", **version}))
    stored = manager.get(f"facts/{fid}/").json()
    assert (stored["version"], stored["statement"], stored["is_active"]) == (
        1,
        "Free parking.",
        True,
    )


@pytest.mark.parametrize("version", MISSING, ids=IDS)
def test_a_reply_saved_in_the_editor_without_its_version_is_refused(clinic_a, as_user, version):
    writer = as_user("alpha_writer", clinic_a)
    review = review_in(clinic_a)
    draft = writer.post(
        "drafts/", {"review_id": review.pk, "text": "Thank you for your visit."}
    ).json()
    url = f"/clinics/{clinic_a.slug}/replies/review/{review.pk}/"
    body = {"action": "save", "draft_id": draft["id"], "text": "Thanks, Sam.", **version}
    _refused(writer.client.post(url, body))
    stored = writer.get(f"drafts/{draft['id']}/").json()
    assert (stored["version"], stored["text"]) == (1, "Thank you for your visit.")
