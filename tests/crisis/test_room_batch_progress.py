"""How far a batch answering an incident's claim got is counted by one rule
(`responses.selectors.reply_batch_progress`): "X of N published", N the mentions it still
answers, so a mention withdrawn with its review settled elsewhere is not waited for; "k
withdrawn" is said beside it when some were."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crisis.models import Incident, IncidentMention
from responses.selectors import reply_batch_progress
from scoring.models import ClaimCluster, ClaimMention
from tests.responses.conftest import OK_TEXT, Api, review_in


@pytest.mark.parametrize(
    ("states", "words", "of"),
    [
        (["published", "published", "waiting"], "2 of 3 published", 3),
        (["published", "withdrawn", "withdrawn"], "1 of 1 published, 2 withdrawn", 1),
        (
            ["published", "failed", "removed", "withdrawn"],
            "1 of 2 published, 1 failed, 1 withdrawn",
            2,
        ),
        (["withdrawn"], "0 of 0 published, 1 withdrawn", 0),
    ],
    ids=["none-gone", "withdrawn-left-out", "failed-removed-withdrawn", "all-withdrawn"],
)
def test_the_count_leaves_out_what_the_batch_no_longer_answers(states, words, of):
    progress = reply_batch_progress([{"state": s} for s in states])

    assert (progress["words"], progress["of"]) == (words, of)
    assert progress["withdrawn"] == states.count("withdrawn")


def test_the_room_counts_a_batch_without_its_withdrawn_mentions(clinic_a, login):
    # given an incident about a false claim, its three mentions answered by one batch
    reviews = [review_in(clinic_a) for _ in range(3)]
    now = timezone.now()
    with schema_context(clinic_a.schema_name):
        claim = ClaimCluster.objects.create(
            title="They reuse needles", misinformation=True, flags=["misinformation"],
            last_joined_at=now,
        )  # fmt: skip
        for review in reviews:
            ClaimMention.objects.create(
                review=review, cluster=claim, claim="They reuse needles", similarity=1.0
            )
        incident = Incident.objects.create(
            kind="misinformation", title="Misinformation: 3 mentions repeat one claim",
            severity="high", opened_at=now, last_detected_at=now,
            trigger={"kind": "misinformation", "explanation": "3 mentions", "numbers": {}},
        )  # fmt: skip
        IncidentMention.objects.bulk_create(
            [IncidentMention(incident=incident, review=r, added_at=now) for r in reviews]
        )
    writer = Api(login("alpha_writer"), clinic_a)
    created = writer.post(
        "reply-batches/",
        {"cluster_id": claim.pk, "review_ids": [r.pk for r in reviews], "text": OK_TEXT},
    )
    assert created.status_code == 201, created.json()
    bid = created.json()["id"]
    assert writer.post(f"reply-batches/{bid}/submit/").status_code == 200
    room = f"/clinics/clinic-a/incidents/{incident.pk}/"

    def shown() -> str:
        page = login("alpha_writer").get(room).content.decode()
        row = re.search(rf'<tr id="room-claim-{claim.pk}">(.*?)</tr>', page, re.S).group(1)
        return re.search(rf'<span data-batch-progress="{bid}">(.*?)</span>', row).group(1)

    assert shown() == "0 of 3 published"

    # when one of the mentions is resolved from the inbox, its reply withdrawn from the batch
    done = login("alpha_manager").post(
        "/clinics/clinic-a/inbox/", {"review": [reviews[0].pk], "status": "resolved"}
    )
    assert done.status_code == 302

    # then the room waits for the two it still answers, and says one was withdrawn
    assert shown() == "0 of 2 published, 1 withdrawn"
