from celery import shared_task


@shared_task(name="clinics.tasks.spares_refill")
def spares_refill_task() -> int:
    """After a clinic was created, and on beat: keep CLINIC_SPARE_SCHEMAS copies of the clinic
    template ready, so that creating a clinic renames one instead of cloning."""
    from clinics.schemas import spares_refill

    return spares_refill()


@shared_task(name="clinics.tasks.notification_digests_send")
def notification_digests_send_task() -> int:
    """On beat, hourly: one e-mail per person on the hourly digest listing what waited for
    them."""
    from clinics.notifications import notification_digests_send

    return notification_digests_send()


@shared_task(name="clinics.tasks.email_burst_send")
def email_burst_send_task(burst_id: int) -> int:
    """When a burst ends (queued for that moment, `clinics.bursts.bursts_enter`): one e-mail
    listing what it held that still waits for its person."""
    from clinics.notifications import email_burst_send

    return email_burst_send(burst_id=burst_id)


@shared_task(name="clinics.tasks.email_bursts_send_due")
def email_bursts_send_due_task() -> int:
    """On beat, every minute: the bursts whose e-mail is due and was not sent (its task was
    lost: a worker restarted, Redis was away)."""
    from clinics.notifications import email_bursts_send_due

    return email_bursts_send_due()
