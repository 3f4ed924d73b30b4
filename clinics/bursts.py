"""One e-mail per burst, not one per thing: what waits for a person who takes it "at once".

The first thing that waits for a person in a clinic is e-mailed at once and opens a burst
(`EmailBurst`, one per person and clinic); what follows for them there until the burst ends
(`NOTICE_BURST_WINDOW`) is held (`HeldNotice`, one per `ref`) and goes as one e-mail then
(`clinics.notifications.email_burst_send`, queued for that moment; the minute sweeper sends
what a lost task left behind). Per clinic, not per person: each clinic's e-mail comes from its
agency's brand and opens that clinic's pages, and the first news of another clinic is news of
another place that should not wait for this one's burst. What must never wait is not held
(`clinics.preferences.email_holds`).

The state is in the database, in the caller's transaction: a notice rolled back holds nothing,
and a worker restart loses nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef

from clinics.models import Clinic, EmailBurst, HeldNotice
from core.queueing import enqueue_on_commit

BURST_SEND_TASK = "clinics.tasks.email_burst_send"


def bursts_enter(
    *,
    user_ids: Iterable[int],
    clinic: Clinic,
    kind: str,
    ref: str,
    title: str,
    detail: str,
    url: str,
    due_at: datetime | None,
    now: datetime,
) -> set[int]:
    """Of `user_ids` (people to be e-mailed now that `ref` waits for them in `clinic`), those
    whose e-mail is held for their burst's e-mail; the others' goes now and opens their
    burst. A person is in a burst while it runs, and after it ended while what it held is not
    sent yet (its task was lost: the sweeper sends it, with this one). Two notices at the same
    moment are one e-mail now and one held, never two now: the claim is one INSERT on the
    unique row, and the second waits for the first's transaction. Queues the burst's e-mail
    for when it ends, after commit, when this is the first thing it holds."""
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    window = settings.NOTICE_BURST_WINDOW
    bursts, held = EmailBurst._meta.db_table, HeldNotice._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {bursts} (user_id, clinic_id, started_at, ends_at)
            SELECT u, %s, %s, %s FROM unnest(%s::bigint[]) AS u ORDER BY u
            ON CONFLICT (user_id, clinic_id) DO UPDATE
                SET started_at = EXCLUDED.started_at, ends_at = EXCLUDED.ends_at
                WHERE {bursts}.ends_at <= EXCLUDED.started_at
                  AND NOT EXISTS (SELECT 1 FROM {held} h WHERE h.burst_id = {bursts}.id)
            RETURNING user_id
            """,  # noqa: S608 - table names from the models; values bound
            [clinic.pk, now, now + window, ids],
        )
        opened = {row[0] for row in cursor.fetchall()}
    holding = [uid for uid in ids if uid not in opened]
    if not holding:
        return set()
    running = list(
        EmailBurst.objects.filter(clinic=clinic, user_id__in=holding).annotate(
            holds=Exists(HeldNotice.objects.filter(burst=OuterRef("pk")))
        )
    )
    HeldNotice.objects.bulk_create(
        [
            HeldNotice(
                burst=burst,
                kind=kind,
                ref=ref,
                title=title[:300],
                detail=detail,
                url=url[:500],
                due_at=due_at,
                created_at=now,
            )  # fmt: skip
            for burst in running
        ],
        update_conflicts=True,  # told again meanwhile: listed once, as it was said last
        unique_fields=["burst", "ref"],
        update_fields=["kind", "title", "detail", "url", "due_at"],
    )
    for burst in running:
        if not burst.holds:
            enqueue_on_commit(
                BURST_SEND_TASK,
                [(burst.pk,)],
                schema_name=clinic.schema_name,
                eta=max(burst.ends_at, now),
            )
    return {burst.user_id for burst in running}


def held_retitle(*, clinic: Clinic, ref: str, title: str, url: str = "") -> int:
    """What a held notice says changed before its burst's e-mail went
    (`notifications_retitle`): the e-mail says it as it is now."""
    fields = {"title": title[:300]}
    if url:
        fields["url"] = url[:500]
    return HeldNotice.objects.filter(burst__clinic=clinic, ref=ref).update(**fields)
