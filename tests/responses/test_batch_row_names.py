"""On a batch's page each mention's reply folds under a summary that names whom it answers, so a
screen reader's list of controls is not five identical "Reply"."""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from feeds.models import Review
from responses.services import batches as batch_services
from tests.responses.conftest import OK_TEXT, review_in


def test_each_reply_of_a_batch_names_the_mention_it_answers(world, clinic_a, login):
    # given one reply drafted for two mentions by different people
    reviews = [review_in(clinic_a), review_in(clinic_a)]
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=reviews[1].pk).update(author_name="Kim L.")
        writer = clinic_access(Actor(user=world.users["alpha_writer"]), clinic_a)
        batch = batch_services.reply_batch_create(
            access=writer, review_ids=[r.pk for r in reviews], text=OK_TEXT
        )

    # when the manager opens the batch
    page = login("alpha_manager").get(f"/clinics/clinic-a/replies/batches/{batch.pk}/")

    # then each fold's summary says whom its reply answers
    summaries = [
        re.sub(r"<[^>]+>", "", s).strip()
        for s in re.findall(r"<summary>(.*?)</summary>", page.content.decode(), re.S)
    ]
    assert "Reply to Sam R." in summaries
    assert "Reply to Kim L." in summaries
    assert "Reply" not in summaries
