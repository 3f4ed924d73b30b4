"""The post-crisis review's timeline about privacy (walk 11, #3): the clinic's copy (its portal,
the PDF) lists none of the agency's drafts the clinic never saw (the agency's own page keeps
them, marked internal); a reply whose privacy block legal lifted says the block once, then who
lifted it and why, never "blocked it" again beside each approval; each reply of its own names
the mention it answers."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import clinic_zone
from crisis.export import review_context
from crisis.models import Incident, IncidentMention
from crisis.services import incident_status_set
from crisis.timeline import review_timeline
from tests.crisis.conftest import ANYWAY, acting
from tests.responses.conftest import BLOCK_TEXT, as_user, review_in  # noqa: F401 - the fixture
from tests.responses.test_batches import _claim

REASON = "The reviewer published these chart details themselves; counsel approved the wording."
CLEAN = "Thank you for raising this. Every needle we use is single-use and sealed."


def _crisis(clinic, as_user):  # noqa: F811 - the fixture
    """A reply to one review whose version 1 the privacy check blocked and legal lifted, sent
    to the clinic and approved; a batch answering three mentions of a claim whose version 2
    (blocked) the writer saved and replaced by a clean version 3 before submitting it. All
    linked to one incident. Returns (incident, the review replied to)."""
    review = review_in(
        clinic, text="I waited an hour in pain and nobody at the desk even looked up."
    )
    cluster_id, mention_ids = _claim(clinic, 3)
    writer, manager = as_user("alpha_writer", clinic), as_user("alpha_manager", clinic)
    legal, approver = as_user("a_legal", clinic), as_user("a_approver", clinic)

    reply = writer.post("drafts/", {"review_id": review.pk, "text": BLOCK_TEXT}).json()
    assert reply["guard"]["verdict"] == "block"
    assert writer.post(f"drafts/{reply['id']}/submit/").status_code == 200  # legal is asked
    assert legal.post(f"drafts/{reply['id']}/override/", {"reason": REASON}).status_code == 200
    assert writer.post(f"drafts/{reply['id']}/submit/").status_code == 200
    assert manager.post(f"drafts/{reply['id']}/approve/").status_code == 200
    assert approver.post(f"drafts/{reply['id']}/approve/").json()["status"] == "approved"

    batch = writer.post("reply-batches/", {"cluster_id": cluster_id, "text": CLEAN}).json()
    bid = batch["id"]
    blocked = writer.patch(f"reply-batches/{bid}/", {"text": BLOCK_TEXT, "expected_version": 1})
    assert (blocked.json()["version"], blocked.json()["guard"]["verdict"]) == (2, "block")
    clean = writer.patch(f"reply-batches/{bid}/", {"text": CLEAN, "expected_version": 2}).json()
    assert clean["version"] == 3
    assert writer.post(f"reply-batches/{bid}/submit/", {"expected_version": 3}).status_code == 200
    manager.post(f"reply-batches/{bid}/approve/", {"expected_version": 3})
    done = approver.post(f"reply-batches/{bid}/approve/", {"expected_version": 3}).json()
    assert done["status"] == "approved"

    now = timezone.now()
    with schema_context(clinic.schema_name):
        incident = Incident.objects.create(
            kind="misinformation", title="Needles", severity="high", trigger={},
            opened_at=now, last_detected_at=now,
        )  # fmt: skip
        IncidentMention.objects.bulk_create(
            [
                IncidentMention(incident=incident, review_id=pk, added_at=now)
                for pk in [review.pk, *mention_ids]
            ]
        )
    return incident, review


def _said(lines) -> list[tuple[str, str, str]]:
    return [(line["category"], line["what"], line["details"]) for line in lines]


def test_the_clinics_timeline_leaves_out_the_agencys_drafts_and_says_a_lifted_block_once(
    clinic_a,
    as_user,  # noqa: F811 - the fixture
):
    incident, review = _crisis(clinic_a, as_user)
    with schema_context(clinic_a.schema_name):
        client = review_timeline(incident, clinic_a, for_client=True)
        agency_page = review_timeline(incident, clinic_a, for_client=True, with_internal=True)
    day = timezone.localtime(review.published_at, clinic_zone(clinic_a))
    mention = (
        f"Reply to Sam R.’s 2★ Google Business Profile review of {day.day} {day:%b %Y} "
        "(“I waited an hour in pain and nobody at the desk even looked…”)"
    )

    # (a) the batch's version 2, blocked and replaced before anyone sent it, is not the
    # clinic's to read: its copy has no guard line of the batch at all
    assert not [s for s in _said(client) if s[1].startswith("Reply to 3 mentions (version")]
    # the agency's own page keeps it, marked internal
    [internal] = [line for line in agency_page if line["visibility"] == "internal"]
    assert (internal["category"], internal["what"]) == (
        "guard",
        "Reply to 3 mentions (version 2): the privacy check blocked it",
    )

    # (b) the reply's block once, then who lifted it and why, then the approvals; no line
    # says "blocked it" beside an approval
    own = [s for s in _said(client) if s[1].startswith(mention)]
    assert own == [
        ("guard", f"{mention} (version 1): the privacy check blocked it", own[0][2]),
        ("override", f"{mention} (version 1): block lifted by A Legal", REASON),
        ("approval", f"{mention}: approved", ""),
        ("approval", f"{mention}: approved", ""),
    ]
    assert own[0][2].endswith(("finding", "findings"))
    assert [s[1] for s in _said(client)].count(
        f"{mention} (version 1): the privacy check blocked it"
    ) == 1
    # (c) no line of the clinic's copy is about "a mention" it cannot tell apart
    assert not [s for s in _said(client) if s[1].startswith("Reply to a mention")]


def test_the_staff_page_marks_the_agencys_drafts_internal_and_the_portal_and_pdf_leave_them_out(
    clinic_a,
    as_user,  # noqa: F811 - the fixture
    login,
    django_capture_on_commit_callbacks,
):
    incident, _ = _crisis(clinic_a, as_user)

    with django_capture_on_commit_callbacks(execute=False), schema_context(clinic_a.schema_name):
        incident_status_set(
            incident_id=incident.pk, status="resolved", override_reason=ANYWAY,
            actor=acting("Sam"),
        )  # fmt: skip
    draft = "Reply to 3 mentions (version 2): the privacy check blocked it"
    staff = login("alpha_writer").get(f"/clinics/clinic-a/incidents/{incident.pk}/review/")
    html = staff.content.decode()
    assert staff.status_code == 200
    row = html[html.index('data-visibility="internal"') :]
    row = row[: row.index("</tr>")]
    assert "Internal: not sent to the clinic" in row and draft in row
    assert "data-internal-note" in html

    with django_capture_on_commit_callbacks(execute=True):
        login("alpha_writer").post(
            f"/clinics/clinic-a/incidents/{incident.pk}/review/", {"action": "send"}
        )
    portal = login("a_approver", otp=False).get(
        f"/clinics/clinic-a/portal/incidents/{incident.pk}/review/"
    )
    assert portal.status_code == 200
    body = portal.content.decode()
    assert draft not in body and "Internal" not in body
    assert "block lifted by A Legal" in body and REASON in body
    with schema_context(clinic_a.schema_name):
        context = review_context(incident.review, clinic_a)
    assert not [line for line in context["timeline"] if line["what"] == draft]


def test_a_batch_whose_block_legal_lifted_says_the_block_then_who_lifted_it_and_why(
    clinic_a,
    as_user,  # noqa: F811 - the fixture
):
    # given one answer for two mentions whose version 1 the privacy check blocked, lifted by
    # legal with a reason, then approved by the agency and the clinic
    cluster_id, mention_ids = _claim(clinic_a, 2)
    writer = as_user("alpha_writer", clinic_a)
    bid = writer.post("reply-batches/", {"cluster_id": cluster_id, "text": BLOCK_TEXT}).json()["id"]
    assert writer.post(f"reply-batches/{bid}/submit/", {"expected_version": 1}).status_code == 200
    lifted = as_user("a_legal", clinic_a).post(f"reply-batches/{bid}/override/", {"reason": REASON})
    assert lifted.status_code == 200, lifted.json()
    assert writer.post(f"reply-batches/{bid}/submit/", {"expected_version": 1}).status_code == 200
    as_user("alpha_manager", clinic_a).post(
        f"reply-batches/{bid}/approve/", {"expected_version": 1}
    )
    as_user("a_approver", clinic_a).post(f"reply-batches/{bid}/approve/", {"expected_version": 1})
    now = timezone.now()
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.create(
            kind="misinformation", title="Needles", severity="high", trigger={},
            opened_at=now, last_detected_at=now,
        )  # fmt: skip
        IncidentMention.objects.bulk_create(
            [IncidentMention(incident=incident, review_id=pk, added_at=now) for pk in mention_ids]
        )
        client = review_timeline(incident, clinic_a, for_client=True)
        room = review_timeline(incident, clinic_a)

    # then the clinic reads the block once, then who lifted it and why, then the approvals
    assert [s for s in _said(client) if s[0] in ("guard", "override", "approval")] == [
        ("guard", "Reply to 2 mentions (version 1): the privacy check blocked it", "1 finding"),
        ("override", "Reply to 2 mentions (version 1): block lifted by A Legal", REASON),
        ("approval", "Reply to 2 mentions: approved", ""),
        ("approval", "Reply to 2 mentions: approved", ""),
    ]
    # and the agency's room gives the reason on the batch's line too
    [overridden] = [line for line in room if line["category"] == "override"]
    assert overridden["what"] == f"Reply to 2 mentions (batch #{bid}): overridden"
    assert REASON in overridden["details"]
