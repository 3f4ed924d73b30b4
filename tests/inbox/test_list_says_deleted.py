"""Integrator walk-through finding: `GET reviews/?include_deleted=true&updated_after=…` (the
guide's incremental sync) listed a review taken down on its platform with nothing saying so:
`is_deleted` and `deleted_at` were only in `GET reviews/<id>/`. Every list item has them now."""

from __future__ import annotations

INGEST = "/clinics/clinic-a/api/v1/reviews/ingest/"
REVIEWS = "/clinics/clinic-a/api/v1/reviews/"
ITEM = {"source": "google", "external_id": "g-del-1", "published_at": "2026-12-01T10:00:00Z"}


def test_a_list_says_which_reviews_were_taken_down(api, clinic_a):
    client = api("key_a")
    pushed = client.post(
        INGEST,
        {"items": [{**ITEM, "text": "Gone soon"}, {**ITEM, "external_id": "g-live-1"}]},
        content_type="application/json",
    )
    gone_id, live_id = (r["id"] for r in pushed.json()["results"])
    synced_at = client.get(REVIEWS).json()["results"][0]["updated_at"]

    # when the platform takes the first one down
    taken = client.post(INGEST, {**ITEM, "deleted": True}, content_type="application/json")
    assert taken.json()["results"][0]["status"] == "updated"

    # then the sync's next page says so, as the review's own page does
    page = client.get(REVIEWS, {"include_deleted": "true", "updated_after": synced_at}).json()
    [gone] = page["results"]
    detail = client.get(f"{REVIEWS}{gone_id}/").json()
    assert (gone["id"], gone["is_deleted"]) == (gone_id, True)
    assert gone["deleted_at"] == detail["deleted_at"] is not None
    # and a review still up says it is not deleted
    live = {r["id"]: r for r in client.get(REVIEWS).json()["results"]}[live_id]
    assert (live["is_deleted"], live["deleted_at"]) == (False, None)
