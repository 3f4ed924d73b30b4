"""The detectors on synthetic streams: what opens an incident, what does not, and that one
crisis is one incident."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crisis.models import EventKind, Incident, IncidentMention
from crisis.services import detector_settings_update, detectors_run, incident_status_set
from tests.crisis.conftest import ANYWAY, NOW, acting, calm_baseline

MIN = timedelta(minutes=1)


def _run(now=NOW, **kwargs):
    return detectors_run(now=now, notify=False, **kwargs)


def test_a_calm_month_with_noise_opens_nothing(stream):
    # given a busy clinic's ordinary month (~48 items a day, a fifth negative)
    made = calm_baseline(stream)
    assert made > 1000
    # when the detectors run at several moments of its last day
    opened = [i for hours in range(0, 24, 3) for i in _run(now=NOW - timedelta(hours=hours))]
    # then nothing opens
    assert opened == []
    assert Incident.objects.count() == 0


def test_a_surge_opens_one_incident_inside_the_window_and_later_negatives_attach(stream):
    calm_baseline(stream)
    # given 20 negatives arriving over the 50 minutes before NOW, one every 2.5 minutes
    start = NOW - timedelta(minutes=50)
    for n in range(20):
        stream.item(start + n * timedelta(seconds=150), label="negative", rating=1)
    stream.flush()
    # when the detectors run every 10 minutes through it
    opened = []
    for minutes in range(0, 51, 10):
        opened += _run(now=start + timedelta(minutes=minutes) + MIN)
    # then exactly one incident opened, well inside the 2-hour detection window
    assert len(opened) == 1
    incident = Incident.objects.get()
    assert incident.kind == "surge"
    assert start < incident.opened_at <= start + timedelta(minutes=31)
    numbers = incident.trigger["numbers"]
    assert numbers["count"] >= 5 and numbers["p_value"] <= 0.001
    assert (
        "negative reviews and mentions in 2 h against a baseline of"
        in (incident.trigger["explanation"])
    )
    # and the negatives that came after it are linked to it, not to a new incident
    linked = IncidentMention.objects.filter(incident=incident).count()
    assert linked >= 20
    assert incident.events.filter(kind=EventKind.MENTIONS_ADDED).exists()
    # and more negatives later attach to the same incident
    late = stream.add(NOW + 5 * MIN, label="negative", rating=2)
    assert _run(now=NOW + 6 * MIN) == []
    assert Incident.objects.count() == 1
    assert IncidentMention.objects.filter(incident=incident, review=late).exists()


def test_a_quiet_clinics_two_negatives_open_nothing(stream):
    # given a quiet clinic: a handful of items a week
    calm_baseline(stream, per_day=0.5, negative_share=0.1)
    # when two negatives arrive within the hour
    stream.add(NOW - 30 * MIN, label="negative", rating=1)
    stream.add(NOW - 10 * MIN, label="negative", rating=1)
    # then nobody is paged
    assert _run() == []


def test_a_quiet_clinic_with_a_real_burst_opens_one(stream):
    calm_baseline(stream, per_day=0.5, negative_share=0.1)
    for n in range(6):
        stream.item(NOW - (40 - 5 * n) * MIN, label=None, rating=1)  # unscored, rated 1
    stream.flush()
    [incident] = _run()
    assert incident.kind == "surge" and incident.trigger["numbers"]["count"] == 6
    assert incident.severity == "critical"


def test_a_second_detector_seeing_the_same_crisis_joins_its_incident(stream):
    calm_baseline(stream, per_day=20, mention_share=0)
    # given twenty 1-star reviews in the last hour: a surge, and a rating drop too (the drop
    # must reach the calibrated minimum effect size of 1.2 stars over the last 24 hours)
    for n in range(20):
        stream.item(NOW - (60 - 3 * n) * MIN, label="negative", rating=1)
    stream.flush()
    # then one incident opens, and the rating drop is on its timeline
    [incident] = _run()
    assert incident.kind == "surge"
    [also] = incident.events.filter(kind=EventKind.ALSO_DETECTED)
    assert also.data["kind"] == "rating_drop"
    assert "Average rating" in also.message
    # and saying so once is enough
    assert _run(now=NOW + MIN) == []
    assert Incident.objects.count() == 1
    assert incident.events.filter(kind=EventKind.ALSO_DETECTED).count() == 1
    # once it is resolved, its mentions open nothing of any kind again
    incident_status_set(
        incident_id=incident.pk,
        status="resolved",
        override_reason=ANYWAY,
        actor=acting("t"),
        now=NOW + 2 * MIN,
    )
    assert _run(now=NOW + 30 * MIN) == []


def test_a_viral_post_opens_one(stream, social):
    calm_baseline(stream, per_day=20)
    # given a mention published 90 minutes ago with 600 likes, shares and replies
    post = social.add(
        NOW - timedelta(minutes=90),
        label="negative",
        kind="mention",
        text="This clinic turned my mother away",
        engagement=(450, 120, 30),
    )
    # and a popular positive post, which is not a crisis
    social.add(NOW - 60 * MIN, label="positive", kind="mention", engagement=(900, 10, 10))
    [incident] = _run()
    assert incident.kind == "viral"
    assert incident.trigger["numbers"]["review_id"] == post.pk
    assert incident.trigger["numbers"]["per_hour"] == 400.0
    assert "gained 600 likes, shares and replies in 1.5 h" in incident.trigger["explanation"]
    assert list(incident.mentions.values_list("pk", flat=True)) == [post.pk]
    # and running again does not open a second one
    assert _run(now=NOW + 15 * MIN) == []


def test_misinformation_repeating_one_claim_opens_one(stream, social):
    calm_baseline(stream, per_day=20)
    flag = [{"name": "misinformation", "evidence": ["vaccine"], "probability": 0.9}]
    claim = [
        "The clinic vaccines cause autism in kids, avoid them",
        "Heard their vaccines cause autism in small kids",
        "Vaccines from this place cause autism!! kids at risk",
        "My cousin says the clinic vaccines cause autism in kids",
    ]
    for n, text in enumerate(claim):
        social.item(
            NOW - (300 - 60 * n) * MIN, label="negative", kind="mention", text=text, flags=flag
        )
    # an unrelated flagged mention stays out of the cluster
    social.item(
        NOW - 20 * MIN,
        label="neutral",
        kind="mention",
        text="Parking is free on Sundays",
        flags=flag,
    )
    # and a low-probability flag does not count
    social.item(
        NOW - 10 * MIN,
        label="negative",
        kind="mention",
        text="vaccines cause autism kids",
        flags=[{"name": "misinformation", "evidence": [], "probability": 0.2}],
    )
    social.flush()
    [incident] = _run()
    assert incident.kind == "misinformation"
    numbers = incident.trigger["numbers"]
    assert numbers["cluster_size"] == 4 and numbers["flagged"] == 5
    assert {"vaccine", "autism", "kid"} <= set(numbers["shared_words"])
    assert incident.links.count() == 4


def test_two_flagged_mentions_are_not_yet_a_campaign(social):
    flag = [{"name": "misinformation", "evidence": []}]
    social.item(NOW - 50 * MIN, kind="mention", text="vaccines cause autism in kids", flags=flag)
    social.item(NOW - 40 * MIN, kind="mention", text="their vaccines cause autism", flags=flag)
    social.flush()
    assert _run() == []


def test_a_watch_word_opens_one_per_word(stream):
    detector_settings_update(actor=acting("test"), watch_words=["lawsuit", "Dr. Patel"])
    calm_baseline(stream, per_day=20)
    # given a mention naming the doctor positively: not an alert
    stream.add(NOW - 50 * MIN, label="positive", text="Dr. Patel was wonderful")
    # and a negative one threatening a lawsuit, with a legal-threat flag
    threat = stream.add(
        NOW - 20 * MIN,
        label="negative",
        text="Expect a LAWSUIT over what happened",
        flags=[{"name": "legal_threat", "evidence": ["lawsuit"]}],
    )
    [incident] = _run()
    assert (incident.kind, incident.key) == ("watch_word", "lawsuit")
    assert incident.severity == "high"  # a legal threat raises it
    assert list(incident.mentions.values_list("pk", flat=True)) == [threat.pk]
    assert "watch word “lawsuit”" in incident.trigger["explanation"]
    # a second lawsuit mention attaches; a complaint about Dr. Patel opens its own
    stream.add(NOW + MIN, label="negative", text="lawsuits incoming")  # not the whole word
    stream.add(NOW + 2 * MIN, label="neutral", text="another lawsuit threat here")
    stream.add(NOW + 3 * MIN, label="negative", text="dr. patel ignored me")
    [other] = _run(now=NOW + 5 * MIN)
    assert other.key == "dr. patel"
    assert incident.links.count() == 2


def test_a_rating_drop_opens_one(stream):
    calm_baseline(stream, per_day=8, negative_share=0.05, mention_share=0)
    # given ten 1-star reviews today, scored neutral (so the surge detector stays quiet)
    for n in range(10):
        stream.item(NOW - (600 - 60 * n) * MIN, label="neutral", rating=1)
    stream.flush()
    opened = _run()
    assert [i.kind for i in opened] == ["rating_drop"]
    numbers = opened[0].trigger["numbers"]
    assert numbers["count"] >= 10 and numbers["drop"] >= 1.2 and numbers["z"] >= 3
    assert numbers["low_count"] == 10
    assert numbers["baseline_mean"] > 4
    assert "Average rating" in opened[0].trigger["explanation"]


def test_too_few_ratings_do_not_count_as_a_drop(stream):
    calm_baseline(stream, per_day=8, negative_share=0.05, mention_share=0)
    detector_settings_update(actor=acting("test"), rating_min_count=50)
    for n in range(10):
        stream.item(NOW - (600 - 60 * n) * MIN, label="neutral", rating=2)
    stream.flush()
    assert _run() == []


def test_after_an_incident_is_resolved_its_mentions_do_not_reopen_it(stream):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 30 * MIN, label="negative", text="There is an outbreak at the clinic")
    [incident] = _run()
    incident_status_set(
        incident_id=incident.pk,
        status="resolved",
        override_reason=ANYWAY,
        actor=acting("test"),
        now=NOW + MIN,
    )
    assert _run(now=NOW + 10 * MIN) == []
    stream.add(NOW + 20 * MIN, label="negative", text="outbreak confirmed?")
    [again] = _run(now=NOW + 30 * MIN)
    assert again.pk != incident.pk and again.key == "outbreak"


@pytest.mark.parametrize(
    ("review_ids", "runs"),
    [
        pytest.param("none", False, id="empty batch"),
        pytest.param("old", False, id="only old reviews (an import of history)"),
        pytest.param("new", True, id="a recent review"),
    ],
)
def test_review_ids_decide_whether_a_batch_runs_the_detectors(stream, review_ids, runs):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    old = stream.add(NOW - timedelta(days=20), label="negative", text="outbreak")
    new = stream.add(NOW - 5 * MIN, label="negative", text="outbreak again")
    ids = {"none": [], "old": [old.pk], "new": [new.pk]}[review_ids]
    assert len(_run(review_ids=ids)) == (1 if runs else 0)


def test_disabled_detectors_open_nothing(stream):
    detector_settings_update(actor=acting("test"), enabled=False, watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="outbreak")
    assert _run() == []
