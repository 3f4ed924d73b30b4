"""An incident's claims are its own mentions: the room counts and answers the mentions the
incident holds, shows a claim's older mentions as context only, lists a complaint only when
several of its mentions repeat it and offers a fact only for the claim it is about. A second
wave of a resolved claim opens a follow-up of the incident it continues (within the clinic's
`new_wave_hours`), and the statement published for the claim counts for it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from crisis.metrics import review_metrics
from crisis.models import DetectorSettings, EventKind, Incident, IncidentMention, IncidentStatement
from crisis.selectors import resolve_checklist
from crisis.services import detector_settings_update, detectors_run
from facts.models import Fact
from responses.models import ReplyBatch, ReplyBatchVersion, Statement
from scoring.claims.services import claims_cluster
from scoring.models import ClaimCluster, ClaimMention
from tests.crisis.conftest import NOW, Stream, acting, resolved_anyway
from tests.fixtures.forms import rendered_form_data

MIN, DAY = timedelta(minutes=1), timedelta(days=1)
A = "/clinics/clinic-a"
CLAIM = "Riverside Family Dental reuses needles."
AGAIN = "Still hearing Riverside Family Dental reuses needles."
FACT = (
    "Every needle and syringe we use is single-use, sealed until use and discarded in a sharps "
    "container straight after."
)


def _flag(claim: str = CLAIM) -> list[dict]:
    return [
        {
            "name": "misinformation",
            "evidence": [claim],
            "probability": 0.95,
            "claim": {"text": claim, "start": 0, "end": len(claim)},
            "contradicts": {"kind": "fact", "slug": "needles-single-use", "statement": FACT,
                            "similarity": 0.8},
        }
    ]  # fmt: skip


@pytest.fixture(autouse=True)
def _no_earlier_claims(clinic_a):
    """Each test starts from a clinic without claims (the shared world's clinic also holds
    what other tests' workers committed; deleted inside the test's transaction)."""
    with schema_context(clinic_a.schema_name):
        ClaimMention.objects.all().delete()
        ClaimCluster.objects.all().delete()


@pytest.fixture
def needles_fact(in_clinic_a):
    """The default "needles" fact of the clinic's sheet, confirmed; the others stay drafts."""
    Fact.objects.update_or_create(
        slug="needles-single-use",
        defaults={"title": "Single-use needles", "statement": FACT, "status": "confirmed",
                  "source": "Sterilisation log", "verified_on": date(2026, 3, 1)},
    )  # fmt: skip


def _posts(stream: Stream, *times, text=CLAIM, flagged=True, claim=CLAIM, engagement=(0, 0, 0)):
    for at in times:
        stream.item(at, label="negative", kind="mention", text=text, engagement=engagement,
                    flags=_flag(claim) if flagged else [])  # fmt: skip
    reviews = stream.flush()
    claims_cluster(review_ids=[r.pk for r in reviews], embed=None)
    return reviews


def _row(page: str, cluster_id: int) -> str:
    found = re.search(rf'<tr id="room-claim-{cluster_id}">(.*?)</tr>', page, re.S)
    return found.group(1) if found else ""


def test_the_room_counts_and_answers_the_incidents_own_mentions_of_a_claim(
    social, needles_fact, login, clinic_a
):
    # given a September complaint cluster (clustered late, as a history import does) that one
    # of today's reviews is in, two needle posts from ten days ago, today's four needle posts
    # and a billing complaint two of today's reviews repeat
    september = ClaimCluster.objects.create(
        title="Disappointing. Nobody returned my calls", last_joined_at=NOW
    )
    calls = [
        social.add(at, label="negative", text="Disappointing. Nobody returned my calls")
        for at in [NOW - 81 * DAY + n * MIN for n in range(4)] + [NOW - 20 * MIN]
    ]
    ClaimMention.objects.bulk_create(
        [ClaimMention(review=r, cluster=september, claim=r.text, similarity=1) for r in calls]
    )
    earlier = _posts(social, NOW - 10 * DAY, NOW - 10 * DAY + MIN)
    today = _posts(social, *(NOW - (50 - 5 * n) * MIN for n in range(4)))
    billing = [
        social.add(NOW - (30 - n) * MIN, label="negative", text="Billed me twice for a cleaning")
        for n in range(2)
    ]
    claims_cluster(review_ids=[r.pk for r in billing], embed=None)
    needles = ClaimMention.objects.get(review=today[0]).cluster
    assert ClaimMention.objects.get(review=earlier[0]).cluster == needles
    complaint = ClaimMention.objects.get(review=billing[0]).cluster

    # when the detectors open the incident
    [incident] = detectors_run(now=NOW, notify=False)
    links = IncidentMention.objects.filter(incident=incident)
    linked = set(links.values_list("review_id", flat=True))
    # then the claim's mentions from ten days ago are not the incident's
    assert {r.pk for r in today} <= linked and not {r.pk for r in earlier} & linked
    assert calls[-1].pk in linked

    page = login("alpha_writer").get(f"{A}/incidents/{incident.pk}/").content.decode()
    # then the claim counts today's four, with the earlier two as context only
    row = _row(page, needles.pk)
    assert re.findall(r"<td>(\d+)</td>", row)[0] == "4"
    assert "2 earlier or other mentions of it" in row and "Answer all 4" in row
    assert "Correct with: Single-use needles" in row
    # and the September cluster is no claim of this incident (one of its mentions only)
    assert f'id="room-claim-{september.pk}"' not in page
    # and the repeated complaint is listed as one, with no fact to correct it with
    complaint_row = _row(page, complaint.pk)
    assert "complaint" in complaint_row and "Answer all 2" in complaint_row
    assert "Correct with" not in complaint_row

    # when the writer answers the claim from the room, as its form posts
    data = rendered_form_data(row, "cluster_id")
    writer = login("alpha_writer")
    answered = writer.post(f"{A}/replies/batches/new/", {**data, "answer": "reply"}, follow=True)
    # then the reply answers today's four, not the mentions from before the incident
    assert "One reply drafted for 4 mentions." in answered.content.decode()
    with schema_context(clinic_a.schema_name):
        version = ReplyBatchVersion.objects.get(batch=ReplyBatch.objects.get())
        assert sorted(version.review_ids) == sorted(r.pk for r in today)


def _back_in(clinic) -> None:
    """A request through the test client leaves the connection in the public schema."""
    connection.set_tenant(clinic)


def _first_wave_answered(social, login, clinic_a, capture):
    """Incident #1 over four needle posts, answered from its room (the reply drafted 30
    minutes before NOW), with a published statement drafted from it; resolved at NOW."""
    first = _posts(social, *(NOW - (60 - 5 * n) * MIN for n in range(4)))
    [incident] = detectors_run(now=NOW - 40 * MIN, notify=False)
    claim = ClaimMention.objects.get(review=first[0]).cluster
    page = login("alpha_writer").get(f"{A}/incidents/{incident.pk}/").content.decode()
    _back_in(clinic_a)
    data = rendered_form_data(_row(page, claim.pk), "cluster_id")
    # answered as false: the correction with the fact (what the post-crisis figures count)
    correct = {**data, "answer": "fact:needles-single-use"}
    login("alpha_writer").post(f"{A}/replies/batches/new/", correct)
    _back_in(clinic_a)
    assert ReplyBatch.objects.filter(cluster=claim).update(created_at=NOW - 30 * MIN) == 1
    statement = Statement.objects.create(
        title="About the needles", status="published", published_at=NOW - 20 * MIN,
        is_pinned=True, author_label="user:1", version=1,
    )  # fmt: skip
    IncidentStatement.objects.create(incident=incident, statement=statement, added_at=NOW)
    return resolved_anyway(incident, capture, at=NOW), claim, statement


def test_a_second_wave_of_the_claim_opens_a_follow_up_whose_statement_is_the_published_one(
    social, needles_fact, login, clinic_a, django_capture_on_commit_callbacks
):
    first, claim, statement = _first_wave_answered(
        social, login, clinic_a, django_capture_on_commit_callbacks
    )
    _back_in(clinic_a)
    # when five new posts say it again five minutes after it was resolved
    wave = _posts(
        social, *(NOW + (5 + n) * MIN for n in range(5)),
        text=f"{AGAIN} Why is nobody doing anything?", claim=AGAIN,
    )  # fmt: skip
    # then they join the answered claim
    assert {ClaimMention.objects.get(review=r).cluster_id for r in wave} == {claim.pk}
    [second] = detectors_run(now=NOW + 11 * MIN, notify=False)
    # and the new incident is the follow-up of the first, said on its timeline
    assert second.continues == first
    opened = second.events.get(kind=EventKind.OPENED)
    assert f"Follow-up of incident #{first.pk}, resolved 11 min before" in opened.message
    assert opened.data["continues"] == first.pk
    # and its checklist counts the statement published for the claim
    item = {i["key"]: i for i in resolve_checklist(second)["items"]}["statement"]
    assert item["open"] is False
    assert item["detail"] == (
        f"A statement answering the same claim is published: “About the needles” (drafted in "
        f"incident #{first.pk})."
    )
    # and its post-crisis figures count the wave's mentions of the claim, not the first's
    metrics = review_metrics(second, now=NOW + 20 * MIN)
    assert (metrics["mentions_linked"], metrics["false_claims"]) == (5, 5)

    # when the writer opens the follow-up's room
    page = login("alpha_writer").get(f"{A}/incidents/{second.pk}/").content.decode()
    assert f'Follow-up of <a href="{A}/incidents/{first.pk}/">incident #{first.pk}</a>' in page
    assert "About the needles</a> (drafted in incident #" in page
    # then the claim is the wave's five, new since the answer, with the first four as context
    row = _row(page, claim.pk)
    assert re.findall(r"<td>(\d+)</td>", row)[0] == "5"
    assert "5 new since the answer" in row and "Answer all 5" in row
    assert "4 earlier or other mentions of it" in row
    # and the first incident's room names its follow-up
    _back_in(clinic_a)
    page = login("alpha_writer").get(f"{A}/incidents/{first.pk}/").content.decode()
    assert f'Followed up by <a href="{A}/incidents/{second.pk}/">incident #{second.pk}</a>' in page


@pytest.mark.parametrize(
    ("hours", "after"), [(0, 5 * MIN), (72, 4 * DAY)], ids=["setting-off", "past-the-window"]
)
def test_a_wave_outside_the_clinics_window_is_no_follow_up_but_its_statement_still_counts(
    social, needles_fact, login, clinic_a, django_capture_on_commit_callbacks, hours, after
):
    first, claim, _ = _first_wave_answered(
        social, login, clinic_a, django_capture_on_commit_callbacks
    )
    _back_in(clinic_a)
    detector_settings_update(actor=acting("Max Manager"), new_wave_hours=hours)
    wave = _posts(social, *(NOW + after + n * MIN for n in range(5)),
                  text=f"{AGAIN} Why?", claim=AGAIN)  # fmt: skip
    assert {ClaimMention.objects.get(review=r).cluster_id for r in wave} == {claim.pk}
    [second] = detectors_run(now=NOW + after + 6 * MIN, notify=False)
    assert second.continues is None
    assert "Follow-up" not in second.events.get(kind=EventKind.OPENED).message
    assert Incident.objects.get(pk=first.pk).followed_by.count() == 0
    # the statement is linked through the claim, not the follow-up: it answers this claim
    item = {i["key"]: i for i in resolve_checklist(second)["items"]}["statement"]
    assert item["open"] is False and "“About the needles”" in item["detail"]


def test_a_statement_about_another_claim_does_not_count(
    social, needles_fact, login, clinic_a, django_capture_on_commit_callbacks
):
    first, claim, _ = _first_wave_answered(
        social, login, clinic_a, django_capture_on_commit_callbacks
    )
    _back_in(clinic_a)
    # when five posts of another false claim follow
    vaccines = "Riverside Family Dental gives kids expired vaccines."
    flag = _flag(vaccines)
    flag[0]["contradicts"] = {**flag[0]["contradicts"], "slug": "vaccine-storage-expiry"}
    for n in range(5):
        social.item(NOW + (5 + n) * MIN, label="negative", kind="mention", text=vaccines,
                    flags=flag)  # fmt: skip
    wave = social.flush()
    claims_cluster(review_ids=[r.pk for r in wave], embed=None)
    assert ClaimMention.objects.get(review=wave[0]).cluster_id != claim.pk
    [second] = detectors_run(now=NOW + 11 * MIN, notify=False)
    # then it is a new incident, which owes its own statement
    assert second.continues is None
    item = {i["key"]: i for i in resolve_checklist(second)["items"]}["statement"]
    assert (item["open"], item["detail"]) == (True, "No statement of this incident is published.")


def test_the_new_wave_window_is_a_detector_setting(login, clinic_a):
    # the thresholds page shows it, with its default
    page = login("alpha_manager").get(f"{A}/settings/thresholds/").content.decode()
    assert "A new wave of a resolved false claim follows up its incident for (hours after" in page
    assert "Default: 72." in page
    # a bad value is a 400 with the field's message and changes nothing
    manager = login("alpha_manager")
    for bad in (-1, 721, "soon"):
        answer = manager.patch(
            f"{A}/api/v1/crisis/settings/", {"new_wave_hours": bad},
            content_type="application/json",
        )  # fmt: skip
        assert answer.status_code == 400, bad
        assert "new_wave_hours" in answer.json()["fields"]
    with schema_context(clinic_a.schema_name):
        assert not DetectorSettings.objects.filter(new_wave_hours__in=[721]).exists()
    answer = manager.patch(f"{A}/api/v1/crisis/settings/", {"new_wave_hours": 24},
                           content_type="application/json")  # fmt: skip
    assert (answer.status_code, answer.json()["new_wave_hours"]) == (200, 24)
