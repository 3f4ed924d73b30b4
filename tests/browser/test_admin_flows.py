"""The staff web admin in a real browser: the guard blocks a writer's unsafe draft with the
finding highlighted as it is typed; staff open an incident from the dashboard and read its
timeline; every main page renders without CSP errors or serious accessibility violations, and
is saved as a screenshot (tests/browser/screenshots/admin-*.png)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.fixtures.browser import screenshot, serious_violations, sign_in

UNSAFE = "Thank you. We reviewed your chart and everything was fine."


def _review(tenant, *, text: str, rating: int = 2, hours_ago: float = 30):
    from feeds.models import Review, Source
    from tests.fixtures.rows import score_add

    with tenant.schema():
        source = Source.objects.get_or_create(
            kind="google", name="Google Business Profile", defaults={"enabled": False}
        )[0]
        review = Review.objects.create(
            source=source,
            external_id=f"br-{Review.objects.count() + 1}",
            author_name="Sam R.",
            rating=rating,
            text=text,
            published_at=timezone.now() - timedelta(hours=hours_ago),
        )
        score_add(
            review=review,
            model_version="browser-test",
            label="negative" if rating <= 2 else "positive",
            score=-0.7 if rating <= 2 else 0.7,
            topics=[{"name": "wait_time", "triggers": ["waited"]}],
            flags=[],
        )
    return review


def _incident(
    tenant, review, *, title="Surge of negative reviews about waiting times", hours_ago=0.0
):
    from crisis.models import EventKind, Incident
    from crisis.services.common import event_add

    now = timezone.now() - timedelta(hours=hours_ago)
    with tenant.schema():
        incident = Incident.objects.create(
            kind="surge",
            key="browser",
            title=title,
            severity="high",
            trigger={"explanation": "12 negative mentions in 2 hours against a baseline of 1."},
            opened_at=now,
            last_detected_at=now,
        )
        incident.mentions.through.objects.create(incident=incident, review=review, added_at=now)
        event_add(
            incident=incident,
            kind=EventKind.OPENED,
            message="Opened (high): 12 negative mentions in 2 hours.",
            at=now,
        )
    return incident


def _check_page(page, name: str) -> None:
    screenshot(page, name)
    assert serious_violations(page) == [], name
    # no text outside the landmarks (the clinic's time-zone line was: axe "region")
    moderate = serious_violations(page, impacts=("moderate",))
    assert [v for v in moderate if v["id"] == "region"] == [], name
    assert page.console_errors == [], name


@pytest.mark.browser
def test_writers_unsafe_draft_is_blocked_with_the_finding_highlighted(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    review = _review(tenant, text="Waited an hour and the doctor never explained my results.")
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["writer"], totp=tenant.devices["writer"])
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/replies/review/{review.pk}/"))

    # when: the writer types a reply that confirms the reviewer is a patient
    box = page.get_by_label(re.compile("^Reply text"))
    box.fill("")
    box.press_sequentially(UNSAFE, delay=5)

    # then: as they type, the words are highlighted in the text and the verdict is announced
    mark = page.locator("#reply-mirror mark.block")
    mark.first.wait_for(state="attached", timeout=30_000)
    assert "reviewed your chart" in " ".join(mark.all_text_contents())
    status = page.locator("#guard-status")
    assert status.get_attribute("aria-live") == "polite"
    page.wait_for_function(
        "() => document.getElementById('guard-status').textContent.includes('blocks')"
    )
    assert page.locator("#guard-live .findings li").first.is_visible()
    _check_page(page, "admin-editor")

    # and: saving keeps the version, but Submit is off, with one line saying why
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_load_state()
    page.locator("#reply-mirror mark.block").first.wait_for(state="attached")
    assert page.get_by_role("button", name="Save and submit for approval").is_disabled()
    assert (
        page.locator("#submit-reason")
        .inner_text()
        .startswith("Submit is off: the guard blocks this text")
    )
    from responses.models import ReplyDraft

    with tenant.schema():
        draft = ReplyDraft.objects.get(review=review)
        assert (draft.status, draft.guard_verdict) == ("draft", "block")
    screenshot(page, "admin-editor-refused")


@pytest.mark.browser
def test_staff_open_an_incident_from_the_dashboard_and_see_its_timeline(
    browser_server, new_page, committed_tenant
):
    from dashboard.services import clinic_snapshot_refresh

    tenant = committed_tenant()
    review = _review(tenant, text="Waited two hours, nobody told us anything.")
    _review(tenant, text="Lovely staff.", rating=5, hours_ago=3)
    incident = _incident(tenant, review)
    clinic_snapshot_refresh(clinic=tenant.clinic)

    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    page.goto(browser_server.url("/agency/"))
    row = page.locator(f'tr[data-clinic="{tenant.clinic.slug}"]')
    assert row.is_visible()
    _check_page(page, "admin-dashboard")

    # when: the owner follows the clinic's open-incident figure
    row.get_by_role("link", name=re.compile("open incident")).click()
    page.wait_for_load_state()

    # then: the incident room with its timeline
    assert page.url.endswith(f"/clinics/{tenant.clinic.slug}/incidents/{incident.pk}/")
    assert page.get_by_role("heading", name=re.compile(f"Incident #{incident.pk}")).is_visible()
    timeline = page.get_by_role("table", name=re.compile("Every event of this incident"))
    assert "Opened (high): 12 negative mentions" in timeline.inner_text()
    _check_page(page, "admin-incident-room")

    # and: acknowledging it shows on the timeline
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    assert "Acknowledged" in page.get_by_role("table", name=re.compile("Every event")).inner_text()


@pytest.mark.browser
def test_main_staff_pages_render_accessibly(browser_server, new_page, committed_tenant):
    from accounts.actors import Actor
    from crisis.services import incident_status_set
    from dashboard.services import clinic_snapshot_refresh

    tenant = committed_tenant()
    review = _review(tenant, text="Waited two hours, nobody told us anything.", hours_ago=2.5)
    # a calm hour before, a surge of complaints during, a recovery after
    for hours_ago, rating in [(4.6, 5), (4.2, 4), (3.8, 5), (2.9, 1), (2.7, 2), (2.4, 1),
                              (2.2, 1), (2.0, 2), (1.8, 1), (1.5, 3), (1.2, 2), (0.9, 4),
                              (0.6, 5), (0.4, 4), (0.2, 5)]:  # fmt: skip
        _review(tenant, text=f"Review {hours_ago} h ago.", rating=rating, hours_ago=hours_ago)
    for i in range(3):
        _review(tenant, text=f"Friendly nurse, quick visit ({i}).", rating=5, hours_ago=24 * i + 6)
    incident = _incident(tenant, review, hours_ago=3)
    with tenant.schema():
        incident_status_set(
            incident_id=incident.pk,
            status="resolved",
            override_reason="The surge is over; the review is what this test reads.",
            actor=Actor.of_system("test", "Agency Owner"),
            now=timezone.now() - timedelta(hours=1),
        )
    clinic_snapshot_refresh(clinic=tenant.clinic)

    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    slug = tenant.clinic.slug
    pages = [
        ("admin-inbox", f"/clinics/{slug}/inbox/"),
        ("admin-review-detail", f"/clinics/{slug}/inbox/{review.pk}/"),
        ("admin-incidents", f"/clinics/{slug}/incidents/"),
        ("admin-post-crisis-review", f"/clinics/{slug}/incidents/{incident.pk}/review/"),
        ("admin-approvals", f"/clinics/{slug}/replies/"),
        ("admin-monthly-report", f"/clinics/{slug}/report/"),
        ("admin-settings-agency-clinics", "/agency/settings/"),
        ("admin-settings-agency-staff", "/agency/settings/people/"),
        ("admin-settings-agency-branding", "/agency/settings/branding/"),
        ("admin-settings-agency-api-keys", "/agency/settings/api-keys/"),
        ("admin-settings-clinic-general", f"/clinics/{slug}/settings/"),
        ("admin-settings-clinic-people", f"/clinics/{slug}/settings/people/"),
        ("admin-settings-clinic-sources", f"/clinics/{slug}/sources/"),
        ("admin-settings-clinic-templates", f"/clinics/{slug}/settings/templates/"),
        ("admin-settings-clinic-thresholds", f"/clinics/{slug}/settings/thresholds/"),
        ("admin-settings-clinic-api-keys", f"/clinics/{slug}/settings/api-keys/"),
        ("admin-settings-clinic-webhooks", f"/clinics/{slug}/webhooks/"),
    ]
    failures = {}
    for name, path in pages:
        page.console_errors.clear()
        response = page.goto(browser_server.url(path))
        assert response.status == 200, (path, response.status)
        if "post-crisis" in name:  # the server-drawn charts, as in the exports
            page.locator('figure[data-chart="volume"] img').wait_for(state="visible")
            page.locator('figure[data-chart="sentiment"] img').wait_for(state="visible")
        if "monthly-report" in name:  # Chart.js drew the month (this month's reviews)
            page.wait_for_function(
                "() => document.getElementById('chart-volume').getBoundingClientRect().height > 100"
                " && !!window.Chart && !!window.Chart.getChart('chart-volume')"
            )
        screenshot(page, name)
        problems = serious_violations(page) + [{"console": e} for e in page.console_errors]
        if problems:
            failures[name] = problems
    assert failures == {}

    # the inbox's bulk form: select every review of the page at once, mark them
    page.goto(browser_server.url(f"/clinics/{slug}/inbox/"))
    page.get_by_label("Select all on this page").check()
    boxes = page.locator('input[name="review"]')
    assert boxes.count() == 19 and all(b.is_checked() for b in boxes.all())
    page.get_by_label("Mark selected as").select_option("ignored")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert "19 marked ignored" in page.locator("main").inner_text()

    # the clinic switcher and breadcrumbs work by keyboard
    page.goto(browser_server.url("/agency/"))
    page.get_by_label("Clinic", exact=True).select_option(slug)
    page.get_by_label("Clinic", exact=True).press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/clinics/{slug}/")
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    assert crumbs.get_by_role("link", name="Dashboard").is_visible()

    # an API key created in the UI is shown once
    page.goto(browser_server.url(f"/clinics/{slug}/settings/api-keys/"))
    page.get_by_label("Key name").fill("Website widget")
    page.get_by_role("checkbox", name="Read", exact=True).check()
    page.get_by_role("button", name="Create key").click()
    page.wait_for_load_state()
    secret = page.get_by_label(re.compile("^Secret of")).input_value()
    assert secret.startswith("cwk_")
    screenshot(page, "admin-settings-clinic-api-key-created")
    page.reload()
    assert secret not in page.content()

    # on a phone the dashboard still sorts: the column headings stay as a row of sort links
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(browser_server.url("/agency/"))
    page.get_by_role("link", name=re.compile("^SLA breaches")).click()
    page.wait_for_load_state()
    assert "sort=-sla" in page.url
    _check_page(page, "admin-dashboard-phone")


def test_an_uploaded_logo_shows_in_the_client_portal(browser_server, new_page, committed_tenant):
    import io

    from PIL import Image

    tenant = committed_tenant()
    logo = io.BytesIO()
    Image.new("RGB", (96, 96), (11, 110, 79)).save(logo, "PNG")

    # the owner uploads a logo on Agency settings → Branding
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    page.goto(browser_server.url("/agency/settings/branding/"))
    page.get_by_label("Name clients see").fill("Brightside Care Reviews")
    page.get_by_label("New logo (optional)").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": logo.getvalue()}]
    )
    page.get_by_role("button", name="Save the branding").click()
    page.wait_for_load_state()
    assert "Saved: the portal and the public pages show it now." in page.inner_text("main")
    assert page.get_by_test_id("current-logo").evaluate("img => img.naturalWidth") == 96

    # and the clinic's approver sees it, loaded (the CSP lets it in), beside the new name
    phone = new_page("phone")
    sign_in(phone, browser_server, tenant.users["approver"])
    phone.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/"))
    brand = phone.locator(".portal-brand")
    assert brand.inner_text().strip() == "Brightside Care Reviews"
    assert brand.locator("img").evaluate("img => img.complete && img.naturalWidth") == 96
    assert phone.console_errors == []
