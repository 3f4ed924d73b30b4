"""The writer's one e-mail about a batch's replies being published is written as the first is
published: "1 of your 3 replies … is published so far" says that this is how it stood then, and
that no other e-mail follows as the rest are published (walk 1 on phones, F15: all three were
marked within seconds, and the e-mail still said 1 of 3)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from clinics.models import Notification
from responses.services.outbox import outbox_deliver
from tests.responses.test_batches import _claim, approved_batch
from tests.responses.test_by_hand import _run_notices

SO_FAR = (
    "That is how it stood when this was written, as the first was published: you get no other "
    "e-mail as the rest are published. The batch's page shows where each stands now."
)


def test_a_batch_published_so_far_says_when_it_was_written(
    platforms, clinic_a, as_user, world, mailoutbox, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    cluster_id, _reviews = _claim(clinic_a, 3, fake=platforms)
    _bid, ids = approved_batch(clinic_a, as_user, cluster_id)

    # when the first of the three is published and the writer is told
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert outbox_deliver(item_id=ids[0]) == "sent"
    mailoutbox.clear()
    _run_notices(clinic_a, queued, capture)

    # then the e-mail says 1 of 3, and that it is how it stood when written
    [mail] = mailoutbox
    assert mail.subject.startswith("[Clinic A] 1 of your 3 replies to the claim “")
    assert mail.subject.endswith("” is published so far: 1 posted by Carewatch")
    assert SO_FAR in mail.body

    # when the other two are published: no other e-mail, and her history says all 3
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert [outbox_deliver(item_id=i) for i in ids[1:]] == ["sent", "sent"]
    mailoutbox.clear()
    _run_notices(clinic_a, queued, capture)
    assert mailoutbox == []
    with schema_context(clinic_a.schema_name):
        [told] = Notification.objects.filter(user=world.users["alpha_writer"],
                                             kind="reply_published")  # fmt: skip
    assert told.title.endswith("” were published: all 3 posted by Carewatch")


def test_a_batch_published_at_once_says_nothing_of_so_far(
    platforms, clinic_a, as_user, mailoutbox, queued, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    cluster_id, _reviews = _claim(clinic_a, 2, fake=platforms)
    _bid, ids = approved_batch(clinic_a, as_user, cluster_id)
    with capture(execute=True), schema_context(clinic_a.schema_name):
        assert [outbox_deliver(item_id=i) for i in ids] == ["sent", "sent"]
    mailoutbox.clear()
    _run_notices(clinic_a, queued, capture)

    [mail] = mailoutbox
    assert mail.subject.endswith("” were published: all 2 posted by Carewatch")
    assert "The batch's page shows where each stands." in mail.body
    assert "how it stood" not in mail.body
