"""The portal's Privacy requests page: the clinic's approvers and legal people read, read-only,
the privacy requests the agency carried out for the clinic's items (when, the reference, the
items, what was done, what is still to do, the receipt of the clinic's part), never another
clinic's; nobody else of the clinic opens it (`Permission.PRIVACY_REQUESTS`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import Clinic
from feeds.models import Review, Source
from feeds.services.privacy import privacy_request_carry_out, privacy_requests_for_clinic
from responses.models import OutboxItem, ReplyDraft, ReplyVersion

URL = "/clinics/clinic-a/portal/privacy/"
PUBLISHED = datetime(2026, 11, 20, 15, tzinfo=UTC)


def _review(clinic, external_id: str, author: str = "Reese Bramwell") -> Review:
    with schema_context(clinic.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        return Review.objects.create(
            source=source, external_id=external_id, author_name=author, rating=1,
            text="The crown cracked the next day.", published_at=PUBLISHED,
        )  # fmt: skip


@pytest.fixture
def carried_out(world, clinic_a, clinic_b):
    """Reese Bramwell's reviews at clinic A (answered "Hi Reese, …", posted) and clinic B,
    removed by one request; Jordan's at clinic B by another."""
    a, b = _review(clinic_a, "g-a1"), _review(clinic_b, "g-b1")
    jordan = _review(clinic_b, "g-b2", author="Jordan Pike")
    with schema_context(clinic_a.schema_name):
        draft = ReplyDraft.objects.create(
            review=a, status="published", author_label="user:1", version=1
        )
        ReplyVersion.objects.create(
            draft=draft, number=1, guard_verdict="ok", author_label="user:1",
            text="Hi Reese, we are sorry. Please call us.",
        )  # fmt: skip
        OutboxItem.objects.create(
            kind="reply", idempotency_key="reply-a1", source=a.source, review=a, draft=draft,
            version=1, status="sent", text="Hi Reese, we are sorry. Please call us.",
        )  # fmt: skip
    owner = Actor(user=world.users["alpha_owner"])
    reese = privacy_request_carry_out(
        agency=world.agencies["alpha"], actor=owner, author="Reese Bramwell",
        reason="DSR-0042 erasure request", action="redact",
        selected=[f"clinic-a:{a.pk}", f"clinic-b:{b.pk}"],
    )  # fmt: skip
    other = privacy_request_carry_out(
        agency=world.agencies["alpha"], actor=owner, author="Jordan Pike",
        reason="DSR-0043 erasure request", action="delete", selected=[f"clinic-b:{jordan.pk}"],
    )  # fmt: skip
    return {"reese": reese, "other": other, "draft": draft}


@pytest.mark.parametrize("person", ["a_approver", "a_legal"])
def test_the_approver_and_legal_read_what_was_done_for_their_clinic(person, carried_out, login):
    page = login(person, otp=False).get(URL)

    assert page.status_code == 200
    html = page.content.decode()
    reese = carried_out["reese"]
    card = html[html.index(f'id="request-{reese.pk}"') :]
    card = card[: card.index("</li>\n")]
    assert "Reference:</strong> DSR-0042 erasure request" in card
    assert "Google Business Profile review of 20 Nov 2026 (id g-a1)" in card
    # what is still to do at this clinic: the reply on Google still names them
    assert (
        f"The reply posted on Google (reply #{carried_out['draft'].pk}) named the author in the "
        "text that went out: every stored text of it (version 1, the outbox copy) now reads "
        "[name removed] in Carewatch, but the reply on Google still names them: edit or remove "
        "it there."
    ) in card
    assert "we removed 1 item by “Reese Bramwell” from Clinic A:" in card  # the receipt
    # nothing of the agency's other clinic: neither its name, its item nor its request
    assert "Clinic B" not in html and "g-b1" not in html
    assert f'id="request-{carried_out["other"].pk}"' not in html
    assert f'href="{URL}" aria-current="page">Privacy requests</a>' in html


def test_clinic_b_reads_its_own_part_only(carried_out, login):
    html = login("b_approver", otp=False).get("/clinics/clinic-b/portal/privacy/").content.decode()
    assert "(id g-b1)" in html and "(id g-b2)" in html
    assert "Clinic A" not in html and "g-a1" not in html
    assert "Nothing." in html  # nothing left to do at clinic B


def test_a_viewer_neither_opens_it_nor_sees_the_tab(carried_out, login):
    client = login("a_viewer", otp=False)
    assert client.get(URL).status_code == 403
    assert (
        'href="/clinics/clinic-a/portal/privacy/"'
        not in client.get("/clinics/clinic-a/portal/").content.decode()
    )


def test_two_clinics_of_one_name_each_read_their_own_still_to_do(world, clinic_a, clinic_b):
    # given clinic B named as clinic A is, and a request covering a reply at each of them
    Clinic.objects.filter(pk=clinic_b.pk).update(name=clinic_a.name)
    a, b = _review(clinic_a, "g-a1"), _review(clinic_b, "g-b1")
    drafts = {}
    for clinic, review, status in ((clinic_a, a, "approved"), (clinic_b, b, "draft")):
        with schema_context(clinic.schema_name):
            draft = drafts[clinic.slug] = ReplyDraft.objects.create(
                review=review, status=status, author_label="user:1", version=1
            )
            ReplyVersion.objects.create(
                draft=draft, number=1, guard_verdict="ok", author_label="user:1",
                text="Hi Reese, we are sorry. Please call us.",
            )  # fmt: skip
    row = privacy_request_carry_out(
        agency=world.agencies["alpha"], actor=Actor(user=world.users["alpha_owner"]),
        author="Reese Bramwell", reason="DSR-0042 erasure request", action="redact",
        selected=[f"clinic-a:{a.pk}", f"clinic-b:{b.pk}"],
    )  # fmt: skip

    # when each clinic reads it
    seen = {
        clinic.slug: privacy_requests_for_clinic(Clinic.objects.get(pk=clinic.pk))[0]["to_check"]
        for clinic in (clinic_a, clinic_b)
    }

    # then each sees its own line only, in the words the page shows
    assert [line.split(" named")[0] for line in seen["clinic-a"]] == [
        f"Reply #{drafts['clinic-a'].pk} (approved)"
    ]
    assert [line.split(" named")[0] for line in seen["clinic-b"]] == [
        f"Reply #{drafts['clinic-b'].pk} (draft)"
    ]
    # the agency's log keeps every line, each starting with the clinic's name
    assert len(row.to_check) == 2
    assert all(line.startswith(f"{clinic_a.name}: Reply #") for line in row.to_check)
