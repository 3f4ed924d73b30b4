"""The overview's setup checklist agrees with the data: a source counts while it delivers now
(on, connected, its fetches working), not because it delivered once; one that is off or lost
its credentials is named with what is wrong and a link to the sources page; and a source not
connected for replying is named as exactly that, with where to fix it (commit 38cbe46 said "No
source yet" in a clinic full of reviews)."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from dashboard.selectors import clinic_setup_steps
from feeds.models import Source


def _steps(clinic) -> dict[str, dict]:
    with schema_context(clinic.schema_name):
        return {s["key"]: s for s in clinic_setup_steps(clinic)}


def test_sources_that_delivered_once_but_are_off_now_do_not_count_and_are_named(
    login, clinic_a, rows
):
    # given: the demo's shape: sources with a history but switched off, or not connected
    r = rows(clinic_a)  # "Google test", off
    for hours_ago in (1, 2):
        r.review(hours_ago=hours_ago, label="negative")
    with schema_context(clinic_a.schema_name):
        Source.objects.create(kind="facebook", name="Facebook page", enabled=True)
        Source.objects.create(kind="yelp", name="Yelp", enabled=False)

    # when
    steps = _steps(clinic_a)
    html = login("alpha_manager").get("/clinics/clinic-a/").content.decode()

    # then nothing delivers now, and each source says why
    assert steps["sources"]["done"] is False
    assert steps["sources"]["detail"] == (
        "Facebook page (0 items): not connected to its account, so nothing new arrives; "
        "Google test (2 items): turned off, so nothing new arrives; "
        "Yelp (0 items): turned off, so nothing new arrives. "
        "Nothing new is scored or detected."
    )
    assert (
        "Google test (2 items): turned off, so nothing new arrives; Yelp (0 items): turned off, "
        "so nothing new arrives. Nothing new is scored or detected. "
        '<a href="/clinics/clinic-a/sources/">Fix them on the sources page</a>.'
    ) in html
    replies = steps["replies"]
    assert replies["done"] is False and replies["url"] == "/clinics/clinic-a/sources/"
    # in plain words, each source by its name and platform (it quoted the connector's check:
    # "(google Business Profile: the account id is missing)")
    assert replies["detail"] == (
        "Facebook page is not connected; Google test (Google Business Profile) is turned off: "
        "replies cannot be posted there. Connect them, or choose “We post replies on this "
        "channel by hand”, on the sources page."
    )
    assert "Yelp" not in replies["detail"]  # Yelp takes no replies through an API
    assert "No source yet" not in html
    assert (
        '<a href="/clinics/clinic-a/sources/">Connect the sources for posting replies</a>' in html
    )


def test_a_source_on_and_healthy_counts_and_one_that_failed_is_named(clinic_a, rows):
    # given a source that is on and delivers, and one whose fetches failed
    rows(clinic_a)  # "Google test", off
    with schema_context(clinic_a.schema_name):
        Source.objects.create(kind="api", name="Booking system", enabled=True)
        Source.objects.create(kind="webhook", name="Survey tool", enabled=True, is_healthy=False)

    # then the step is done by the source delivering now; the others say what is wrong
    steps = _steps(clinic_a)
    assert steps["sources"]["done"] is True
    assert steps["sources"]["detail"] == (
        "Booking system (0 items); Google test (0 items): turned off, so nothing new arrives; "
        "Survey tool (0 items): its last fetches failed, so nothing new arrives."
    )
    assert steps["sources"]["fix"] == "Fix them on the sources page"


def test_a_clinic_without_any_source_still_says_so(clinic_a):
    with schema_context(clinic_a.schema_name):
        Source.objects.all().delete()
    steps = _steps(clinic_a)
    assert steps["sources"]["done"] is False
    assert steps["sources"]["detail"] == (
        "No source yet: nothing arrives, so nothing is scored or detected."
    )
    assert steps["replies"]["done"] is False


def test_a_source_that_never_fetched_and_failed_does_not_count(clinic_a, rows):
    # given a Yelp source, on and with its key, whose first poll failed (one failure leaves it
    # "healthy"): walk-through 3, F8
    rows(clinic_a)  # "Google test", off
    with schema_context(clinic_a.schema_name):
        yelp = Source.objects.create(
            kind="yelp", name="Yelp Honolulu", enabled=True, credentials_encrypted="sealed",
            last_error="Could not connect to yelp: the address could not be found (DNS)",
            consecutive_failures=1,
        )  # fmt: skip

    # then the step is not done, and the source says why
    steps = _steps(clinic_a)
    assert steps["sources"]["done"] is False
    assert steps["sources"]["detail"] == (
        "Google test (0 items): turned off, so nothing new arrives; "
        "Yelp Honolulu (0 items): no fetch has worked yet, so nothing new arrives. "
        "Nothing new is scored or detected."
    )

    # when a later poll works, it counts
    with schema_context(clinic_a.schema_name):
        Source.objects.filter(pk=yelp.pk).update(
            last_success_at=timezone.now(), last_error="", consecutive_failures=0
        )
    assert _steps(clinic_a)["sources"]["done"] is True
