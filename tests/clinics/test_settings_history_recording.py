"""The settings history records every setting changed on a settings page or through the API:
one line per setting that changed, with its old and new value in words, the person and where
it was changed; never a secret (a webhook address, a key), only whether one was set,
replaced or removed. A refused or failed save records nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.models import ApiKey
from clinics.history import settings_changed
from clinics.models import Clinic, SettingChange
from clinics.services import clinic_update
from core.settings_history import Setting, SettingArea
from crisis.models import DetectorSettings
from feeds.models import Source
from feeds.services.sources import backlog_words
from responses.models import ReplyTemplate
from tests.fixtures.forms import rendered_form_data
from tests.responses.conftest import Api

A = "/clinics/clinic-a"
API = f"{A}/api/v1"
SLACK = "https://hooks.slack.com/services/T000/B000/abcdefSECRETwxyz"
SLACK_2 = "https://hooks.slack.com/services/T000/B000/ghijklSECRETmnop"
YELP_KEY = "yelp-SECRET-key-123"


@pytest.fixture
def as_user(login):
    """as_user("alpha_manager", clinic) -> JSON calls to the clinic's API as that person."""
    return lambda name, clinic: Api(login(name), clinic)


@pytest.fixture
def recorded(db):
    """recorded() -> the lines written since the test began, oldest first, as
    (area, setting, old, new, who, via, clinic slug or None)."""
    start = SettingChange.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def _recorded() -> list[tuple]:
        rows = SettingChange.objects.filter(id__gt=start).select_related("clinic").order_by("id")
        return [
            (r.area, r.setting, r.old_value, r.new_value, r.actor_name, r.via,
             r.clinic.slug if r.clinic_id else None)
            for r in rows
        ]  # fmt: skip

    return _recorded


def _every_text() -> str:
    return " ".join(
        " ".join(row)
        for row in SettingChange.objects.values_list(
            "setting", "old_value", "new_value", "actor_name", "actor_label"
        )
    )


def _form_of(client, path: str, field: str, **changed) -> dict:
    data = rendered_form_data(client.get(path).content.decode(), field)
    return {**data, **changed}


# --- clinic general settings and the reply target (SLA) ----------------------------------------


def test_general_settings_page_records_the_changed_field_only(login, recorded):
    client = login("alpha_owner")
    data = _form_of(client, f"{A}/settings/", "phone", phone="+1 555 0199")
    assert client.post(f"{A}/settings/", data).status_code == 302
    assert recorded() == [
        ("general", "Public phone", "+1 555 0100", "+1 555 0199", "Alpha Owner", "page",
         "clinic-a"),
    ]  # fmt: skip


def test_reply_target_is_an_sla_change(login, recorded):
    client = login("alpha_manager")
    data = _form_of(client, f"{A}/settings/", "phone", reply_target_minutes="90")
    assert client.post(f"{A}/settings/", data).status_code == 302
    assert recorded() == [
        ("sla", "Reply target for reviews (minutes)", "1440", "90", "Alpha Manager", "page",
         "clinic-a"),
    ]  # fmt: skip


def test_a_save_that_changes_nothing_records_nothing(login, recorded):
    client = login("alpha_owner")
    unchanged = _form_of(client, f"{A}/settings/", "phone")
    assert client.post(f"{A}/settings/", unchanged).status_code == 302
    assert recorded() == []


def test_a_refused_general_save_records_nothing(login, recorded):
    client = login("alpha_owner")
    data = _form_of(client, f"{A}/settings/", "phone", phone="+1 555 0199", timezone="Nowhere/X")
    assert client.post(f"{A}/settings/", data).status_code == 400
    assert login("alpha_writer").post(f"{A}/settings/", data).status_code == 403
    assert recorded() == []


def test_a_save_that_fails_after_recording_leaves_no_line(clinic_a, recorded, monkeypatch):
    # given the dashboard's port failing once the change and its line are written
    def broken(**kwargs):
        raise RuntimeError("the dashboard is away")

    monkeypatch.setattr("clinics.services.figures_changed", broken)
    # when the reply target is changed
    clinic = Clinic.objects.get(pk=clinic_a.pk)  # not the session's shared instance
    with pytest.raises(RuntimeError):
        clinic_update(clinic=clinic, actor=Actor.of_system("test", "T"), reply_target_minutes=5)
    # then neither the change nor its line stays
    assert recorded() == []
    assert Clinic.objects.get(pk=clinic_a.pk).reply_target_minutes == 24 * 60


# --- detector thresholds and the incident room's targets ---------------------------------------


def test_thresholds_page_records_one_detector_setting(login, recorded):
    client = login("alpha_manager")
    path = f"{A}/settings/thresholds/"
    data = _form_of(client, path, "surge_min_count", surge_min_count="9")
    assert client.post(path, data).status_code == 302
    assert recorded() == [
        ("detectors", "Surge of negative mentions: At least this many negative mentions", "5",
         "9", "Alpha Manager", "page", "clinic-a"),
    ]  # fmt: skip


def test_thresholds_api_records_watch_words_and_sla_targets(as_user, clinic_a, recorded):
    manager = as_user("alpha_manager", clinic_a)
    assert (
        manager.patch("crisis/settings/", {"watch_words": ["measles", "lawsuit"]}).status_code
        == 200
    )
    assert manager.patch("crisis/settings/", {"ack_target_minutes": 20}).status_code == 200
    assert recorded() == [
        ("detectors", "Watch words", "(none)", "measles, lawsuit", "Alpha Manager", "api",
         "clinic-a"),
        ("sla", "Incident room: target to acknowledge (minutes)", "15", "20", "Alpha Manager",
         "api", "clinic-a"),
    ]  # fmt: skip


def test_refused_threshold_changes_record_nothing(as_user, clinic_a, recorded):
    assert (
        as_user("alpha_manager", clinic_a)
        .patch("crisis/settings/", {"surge_min_count": 1})
        .status_code
        == 400
    )
    assert (
        as_user("alpha_writer", clinic_a)
        .patch("crisis/settings/", {"surge_min_count": 9})
        .status_code
        == 403
    )
    assert recorded() == []
    with schema_context(clinic_a.schema_name):
        assert not DetectorSettings.objects.filter(surge_min_count=9).exists()


# --- on-call list and chat webhooks -------------------------------------------------------------


def test_on_call_list_records_old_and_new_people(login, world, recorded):
    client = login("alpha_owner")
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    path = f"{A}/settings/alerts/"
    first = {"action": "on_call", "on_call": [writer.pk, manager.pk]}
    assert client.post(path, first).status_code == 302
    assert client.post(path, {"action": "on_call", "on_call": [manager.pk]}).status_code == 302
    nobody = "nobody: the agency's owners and managers"
    setting = "On-call list (first called first)"
    assert recorded() == [
        ("alerts", setting, nobody, "Alpha Writer, Alpha Manager", "Alpha Owner", "page",
         "clinic-a"),
        ("alerts", setting, "Alpha Writer, Alpha Manager", "Alpha Manager", "Alpha Owner",
         "page", "clinic-a"),
    ]  # fmt: skip


def test_a_refused_on_call_list_records_nothing(login, world, recorded):
    analyst = world.users["alpha_analyst"]
    response = login("alpha_owner").post(
        f"{A}/settings/alerts/", {"action": "on_call", "on_call": [analyst.pk]}
    )
    assert response.status_code == 400
    assert recorded() == []


def test_chat_webhooks_are_recorded_as_set_replaced_removed_never_the_url(login, recorded):
    client = login("alpha_manager")
    path = f"{A}/settings/alerts/"
    assert client.post(path, {"action": "chat", "slack": SLACK}).status_code == 302
    assert client.post(path, {"action": "chat", "slack": SLACK}).status_code == 302  # same
    assert client.post(path, {"action": "chat", "slack": SLACK_2}).status_code == 302
    assert client.post(path, {"action": "chat", "remove_slack": "on"}).status_code == 302
    assert client.post(path, {"action": "chat", "remove_slack": "on"}).status_code == 302  # gone
    who = ("Alpha Manager", "page", "clinic-a")
    assert recorded() == [
        ("chat", "Slack webhook", "not set", "set (hidden)", *who),
        ("chat", "Slack webhook", "set (hidden)", "replaced (hidden)", *who),
        ("chat", "Slack webhook", "set (hidden)", "removed", *who),
    ]
    assert "SECRET" not in _every_text() and "hooks.slack.com" not in _every_text()


def test_the_agency_chat_webhook_is_an_agency_wide_change(login, recorded):
    assert login("alpha_owner").post("/agency/settings/chat/", {"slack": SLACK}).status_code == 302
    assert recorded() == [
        ("chat", "Slack webhook", "not set", "set (hidden)", "Alpha Owner", "page", None)
    ]
    assert SettingChange.objects.get(clinic=None).agency.slug == "alpha"


def test_a_refused_webhook_records_nothing(login, recorded):
    response = login("alpha_manager").post(
        f"{A}/settings/alerts/", {"action": "chat", "slack": "https://evil.example/x"}
    )
    assert response.status_code == 400
    assert recorded() == []


# --- reply settings (approvals, staff names, practice contacts) and templates ------------------


def test_staff_names_page_records_the_list(login, recorded):
    client = login("alpha_manager")
    path = f"{A}/settings/templates/"
    assert client.post(path, {"staff_names": "Dr. Anita Rao\nJenna Torres"}).status_code == 302
    assert recorded() == [
        ("replies", "Staff names replies may use", "(none)", "Dr. Anita Rao, Jenna Torres",
         "Alpha Manager", "page", "clinic-a"),
    ]  # fmt: skip


def test_reply_settings_api_records_the_practice_address(as_user, clinic_a, recorded):
    response = as_user("alpha_owner", clinic_a).patch(
        "reply-settings/", {"clinic_address": "12 Harbor Road, Springfield"}
    )
    assert response.status_code == 200
    assert recorded() == [
        ("replies", "Practice address replies may give", "(none)",
         "12 Harbor Road, Springfield", "Alpha Owner", "api", "clinic-a"),
    ]  # fmt: skip


def test_refused_reply_settings_record_nothing(as_user, login, clinic_a, recorded):
    assert (
        as_user("alpha_writer", clinic_a)
        .patch("reply-settings/", {"clinic_address": "x"})
        .status_code
        == 403
    )
    # a manager may not switch an approval step off (owners only, with a reason)
    assert (
        as_user("alpha_manager", clinic_a)
        .patch("reply-settings/", {"require_client_approval": False})
        .status_code
        == 403
    )
    response = login("alpha_manager").post(f"{A}/settings/templates/", {"staff_names": "A" * 201})
    assert response.status_code == 400
    assert recorded() == []


def test_templates_page_records_adding_and_editing(login, clinic_a, recorded):
    client = login("alpha_manager")
    path = f"{A}/settings/templates/"
    added = {"key": "thanks-short", "name": "Short thanks", "category": "thank",
             "body": "Thank you for your kind words about {clinic_name}."}  # fmt: skip
    assert client.post(path, added).status_code == 302
    with schema_context(clinic_a.schema_name):
        pk = ReplyTemplate.objects.get(key="thanks-short").pk
    edited = {f"t{pk}-{k}": v for k, v in added.items() if k != "key"}
    edited |= {
        "template": pk,
        f"t{pk}-body": "Thank you, from all of us.",
        f"t{pk}-is_active": "on",
    }
    assert client.post(path, edited).status_code == 302
    who = ("Alpha Manager", "page", "clinic-a")
    assert recorded() == [
        ("templates", "Reply template “Short thanks”", "(none)",
         "added: “Short thanks”, Thank, in use: Thank you for your kind words about "
         "{clinic_name}.", *who),
        ("templates", "Reply template “Short thanks”: text",
         "Thank you for your kind words about {clinic_name}.", "Thank you, from all of us.",
         *who),
    ]  # fmt: skip
    # a renamed template's line names it as it was known until then; its later lines, anew
    assert client.post(path, edited | {f"t{pk}-name": "Brief thanks"}).status_code == 302
    assert client.post(path, edited | {f"t{pk}-name": "Brief thanks",
                                       f"t{pk}-is_active": ""}).status_code == 302  # fmt: skip
    assert recorded()[2:] == [
        ("templates", "Reply template “Short thanks”: name", "Short thanks", "Brief thanks",
         *who),
        ("templates", "Reply template “Brief thanks”: in use", "on", "off", *who),
    ]  # fmt: skip


def test_templates_api_records_and_a_bad_template_records_nothing(as_user, clinic_a, recorded):
    manager = as_user("alpha_manager", clinic_a)
    bad = {"key": "x", "name": "X", "category": "thank", "body": "Hi {nope}"}
    assert manager.post("reply-templates/", bad).status_code == 400
    assert recorded() == []
    body = {"key": "sorry", "name": "Sorry", "category": "apology", "body": "We are sorry."}
    created = manager.post("reply-templates/", body).json()
    assert (
        manager.patch(f"reply-templates/{created['id']}/", {"is_active": False}).status_code == 200
    )
    who = ("Alpha Manager", "api", "clinic-a")
    assert recorded() == [
        ("templates", "Reply template “Sorry”", "(none)",
         "added: “Sorry”, Apology without admission, in use: We are sorry.", *who),
        ("templates", "Reply template “Sorry”: in use", "on", "off", *who),
    ]  # fmt: skip


# --- monthly report -----------------------------------------------------------------------------


def test_report_settings_page_records_and_a_bad_address_records_nothing(login, recorded):
    client = login("alpha_manager")
    path = f"{A}/settings/report/"
    assert client.post(path, {"send_monthly": "on", "extra_recipients": "nope"}).status_code == 400
    assert recorded() == []
    assert client.post(path, {"send_monthly": "on", "extra_recipients": ""}).status_code == 302
    assert recorded() == [
        ("reports", "Send the monthly report automatically", "off", "on", "Alpha Manager",
         "page", "clinic-a"),
    ]  # fmt: skip


# --- sources ------------------------------------------------------------------------------------


def test_sources_api_records_without_the_credentials(as_user, clinic_a, recorded):
    manager = as_user("alpha_manager", clinic_a)
    assert manager.post("sources/", {"kind": "yelp", "name": "Yelp"}).status_code == 400
    assert recorded() == []
    created = manager.post(
        "sources/",
        {"kind": "yelp", "name": "Yelp Main St", "settings": {"business_id": "main-st"},
         "credentials": {"api_key": YELP_KEY}},
    ).json()  # fmt: skip
    url = f"sources/{created['id']}/"
    assert manager.patch(url, {"poll_interval_minutes": 30}).status_code == 200
    assert manager.patch(url, {"credentials": {"api_key": "yelp-SECRET-2"}}).status_code == 200
    where = "Source “Yelp Main St”"
    who = ("Alpha Manager", "api", "clinic-a")
    with schema_context(clinic_a.schema_name):  # the box left ticked (`backlog_past`)
        backlog = backlog_words(Source.objects.get(pk=created["id"]).history_before)
    assert backlog.startswith("on (published before ")
    assert recorded() == [
        ("sources", where, "(none)", "added: Yelp; read every 15 minutes; business_id: "
         "main-st; credentials set (hidden); the reviews already there are past reviews: "
         f"{backlog}", *who),
        ("sources", f"{where}: read every (minutes)", "15", "30", *who),
        ("sources", f"{where}: credentials (key or sign-in)", "set (hidden)",
         "replaced (hidden)", *who),
    ]  # fmt: skip
    assert "SECRET" not in _every_text()


def test_sources_page_records_replies_posted_by_hand(login, clinic_a, recorded):
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Harbor reviews")
    response = login("alpha_owner").post(
        f"{A}/sources/", {"action": "replies_by_hand", "source": source.pk, "by_hand": "on"}
    )
    assert response.status_code == 302
    assert recorded() == [
        ("sources", "Source “Harbor reviews”: replies posted by hand", "off", "on",
         "Alpha Owner", "page", "clinic-a"),
    ]  # fmt: skip


# --- agency branding ----------------------------------------------------------------------------


def test_branding_page_records_agency_wide_and_a_bad_colour_records_nothing(login, recorded):
    client = login("alpha_manager")
    form = {"display_name": "Alpha Care", "support_email": "help@alpha.test",
            "primary_colour": "#1F6FEB"}  # fmt: skip
    assert (
        client.post("/agency/settings/branding/", {**form, "primary_colour": "blue"}).status_code
        == 400
    )
    assert recorded() == []
    assert client.post("/agency/settings/branding/", form).status_code == 302
    assert recorded() == [
        ("branding", "Name clients see", "Alpha Agency", "Alpha Care", "Alpha Manager", "page",
         None),
    ]  # fmt: skip


# --- the writer itself --------------------------------------------------------------------------


def test_an_api_key_is_named_and_a_secret_must_be_a_yes_or_no(clinic_a, world, recorded):
    key = ApiKey.objects.get(name="key_a")
    names = {"hook": Setting(SettingArea.CHAT, "Slack webhook")}
    settings_changed(
        actor=Actor(api_key=key), settings=names, before={}, after={"hook": True},
        clinic=clinic_a, hidden=("hook",),
    )  # fmt: skip
    assert recorded() == [
        ("chat", "Slack webhook", "not set", "set (hidden)", "API key key_a", "other", "clinic-a")
    ]
    assert SettingChange.objects.get(clinic=clinic_a).actor_label == f"api-key:{key.prefix}"
    with pytest.raises(TypeError):
        settings_changed(
            actor=Actor(api_key=key), settings=names, before={}, after={"hook": SLACK},
            clinic=clinic_a, hidden=("hook",),
        )  # fmt: skip


def test_a_line_is_written_only_inside_the_change_s_transaction(clinic_a, monkeypatch):
    # the connection as a service that forgot its transaction leaves it (autocommit)
    monkeypatch.setattr("clinics.history.connection", SimpleNamespace(in_atomic_block=False))
    with pytest.raises(RuntimeError, match="inside the transaction"):
        settings_changed(
            actor=Actor.of_system("test", "T"),
            settings={"x": Setting(SettingArea.GENERAL, "X")},
            before={"x": 1},
            after={"x": 2},
            clinic=clinic_a,
        )


def test_lines_are_append_only(clinic_a, recorded):
    clinic = Clinic.objects.get(pk=clinic_a.pk)  # not the session's shared instance
    clinic_update(clinic=clinic, actor=Actor.of_system("test", "T"), phone="+1 555 0177")
    line = SettingChange.objects.get(clinic=clinic_a)
    line.new_value = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        line.save()


def test_an_inbound_webhook_source_is_not_said_to_be_read_every_15_minutes(
    as_user, clinic_a, recorded
):
    manager = as_user("alpha_manager", clinic_a)
    created = manager.post("sources/", {"kind": "webhook", "name": "Hook in"})
    assert created.status_code == 201, created.content
    [row] = recorded()
    assert row[2] == "(none)" and row[3].startswith("added: Inbound webhook; ")
    assert "read every" not in row[3]
