"""The crisis API: who may read and change what, allowed transitions, settings, the plan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from crisis.models import EventKind, Incident, IncidentEvent, ResponsePlanVersion
from crisis.services import detector_settings_update, detectors_run
from tests.crisis.conftest import ANYWAY, NOW, acting

MIN = timedelta(minutes=1)
BASE = "/clinics/clinic-a/api/v1"


@pytest.fixture
def incidents(stream):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak", "lawsuit"])
    stream.add(NOW - 9 * MIN, label="negative", text="An outbreak here?")
    stream.add(NOW - 5 * MIN, label="negative", text="Lawsuit coming")
    opened = detectors_run(now=NOW, notify=False)
    return {i.key: i for i in opened}


def _status(incident) -> str:
    # a request through the test client leaves the connection in the public schema
    with schema_context("clinic_clinic_a"):
        return Incident.objects.get(pk=incident.pk).status


def _events(incident) -> list[str]:
    with schema_context("clinic_clinic_a"):
        return list(IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True))


def test_list_filters_by_status_and_kind(incidents, api):
    client = api("key_a_read")
    body = client.get(f"{BASE}/incidents/").json()
    assert len(body["results"]) == 2 and body["next"] is None
    assert {r["key"] for r in body["results"]} == {"outbreak", "lawsuit"}
    assert body["results"][0]["mention_count"] == 1
    assert client.get(f"{BASE}/incidents/?status=resolved").json()["results"] == []
    both = client.get(f"{BASE}/incidents/?kind=watch_word&status=open").json()["results"]
    assert len(both) == 2
    assert client.get(f"{BASE}/incidents/?kind=surge").json()["results"] == []
    bad = client.get(f"{BASE}/incidents/?status=done")
    assert bad.status_code == 400 and "status" in bad.json()["fields"]
    # severity and time filters; a value the list cannot read is a 400 naming it
    severities = {r["severity"] for r in body["results"]}
    one = sorted(severities)[0]
    shown = client.get(f"{BASE}/incidents/?severity={one}").json()["results"]
    assert shown and {r["severity"] for r in shown} == {one}
    assert client.get(f"{BASE}/incidents/?opened_from=2999-01-01T00:00:00Z").json()["results"] == []
    assert (
        len(client.get(f"{BASE}/incidents/?opened_to=2999-01-01T00:00:00Z").json()["results"]) == 2
    )
    for query, field in [("severity=zzz", "severity"), ("opened_from=abc", "opened_from")]:
        refused = client.get(f"{BASE}/incidents/?{query}")
        assert refused.status_code == 400 and field in refused.json()["fields"], query


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("foo=1", {"foo": ["Unknown parameter."]}),
        ("statuses=open", {"statuses": ["Unknown parameter."]}),  # a typo never lists them all
        ("status=open&status=resolved", {"status": ["Give one value."]}),
        ("opened_from=2026-11-02T00:00:00Z&opened_to=2026-11-01T00:00:00Z",
         {"opened_to": ["The end of the date range is before its start."]}),
        ("kind=nope", {"kind": ['"nope" is not a valid choice. Choose one of: surge, '
                                "rating_drop, viral, misinformation, watch_word."]}),
    ],
    ids=["unknown", "typo", "twice", "reversed", "choice"],
)  # fmt: skip
def test_list_refuses_what_it_cannot_use_naming_it(incidents, api, query, fields):
    response = api("key_a_read").get(f"{BASE}/incidents/?{query}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}


def test_list_takes_paging_and_format(incidents, api):
    body = api("key_a_read").get(f"{BASE}/incidents/?page_size=1&format=json&page=1").json()
    assert len(body["results"]) == 1 and body["next"]


def test_detail_has_the_trigger_timeline_and_linked_mentions(incidents, api):
    incident = incidents["outbreak"]
    body = api("key_a_read").get(f"{BASE}/incidents/{incident.pk}/").json()
    assert body["trigger"]["numbers"]["word"] == "outbreak"
    assert [e["kind"] for e in body["timeline"]] == ["opened"]
    assert body["timeline"][0]["actor"] == "Carewatch detectors"
    assert [m["text"] for m in body["mentions"]] == ["An outbreak here?"]
    assert body["mentions"][0]["sentiment"] == "negative"
    assert body["has_review"] is False


def test_the_incident_runs_its_course(incidents, login):
    incident = incidents["outbreak"]
    client = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}"
    acknowledged = client.post(f"{url}/acknowledge/")
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_by"] == "Alpha Writer"
    for status in ("responding", "resolved", "reviewed"):
        body = {"status": status, "message": "ok"}
        if status == "resolved":
            body["override_reason"] = ANYWAY
        response = client.post(f"{url}/status/", body)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    body = client.get(f"{url}/").json()
    assert body["has_review"] is True
    assert [e["kind"] for e in body["timeline"]] == [
        "opened",
        "acknowledged",
        "status_changed",
        "status_changed",
        "review_drafted",
        "status_changed",
    ]
    assert body["timeline"][2]["message"] == "Status acknowledged → responding. ok"
    # a change through the API is recorded as made through it (walk 14: it said "web")
    assert body["timeline"][2]["data"]["channel"] == "api"


@pytest.mark.parametrize(
    ("path", "target"),
    [
        pytest.param(["reviewed"], "reviewed", id="open to reviewed"),
        pytest.param(["resolved"], "acknowledged", id="resolved back to acknowledged"),
        pytest.param(["resolved"], "open", id="resolved back to open"),
        pytest.param(["responding"], "acknowledged", id="responding back to acknowledged"),
        pytest.param(["resolved", "reviewed"], "responding", id="reviewed is final"),
    ],
)
def test_disallowed_transitions_are_400_and_change_nothing(incidents, login, path, target):
    incident = incidents["outbreak"]
    client = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}/status/"
    for step in path[:-1] if target == path[-1] else path:
        body = (
            {"status": step, "override_reason": ANYWAY} if step == "resolved" else {"status": step}
        )
        assert client.post(url, body).status_code == 200
    before = (_status(incident), _events(incident))
    response = client.post(url, {"status": target})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_transition"
    assert (_status(incident), _events(incident)) == before


def test_acknowledging_twice_is_refused(incidents, api):
    url = f"{BASE}/incidents/{incidents['outbreak'].pk}/acknowledge/"
    assert api("key_a").post(url).status_code == 200
    second = api("key_a").post(url)
    assert second.status_code == 409 and second.json()["code"] == "already_acknowledged"


@pytest.mark.parametrize("who", ["a_viewer", "alpha_analyst", "key_a_read"])
def test_people_without_write_cannot_change_an_incident(incidents, login, api, who, mailoutbox):
    incident = incidents["outbreak"]
    client = api(who) if who.startswith("key") else login(who)
    url = f"{BASE}/incidents/{incident.pk}"
    before = _events(incident)
    for path, data in [
        ("acknowledge/", {}),
        ("status/", {"status": "resolved", "override_reason": ANYWAY}),
        ("notes/", {"message": "hi"}),
        ("assign/", {"role": "legal", "user_id": 1}),
    ]:
        assert client.post(f"{url}/{path}", data).status_code == 403, path
    assert client.get(f"{url}/").status_code == 200  # but may read
    assert _status(incident) == "open"
    assert _events(incident) == before
    assert mailoutbox == []


def test_the_clinics_crisis_team_acknowledges_through_the_api_as_in_the_portal(
    incidents, login, mailoutbox
):
    # given the clinic's approver, who holds the Comms crisis role but not `write`
    incident = incidents["outbreak"]
    client = login("a_approver")
    url = f"{BASE}/incidents/{incident.pk}"
    # when she acknowledges with the API, as the portal's button and her alert's link let her
    acknowledged = client.post(f"{url}/acknowledge/")
    # then it is acknowledged by her (one rule: `ClinicAccess.acts_on_incidents`)
    assert acknowledged.status_code == 200, acknowledged.content
    assert acknowledged.json()["acknowledged_by"] == "A Approver"
    assert _status(incident) == "acknowledged"
    # and running it stays with those who may write
    before = _events(incident)
    for path, data in [
        ("status/", {"status": "resolved", "override_reason": ANYWAY}),
        ("notes/", {"message": "hi"}),
        ("assign/", {"role": "legal", "user_id": 1}),
    ]:
        assert client.post(f"{url}/{path}", data).status_code == 403, path
    assert (_status(incident), _events(incident)) == ("acknowledged", before)


def test_another_clinics_key_never_reaches_these_incidents(incidents, api, clinic_b):
    incident = incidents["outbreak"]
    client = api("key_b")
    assert client.get(f"{BASE}/incidents/{incident.pk}/").status_code == 404
    assert client.post(f"{BASE}/incidents/{incident.pk}/acknowledge/").status_code == 404
    # nor through its own clinic, with clinic A's ids
    other = f"/clinics/clinic-b/api/v1/incidents/{incident.pk}"
    assert client.get(f"{other}/").status_code == 404
    assert client.post(f"{other}/acknowledge/").status_code == 404
    assert client.get("/clinics/clinic-b/api/v1/incidents/").json()["results"] == []
    assert _status(incident) == "open"


def test_notes_and_assignments_go_on_the_timeline(incidents, login, world):
    incident = incidents["outbreak"]
    client = login("alpha_manager")
    url = f"{BASE}/incidents/{incident.pk}"
    note = client.post(f"{url}/notes/", {"message": "Called the health department."})
    assert note.status_code == 201
    legal = world.users["a_legal"]
    assigned = client.post(
        f"{url}/assign/", {"role": "legal", "user_id": legal.pk}, content_type="application/json"
    )
    assert assigned.status_code == 200
    assert assigned.json()["assignments"] == [
        {
            "role": "legal",
            "user_id": legal.pk,
            "user_label": "A Legal",
            "updated_at": assigned.json()["assignments"][0]["updated_at"],
        }
    ]
    outsider = world.users["b_approver"]
    refused = client.post(
        f"{url}/assign/",
        {"role": "legal", "user_id": outsider.pk},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "user_id" in refused.json()["fields"]
    cleared = client.post(
        f"{url}/assign/", {"role": "legal", "user_id": None}, content_type="application/json"
    )
    assert cleared.json()["assignments"] == []
    timeline = [(e["kind"], e["message"], e["actor"]) for e in cleared.json()["timeline"][1:]]
    # the note is acting on the incident: it acknowledges it (walk6 finding 16)
    assert timeline == [
        ("note", "Called the health department.", "Alpha Manager"),
        (
            "acknowledged",
            "Acknowledged by Alpha Manager (by responding: added a note).",
            "Alpha Manager",
        ),
        ("assigned", "Legal / compliance: A Legal.", "Alpha Manager"),
        ("assigned", "Legal / compliance: unassigned.", "Alpha Manager"),
    ]


@pytest.mark.parametrize(
    ("who", "role", "message"),
    [
        (
            "alpha_analyst", "comms",
            "Alpha Analyst cannot act on incidents in this clinic (analyst).",
        ),
        ("a_viewer", "comms", "A Viewer cannot act on incidents in this clinic (viewer)."),
        ("a_legal", "comms", "A Legal does not hold the Comms / PR crisis role in this clinic."),
        ("b_approver", "legal", "Unknown person."),
    ],
    ids=["analyst", "viewer-without-crisis-role", "other-crisis-role", "other-clinic"],
)  # fmt: skip
def test_assigning_someone_who_cannot_take_the_role_says_why_and_changes_nothing(
    incidents, login, world, who, role, message
):
    # given an incident and its timeline
    incident = incidents["outbreak"]
    before = _events(incident)
    # when a manager gives the role to someone who cannot take it
    answer = login("alpha_manager").post(
        f"{BASE}/incidents/{incident.pk}/assign/",
        {"role": role, "user_id": world.users[who].pk},
        content_type="application/json",
    )
    # then a 400 that says why, and nothing changed
    assert answer.status_code == 400
    assert answer.json()["fields"]["user_id"] == [message]
    assert _events(incident) == before
    with schema_context("clinic_clinic_a"):
        assert not Incident.objects.get(pk=incident.pk).assignments.exists()


def test_the_timeline_is_append_only(incidents):
    event = IncidentEvent.objects.first()
    event.message = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        IncidentEvent.objects.update(message="x")
    with pytest.raises(TypeError):
        IncidentEvent.objects.all().delete()


def test_detector_settings_need_manage_to_change(in_clinic_a, login, api):
    url = f"{BASE}/crisis/settings/"
    body = api("key_a_read").get(url).json()
    assert body["surge_window_minutes"] == 120 and body["escalation_minutes"] == 15
    assert body["watch_words"] == []
    # a writer (and a write key) may not change them
    assert (
        login("alpha_writer").patch(url, {"escalation_minutes": 5}, "application/json").status_code
        == 403
    )
    assert api("key_a").patch(url, {"escalation_minutes": 5}, "application/json").status_code == 403
    # a manager may
    manager = login("alpha_manager")
    changed = manager.patch(
        url,
        {"escalation_minutes": 5, "watch_words": ["Outbreak", " outbreak ", "Dr.  Lee"]},
        "application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["escalation_minutes"] == 5
    assert changed.json()["watch_words"] == ["Outbreak", "Dr. Lee"]
    bad = manager.patch(url, {"baseline_days": 100, "surge_min_count": 0}, "application/json")
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"baseline_days", "surge_min_count"}
    assert api("key_a_read").get(url).json()["baseline_days"] == 28


def test_the_response_plan_is_versioned(in_clinic_a, login, api):
    url = f"{BASE}/crisis/response-plan/"
    assert api("key_a_read").get(url).json() == {"current": None, "versions": []}
    writer = login("alpha_writer")
    first = writer.put(url, {"text": "1. Call comms.", "note": "first"}, "application/json")
    assert first.status_code == 201 and first.json()["version"] == 1
    second = writer.put(url, {"text": "1. Call comms.\n2. Call legal."}, "application/json")
    assert second.json()["version"] == 2
    body = api("key_a_read").get(url).json()
    assert body["current"]["text"] == "1. Call comms.\n2. Call legal."
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert api("key_a_read").get(f"{url}versions/1/").json()["text"] == "1. Call comms."
    assert api("key_a_read").put(url, {"text": "x"}, "application/json").status_code == 403
    assert writer.put(url, {"text": "  "}, "application/json").status_code == 400
    with schema_context("clinic_clinic_a"):
        assert ResponsePlanVersion.objects.count() == 2


def test_the_review_is_edited_exported_and_feeds_the_plan(incidents, login, api):
    incident = incidents["outbreak"]
    writer = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}"
    running = writer.get(f"{url}/review/")  # drafted on resolve: not yet
    assert running.status_code == 409 and running.json()["code"] == "not_resolved"
    refused = writer.get(f"{url}/review/export/?format=pdf")
    assert refused.status_code == 409 and refused.json()["code"] == "not_resolved"
    unknown = writer.get(f"{BASE}/incidents/999999/review/")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    writer.post(f"{url}/status/", {"status": "resolved", "override_reason": ANYWAY})
    review = writer.get(f"{url}/review/").json()
    assert review["metrics"]["mentions_linked"] == 1
    assert review["metrics"]["statements"] == []  # none drafted from this incident
    assert review["metrics"]["time_to_first_reply_seconds"] is None  # no reply published
    patched = writer.patch(
        f"{url}/review/",
        {"lessons": "We saw it late.", "prevention": "Add 'measles' as a watch word."},
        "application/json",
    )
    assert patched.status_code == 200 and patched.json()["lessons"] == "We saw it late."
    assert (
        api("key_a_read").patch(f"{url}/review/", {"lessons": "x"}, "application/json").status_code
        == 403
    )
    html = writer.get(f"{url}/review/export/?format=html")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert 'filename="incident-' in html["Content-Disposition"]
    assert b"We saw it late." in html.content and b"Post-crisis review" in html.content
    pdf = writer.get(f"{url}/review/export/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert writer.get(f"{url}/review/export/?format=doc").status_code == 400
    plan = writer.post(f"{url}/review/apply-to-plan/")
    assert plan.status_code == 201
    # a clinic without a plan starts from the default steps; the prevention steps are items
    text = plan.json()["text"]
    assert text.startswith("## Response steps\n\n- Acknowledge the alert: someone owns it")
    assert text.endswith("- Add 'measles' as a watch word.")
    assert f"incident #{incident.pk}" in text
    # and the next incident's playbook carries both
    from crisis.room import playbook_steps

    steps = [t for _k, t in playbook_steps(text)]
    assert steps[0] == "Acknowledge the alert: someone owns it"
    assert steps[-1] == "Add 'measles' as a watch word."
    assert _events(incident)[-2:] == [EventKind.REVIEW_EDITED, EventKind.PLAN_UPDATED]


def test_a_clinic_b_key_cannot_export_clinic_as_review(incidents, api, login, clinic_b):
    incident = incidents["outbreak"]
    login("alpha_writer").post(
        f"{BASE}/incidents/{incident.pk}/status/", {"status": "resolved", "override_reason": ANYWAY}
    )
    assert (
        api("key_b").get(f"{BASE}/incidents/{incident.pk}/review/export/?format=pdf").status_code
        == 404
    )
    with schema_context(clinic_b.schema_name):
        assert not Incident.objects.exists()


def test_the_review_shows_its_incident_as_documented_with_the_mention_count(incidents, login):
    # given a resolved incident with one linked mention
    incident = incidents["lawsuit"]
    writer = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}"
    writer.post(f"{url}/status/", {"status": "resolved", "override_reason": ANYWAY})

    # when its review is read and edited
    read = writer.get(f"{url}/review/").json()
    edited = writer.patch(f"{url}/review/", {"lessons": "Seen late."}, "application/json").json()

    # then the incident in both answers has every documented field, the count included
    listed = writer.get(f"{BASE}/incidents/").json()["results"]
    expected = next(row for row in listed if row["id"] == incident.pk)
    assert read["incident"] == expected
    assert edited["incident"] == expected
    assert read["incident"]["mention_count"] == 1


def test_a_statement_drafted_from_an_incident_belongs_to_it(incidents, login, api):
    incident = incidents["outbreak"]
    writer = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}/statements/"
    body = {"title": "About the outbreak", "body": "There is no outbreak at the clinic."}
    # when a writer drafts a statement from the incident, and another one outside it
    created = writer.post(url, body, "application/json")
    assert created.status_code == 201
    statement = created.json()
    assert (statement["title"], statement["status"], statement["version"]) == (
        "About the outbreak",
        "draft",
        1,
    )
    unrelated = writer.post(
        f"{BASE}/statements/",
        {"title": "Holiday hours", "body": "Closed Monday."},
        "application/json",
    )
    assert unrelated.status_code == 201
    # then the incident lists its own statement only, and its timeline says who drafted it
    assert [s["id"] for s in api("key_a_read").get(url).json()["results"]] == [statement["id"]]
    with schema_context("clinic_clinic_a"):
        event = IncidentEvent.objects.get(incident=incident, kind=EventKind.STATEMENT_DRAFTED)
        assert event.message == "Statement drafted: About the outbreak"
        assert event.data == {"statement_id": statement["id"]}
    room = writer.get(f"/clinics/clinic-a/incidents/{incident.pk}/").content.decode()
    assert f"/statements/{statement['id']}/" in room
    assert f"/statements/{unrelated.json()['id']}/" not in room
    # and the statement's page links back to its incident room; the other one's does not
    editor = writer.get(f"/clinics/clinic-a/statements/{statement['id']}/").content.decode()
    back = editor[editor.index('data-testid="statement-incident"') :]
    back = back[: back.index("</p>")]
    # drafting the statement acted on the incident, so it is acknowledged (walk6 finding 16)
    assert f"“{incident.title}” (acknowledged)" in back
    assert f'href="/clinics/clinic-a/incidents/{incident.pk}/"' in back
    other = writer.get(f"/clinics/clinic-a/statements/{unrelated.json()['id']}/").content.decode()
    assert "statement-incident" not in other
    # and the post-crisis review reports it
    writer.post(
        f"{BASE}/incidents/{incident.pk}/status/", {"status": "resolved", "override_reason": ANYWAY}
    )
    metrics = writer.get(f"{BASE}/incidents/{incident.pk}/review/").json()["metrics"]
    assert [s["id"] for s in metrics["statements"]] == [statement["id"]]


def test_drafting_a_statement_from_an_incident_refuses_bad_input_and_changes_nothing(
    incidents, login, api
):
    incident = incidents["outbreak"]
    writer = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}/statements/"
    empty = writer.post(url, {"title": "", "body": "Something."}, "application/json")
    assert empty.status_code == 400 and "title" in empty.json()["fields"]
    read_only = api("key_a_read").post(url, {"title": "T", "body": "B"}, "application/json")
    assert read_only.status_code == 403
    unknown = writer.post(f"{BASE}/incidents/999999/statements/", {"title": "T", "body": "B"},
                          "application/json")  # fmt: skip
    assert unknown.status_code == 404
    with schema_context("clinic_clinic_a"):
        assert not incident.statement_links.exists()
        assert not IncidentEvent.objects.filter(kind=EventKind.STATEMENT_DRAFTED).exists()
