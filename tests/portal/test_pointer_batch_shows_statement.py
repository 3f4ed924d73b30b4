"""A reply batch that points to the official statement ({statement_url}) shows legal, on the
portal's Legal check card, the statement it points to: its title, whether it is on the public
page and the text the link shows (the published version, while a newer one is edited or sent
back); before, legal read only the link inside the reply."""

from __future__ import annotations

from django_tenants.utils import schema_context

from responses.models import Statement, StatementVersion
from responses.services import batches as batch_services
from tests.portal.helpers import access_for
from tests.responses.test_batches import _claim

PUBLISHED = "Every needle we use is single-use and opened sealed in front of you."
EDITED = "Every needle we use is single-use; the state board inspected us in May."
TEXT = "{greeting} you are wrong and this is ridiculous. Our statement: {statement_url}"


def _statement(clinic) -> int:
    """The statement "About needles": version 1 published and pinned, version 2 sent back by legal."""
    with schema_context(clinic.schema_name):
        statement = Statement.objects.create(title="About needles", author_label="user:1",
                                             status="published", is_pinned=True, version=1)  # fmt: skip
        v1 = StatementVersion.objects.create(statement=statement, number=1, title="About needles",
                                             body=PUBLISHED, guard_verdict="ok",
                                             author_label="user:1")  # fmt: skip
        StatementVersion.objects.create(statement=statement, number=2, title="About needles",
                                        body=EDITED, guard_verdict="ok",
                                        author_label="user:1")  # fmt: skip
        Statement.objects.filter(pk=statement.pk).update(
            published_version=v1, status="changes_requested", version=2
        )
        return statement.pk


def test_legal_reads_the_statement_a_pointer_batch_links_to(clinic_a, world, login):
    # given a pointer batch to the statement, waiting for legal after the agency
    statement_id = _statement(clinic_a)
    _, review_ids = _claim(clinic_a, 2)
    with schema_context(clinic_a.schema_name):
        writer = access_for(world.users["alpha_writer"], clinic_a)
        batch = batch_services.reply_batch_create(
            access=writer, review_ids=review_ids, kind="statement", statement_id=statement_id,
            text=TEXT,
        )  # fmt: skip
        batch_services.reply_batch_submit(batch_id=batch.pk, access=writer)
        manager = access_for(world.users["alpha_manager"], clinic_a)
        approved = batch_services.reply_batch_approve(
            batch_id=batch.pk, access=manager, expected_version=1
        )
        assert approved.status == "pending_legal"
    batch = {"id": batch.pk}

    # when legal opens the Legal check
    page = login("a_legal").get(f"/clinics/{clinic_a.slug}/portal/review/").content.decode()

    # then the card names the statement, says it is on the public page, and shows the text
    # the link shows (version 1), not the edit that was sent back
    card = page[page.index(f'id="card-batch-{batch["id"]}"') :]
    card = card[: card.index("</article>")]
    assert "The statement it points to: “About needles” (on the public page now: version 1)" in card
    assert PUBLISHED in card and EDITED not in card
    assert "version 2 of it is “Changes requested”, and this link shows version 1" in card
