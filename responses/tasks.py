"""Publishing tasks. `outbox_deliver` sends one outbox item (safe to run twice: the item is
claimed under a row lock); `outbox_sweep` (beat) queues every due item of every clinic, so
nothing waits forever when the broker was down or a worker died mid-send; it also tells of
failures, and of replies to post by hand, whose notice was lost, and mails the writers whose
e-mail about their failed replies is due (`reply_failures_mail`)."""

from __future__ import annotations

from celery import shared_task

from clinics.schemas import clinic_schemas_each
from core.queueing import tasks_enqueue


@shared_task(name="responses.tasks.outbox_deliver")
def outbox_deliver_task(item_id: int) -> str:
    from responses.services.outbox import outbox_deliver

    return outbox_deliver(item_id=item_id)


@shared_task(name="responses.tasks.outbox_sweep")
def outbox_sweep_task() -> int:
    from responses.services.delivery import reply_failures_mail_due
    from responses.services.outbox import (
        outbox_by_hand_untold,
        outbox_due,
        outbox_failures_untold,
        outbox_queue,
    )

    queued = 0
    for schema in clinic_schemas_each():
        due = outbox_due()
        if due:
            queued += outbox_queue(item_ids=due, schema_name=schema)
        untold = outbox_failures_untold()
        if untold:
            tasks_enqueue(outbox_failure_notify_task, [(i,) for i in untold], schema_name=schema)
        by_hand = outbox_by_hand_untold()
        if by_hand:
            tasks_enqueue(outbox_by_hand_notify_task, [(i,) for i in by_hand], schema_name=schema)
        writers = reply_failures_mail_due()
        if writers:
            tasks_enqueue(reply_failures_mail_task, [(i,) for i in writers], schema_name=schema)
    return queued


@shared_task(name="responses.tasks.outbox_retry_for_source")
def outbox_retry_for_source_task(source_id: int) -> int:
    """A source's credentials changed: send again what failed waiting for it."""
    from responses.services.outbox import outbox_retry_for_source

    return len(outbox_retry_for_source(source_id=source_id))


@shared_task(name="responses.tasks.outbox_failure_notify")
def outbox_failure_notify_task(item_id: int) -> str:
    from responses.services.delivery import outbox_failure_notify

    return outbox_failure_notify(item_id=item_id)


@shared_task(name="responses.tasks.outbox_by_hand_notify")
def outbox_by_hand_notify_task(item_id: int) -> str:
    from responses.services.delivery import outbox_by_hand_notify

    return outbox_by_hand_notify(item_id=item_id)


@shared_task(name="responses.tasks.reply_outcome_tell")
def reply_outcome_tell_task(item_id: int, outcome: str) -> str:
    from responses.services.delivery import reply_outcome_tell

    return reply_outcome_tell(item_id=item_id, outcome=outcome)


@shared_task(name="responses.tasks.reply_failures_mail")
def reply_failures_mail_task(user_id: int) -> str:
    """One e-mail to a writer for her replies that failed in one burst, once it is over."""
    from responses.services.delivery import reply_failures_mail

    return reply_failures_mail(user_id=user_id)


@shared_task(name="responses.tasks.followups_sweep")
def followups_sweep_task() -> int:
    """Beat: in every clinic, send follow-up messages a stopped process left pending and tell
    owners once when their follow-up passes its due date."""
    from responses.services.private import followups_sweep

    overdue = 0
    for _schema in clinic_schemas_each():
        overdue += followups_sweep()["overdue"]
    return overdue
