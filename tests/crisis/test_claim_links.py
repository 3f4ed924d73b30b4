"""An incident about a false claim holds every mention of the claim (its claim cluster): those
published after it opened, those that joined the claim later, those in the claim that were not
flagged themselves; so the incident room's claim, its linked mentions, the "one answer" batch
offered from the room and the post-crisis review count the same mentions. Linked once, on the
detectors' run after scoring; a resolved incident is left as it is; another clinic's claim
never links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from crisis.metrics import review_metrics
from crisis.models import EventKind, Incident, IncidentMention
from crisis.services import detectors_run
from crisis.services.common import event_add
from feeds.models import Source
from responses.models import ReplyBatch, ReplyBatchVersion
from scoring.claims.selectors import cluster_get, cluster_review_ids
from scoring.claims.services import claims_cluster
from scoring.models import ClaimCluster, ClaimMention
from tests.crisis.conftest import NOW, Stream, resolved_anyway

MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)
CLAIM = "Riverside Family Dental reuses needles"
VIRAL = "Riverside Family Dental reuses needles. Share before they delete this!"
FLAGGED = [
    {
        "name": "misinformation",
        "evidence": ["reuses needles"],
        "probability": 0.95,
        "claim": {"text": CLAIM, "start": 0, "end": len(CLAIM)},
        "contradicts": {
            "kind": "fact",
            "slug": "single-use-needles",
            "statement": "Every needle we use is single-use and sealed.",
            "similarity": 0.8,
        },
    }
]
CLAIM_LINE = re.compile(r"(\d+) more mentions? of its false claim linked \((\d+) in all\)\.")


@pytest.fixture(autouse=True)
def _no_earlier_claims(clinic_a, clinic_b):
    """Each test starts from clinics without claims: the shared world's clinics also hold what
    a real worker's scoring committed for other tests (deleted inside the test's transaction,
    so they come back afterwards)."""
    for clinic in (clinic_a, clinic_b):
        with schema_context(clinic.schema_name):
            ClaimMention.objects.all().delete()
            ClaimCluster.objects.all().delete()


def _mentions(stream: Stream, *times, flagged=True, text=CLAIM, engagement=(0, 0, 0)):
    """Mentions of the claim published at `times`, scored negative (flagged as misinformation
    or not), not clustered yet."""
    for at in times:
        stream.item(
            at,
            label="negative",
            kind="mention",
            text=text,
            engagement=engagement,
            flags=FLAGGED if flagged else [],
        )
    return stream.flush()


def _clustered(*reviews) -> None:
    """What the scoring task does after scoring (without the encoder: the same words)."""
    claims_cluster(review_ids=[r.pk for r in reviews], embed=None)


def _run(now):
    return detectors_run(now=now, notify=False)


def _linked(incident) -> set[int]:
    return set(
        IncidentMention.objects.filter(incident=incident).values_list("review_id", flat=True)
    )


def _claim_lines(incident) -> list[tuple[int, int]]:
    return [
        tuple(map(int, CLAIM_LINE.fullmatch(e.message).groups()))
        for e in incident.events.filter(kind=EventKind.MENTIONS_ADDED).order_by("at", "id")
        if CLAIM_LINE.fullmatch(e.message)
    ]


def test_the_pile_on_incident_holds_every_mention_of_its_claim_and_the_figures_agree(
    social, clinic_a, login
):
    # given three flagged copies of the claim and one mention of it that was not flagged, all
    # clustered into one claim: the misinformation detector opens an incident
    first = _mentions(social, NOW - 60 * MIN, NOW - 55 * MIN, NOW - 50 * MIN)
    [quiet] = _mentions(social, NOW - 52 * MIN, flagged=False)
    _clustered(*first, quiet)
    [incident] = _run(NOW - 49 * MIN)
    assert incident.kind == "misinformation"
    # then the mention that was not flagged is held too, and the timeline says so once
    assert _linked(incident) == {r.pk for r in [*first, quiet]}
    assert _claim_lines(incident) == [(1, 4)]

    # when more copies arrive (one not flagged), and a mention published well before the
    # incident opened joins the claim only later (its clustering was left to the sweeper); it
    # came more than a surge window before the pile-on, so it is no part of the surge's build-up
    [late] = _mentions(social, NOW - 240 * MIN, flagged=False)
    more = _mentions(social, *(NOW - (45 - 5 * n) * MIN for n in range(5)))
    [quiet2] = _mentions(social, NOW - 40 * MIN, flagged=False)
    _clustered(*more, quiet2)
    _run(NOW - 20 * MIN)
    _clustered(late)
    # and the viral post, then copies published after the incident opened
    [viral] = _mentions(social, NOW - 15 * MIN, text=VIRAL, engagement=(1200, 300, 90))
    after = _mentions(social, *(NOW + n * 5 * MIN for n in range(1, 5)))
    [quiet3] = _mentions(social, NOW + 10 * MIN, flagged=False)
    unrelated = social.add(NOW + 12 * MIN, label="positive", kind="mention", text="Lovely staff")
    _clustered(viral, *after, quiet3, unrelated)
    assert _run(NOW + 30 * MIN) == []

    # then one incident holds exactly the claim's mentions: 12 flagged copies, the viral post
    # and 4 mentions not flagged themselves
    claim = ClaimCluster.objects.get()
    members = set(cluster_review_ids(claim.pk))
    assert len(members) == 17
    assert {late.pk, quiet.pk, quiet2.pk, quiet3.pk, viral.pk} <= members
    assert Incident.objects.count() == 1
    assert _linked(incident) == members
    assert unrelated.pk not in _linked(incident)
    # and the mentions linked for the claim are on the timeline, one line per run
    assert _claim_lines(incident) == [(1, 4), (6, 10), (7, 17)]
    [last] = incident.events.filter(kind=EventKind.MENTIONS_ADDED, at=NOW + 30 * MIN)
    assert set(last.data["review_ids"]) == {late.pk, viral.pk, quiet3.pk, *(r.pk for r in after)}
    assert last.data["claim_ids"] == [claim.pk]
    # and the other detectors that saw the pile-on (a surge, the viral post) joined it
    also = set(
        incident.events.filter(kind=EventKind.ALSO_DETECTED).values_list("data__kind", flat=True)
    )
    assert also == {"surge", "viral"}

    assert cluster_get(claim.pk).mention_count == 17
    # and the post-crisis review counts them as flagged only: nobody answered the claim as
    # false yet (the checker's flag alone is no false claim)
    metrics = review_metrics(incident, now=NOW + 90 * MIN)
    assert (metrics["mentions_linked"], metrics["false_claims"]) == (17, 0)
    assert (metrics["false_claims_flagged_only"], metrics["false_claim_clusters"]) == (17, 0)

    # when the writer opens the incident room
    page = login("alpha_writer").get(f"/clinics/clinic-a/incidents/{incident.pk}/").content.decode()
    # then the claim, the linked mentions and the one answer offered count the same 17
    row = re.search(rf'<tr id="room-claim-{claim.pk}">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", row)[0] == "17"
    assert "Linked mentions (17)" in page
    assert "Answer all 17" in page

    # when the writer answers the claim from the room
    answered = login("alpha_writer").post(
        "/clinics/clinic-a/replies/batches/new/",
        {
            "cluster_id": claim.pk,
            "answer": "reply",
            "next": f"/clinics/clinic-a/incidents/{incident.pk}/",
        },
        follow=True,
    )
    # then the batch answers the incident's 17 mentions
    assert "One reply drafted for 17 mentions." in answered.content.decode()
    with schema_context(clinic_a.schema_name):  # the requests left the clinic's schema
        version = ReplyBatchVersion.objects.get(batch=ReplyBatch.objects.get())
        assert set(version.review_ids) == _linked(incident)


def test_linking_the_claim_is_idempotent_and_a_mention_that_leaves_it_stays_linked(social):
    copies = _mentions(social, NOW - 30 * MIN, NOW - 25 * MIN, NOW - 20 * MIN)
    [quiet] = _mentions(social, NOW - 22 * MIN, flagged=False)
    _clustered(*copies, quiet)
    [incident] = _run(NOW - 10 * MIN)
    events = incident.events.count()
    assert len(_linked(incident)) == 4
    # when the detectors run again with nothing new
    _run(NOW - 5 * MIN)
    # then nothing is linked twice and the timeline has no new line about it
    assert IncidentMention.objects.filter(incident=incident).count() == 4
    assert incident.events.filter(kind=EventKind.MENTIONS_ADDED).count() == 1
    assert incident.events.count() == events
    # when a mention leaves the claim (its text was edited: scoring forgets its claim)
    ClaimMention.objects.filter(review=quiet).delete()
    _run(NOW)
    # then the record stays true to what happened: it stays linked
    assert quiet.pk in _linked(incident)


def test_a_resolved_incident_is_not_changed_and_its_mentions_stay_its_own(
    social, django_capture_on_commit_callbacks
):
    copies = _mentions(social, NOW - 30 * MIN, NOW - 25 * MIN, NOW - 20 * MIN)
    _clustered(*copies)
    [incident] = _run(NOW - 10 * MIN)
    incident = resolved_anyway(incident, django_capture_on_commit_callbacks, at=NOW)
    events = incident.events.count()
    # when another mention of its claim arrives and is clustered after it was resolved
    [quiet] = _mentions(social, NOW + 5 * MIN, flagged=False)
    [before] = _mentions(social, NOW - 5 * MIN, flagged=False)
    _clustered(quiet, before)
    _run(NOW + 10 * MIN)
    # then the resolved incident is as it was
    assert _linked(incident) == {r.pk for r in copies}
    assert incident.events.count() == events
    # and a new incident of the same claim takes in neither the resolved one's mentions nor
    # those published before it was resolved
    reopened = Incident.objects.create(
        kind="misinformation", title="The claim again", severity="medium", opened_at=NOW + HOUR,
        last_detected_at=NOW + HOUR,
    )  # fmt: skip
    IncidentMention.objects.create(incident=reopened, review=quiet, added_at=NOW + HOUR)
    [again] = _mentions(social, NOW + 65 * MIN, flagged=False)
    _clustered(again)
    _run(NOW + 70 * MIN)
    assert _linked(reopened) == {quiet.pk, again.pk}


def test_only_incidents_about_a_claim_take_in_its_mentions(social):
    # given a surge incident holding one flagged mention of a claim with another mention (from
    # before the surge's window: the surge detector would link it itself)
    [flagged] = _mentions(social, NOW - 30 * MIN)
    [quiet] = _mentions(social, NOW - 200 * MIN, flagged=False)
    _clustered(flagged, quiet)
    incident = Incident.objects.create(
        kind="surge", title="Negative surge", severity="medium", opened_at=NOW - 20 * MIN,
        last_detected_at=NOW - 20 * MIN,
    )  # fmt: skip
    IncidentMention.objects.create(incident=incident, review=flagged, added_at=NOW - 20 * MIN)
    # when the detectors run: a surge is not about the claim
    _run(NOW - 10 * MIN)
    assert _linked(incident) == {flagged.pk}
    # but once the misinformation detector saw the same crisis and joined it, it is
    event_add(
        incident=incident,
        kind=EventKind.ALSO_DETECTED,
        message="Also detected (misinformation): …",
        data={"kind": "misinformation", "key": ""},
        at=NOW - 9 * MIN,
    )
    _run(NOW - 5 * MIN)
    assert _linked(incident) == {flagged.pk, quiet.pk}


def test_another_clinics_identical_claim_never_links(social, clinic_a, clinic_b):
    # given the same claim in clinic B, with an incident there holding one of its mentions
    with schema_context(clinic_b.schema_name):
        theirs = Stream(source=Source.objects.create(kind="facebook", name="Facebook"))
        b_first = _mentions(theirs, NOW - 30 * MIN)
        b_quiet = _mentions(theirs, NOW - 28 * MIN, NOW - 27 * MIN, flagged=False)
        _clustered(*b_first, *b_quiet)
        b_incident = Incident.objects.create(
            kind="misinformation", title="B's claim", severity="medium",
            opened_at=NOW - 20 * MIN, last_detected_at=NOW - 20 * MIN,
        )  # fmt: skip
        IncidentMention.objects.create(incident=b_incident, review=b_first[0], added_at=NOW)
    # and clinic A's pile-on of the identical claim
    copies = _mentions(social, NOW - 30 * MIN, NOW - 25 * MIN, NOW - 20 * MIN)
    [quiet] = _mentions(social, NOW - 22 * MIN, flagged=False)
    _clustered(*copies, quiet)
    # when clinic A's detectors run
    [incident] = _run(NOW - 10 * MIN)
    # then A's incident holds A's claim only, and B's incident is untouched
    assert _linked(incident) == {r.pk for r in [*copies, quiet]}
    with schema_context(clinic_b.schema_name):
        assert _linked(b_incident) == {b_first[0].pk}
        assert b_incident.events.count() == 0
        # and B's own run links B's claim only
        _run(NOW - 10 * MIN)
        assert _linked(b_incident) == {b_first[0].pk, *(r.pk for r in b_quiet)}
    assert _linked(incident) == {r.pk for r in [*copies, quiet]}
