from celery import shared_task


@shared_task(name="clinics.tasks.spares_refill")
def spares_refill_task() -> int:
    """After a clinic was created, and on beat: keep CLINIC_SPARE_SCHEMAS copies of the clinic
    template ready, so that creating a clinic renames one instead of cloning."""
    from clinics.schemas import spares_refill

    return spares_refill()
