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
