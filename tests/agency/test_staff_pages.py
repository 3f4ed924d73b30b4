"""The restyled clinic pages: the shared layout, the incident room's statement section and the
reply editor's live-guard markup."""

from __future__ import annotations

from django_tenants.utils import schema_context

from responses.models import Statement


def test_clinic_pages_share_the_layout(login, clinic_a):
    client = login("alpha_writer")
    for path, current in [
        ("inbox/", "Inbox"),
        ("incidents/", "Incidents"),
        ("replies/", "Approvals"),
        ("sources/", "Settings"),
        ("webhooks/", "Settings"),
    ]:
        html = client.get(f"/clinics/clinic-a/{path}").content.decode()
        assert 'aria-label="Breadcrumb"' in html, path
        assert f'aria-current="page">{current}</a>' in html, path
        assert '<option value="clinic-a" selected>Clinic A</option>' in html, path  # switcher


def test_incident_room_drafts_a_statement(login, clinic_a, rows):
    incident = rows(clinic_a).incident(title="Viral post about a misdiagnosis")
    url = f"/clinics/clinic-a/incidents/{incident.pk}/"
    html = login("alpha_writer").get(url).content.decode()
    assert "Official statement" in html and "Draft the statement" in html
    # the public headline: not the detector's name for the incident
    assert 'value="A statement from Clinic A"' in html
    assert "Viral post about a misdiagnosis</" in html and 'value="Our response' not in html
    assert "Draft the statement" not in login("alpha_analyst").get(url).content.decode()
    # a statement drafted elsewhere is not this incident's
    login("alpha_writer").post(
        "/clinics/clinic-a/statements/", {"title": "Holiday hours", "body": "Closed Monday."}
    )
    response = login("alpha_writer").post(
        url,
        {
            "action": "statement",
            "title": "Our response",
            "body": "We are aware of the post and are looking into it.",
        },
    )
    with schema_context(clinic_a.schema_name):
        statement = Statement.objects.get(title="Our response")
        other = Statement.objects.get(title="Holiday hours")
    # the writer lands in the statement editor, and the room lists this incident's statement only
    assert response.status_code == 302
    assert response["Location"] == f"/clinics/clinic-a/statements/{statement.pk}/"
    room = login("alpha_writer").get(url).content.decode()
    assert f"/statements/{statement.pk}/" in room and f"/statements/{other.pk}/" not in room


def test_editor_has_the_live_guard_markup(login, clinic_a, rows):
    review = rows(clinic_a).review(rating=1, label="negative", text="Terrible visit.")
    url = f"/clinics/clinic-a/replies/review/{review.pk}/"
    client = login("alpha_writer")
    html = client.get(url).content.decode()
    assert 'id="reply-mirror" aria-hidden="true"' in html
    assert 'id="guard-status" class="sr-only" role="status" aria-live="polite"' in html
    assert 'aria-describedby="guard-status guard-live submit-reason"' in html
    checked = client.post(
        url, {"action": "check", "text": "Thank you. We reviewed your chart and all was fine."}
    ).content.decode()
    assert '<mark class="block">reviewed your chart</mark>' in checked  # in the mirror
    assert "The guard blocks this text: 1 finding." in checked


def test_the_brand_leads_staff_to_the_dashboard_and_clients_home(login):
    staff = login("alpha_analyst").get("/clinics/clinic-a/inbox/").content.decode()
    assert '<a class="brand" href="/agency/">' in staff
    client = login("a_viewer").get("/account/").content.decode()
    assert '<a class="brand" href="/">' in client and 'href="/agency/"' not in client
