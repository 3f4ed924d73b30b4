"""Reading the settings history: a clinic's page (its own changes and the agency's, which
reach it), the agency's page (every clinic's and its own), the clinic API `settings-history/`
and the CSV downloads; who may read them (owners and managers: the `manage` permission and the
agency role rule), their filters (a bad one is a message on the page, a 400 naming the field
on the API), pages of 50, newest first, and never a secret."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from clinics.models import Clinic, SettingChange

A = "/clinics/clinic-a"
PAGE = f"{A}/settings/history/"
AGENCY_PAGE = "/agency/settings/history/"
API = f"{A}/api/v1/settings-history/"
SLACK = "https://hooks.slack.com/services/T000/B000/abcdefSECRETwxyz"


def line(*, clinic=None, agency=None, setting="Clinic name", area="general", old="Old",
         new="New", label="user:1", name="Ann Lee", via="page", at=None) -> SettingChange:  # fmt: skip
    """A line of the history, written as the writer writes it."""
    return SettingChange.objects.create(
        agency=agency or clinic.agency,
        clinic=clinic,
        area=area,
        setting=setting,
        old_value=old,
        new_value=new,
        actor_label=label,
        actor_name=name,
        via=via,
        created_at=at or timezone.now(),
    )


def shown(html: str) -> list[str]:
    """The settings named in the history table, top to bottom."""
    if "<tbody>" not in html:
        return []
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        row.split("<td>")[3].split("<br>")[0] for row in body.split("<tr>")[1:] if "<td>" in row
    ]


@pytest.fixture
def places(world, db):
    """One line in each place: clinic A, clinic B, the Alpha agency, clinic C, the Beta agency
    (oldest first)."""
    now = timezone.now()
    alpha, beta = world.agencies["alpha"], world.agencies["beta"]
    line(clinic=world.clinics["a"], setting="A setting", at=now - timedelta(minutes=5))
    line(clinic=world.clinics["b"], setting="B setting", at=now - timedelta(minutes=4))
    line(agency=alpha, setting="Alpha-wide setting", area="branding", at=now - timedelta(minutes=3))
    line(clinic=world.clinics["c"], setting="C setting", at=now - timedelta(minutes=2))
    line(agency=beta, setting="Beta-wide setting", area="branding", at=now - timedelta(minutes=1))


# --- who may read it ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("alpha_owner", 200),
        ("alpha_manager", 200),
        ("alpha_writer", 403),
        ("alpha_analyst", 403),
        ("a_approver", 302),  # the clinic's own people: to their portal
        ("a_viewer", 302),
        ("beta_owner", 404),  # another agency: the clinic does not exist for them
    ],
)
def test_who_opens_a_clinics_history(login, person, status):
    response = login(person).get(PAGE)
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == "/clinics/clinic-a/portal/"
    assert login(person).get(PAGE, {"format": "csv"}).status_code == status


@pytest.mark.parametrize(
    ("person", "status"),
    [
        ("alpha_owner", 200),
        ("alpha_manager", 200),
        ("alpha_writer", 403),
        ("alpha_analyst", 403),
        ("a_approver", 404),  # outside the agency: no such page
        ("beta_owner", 200),  # their own agency's
    ],
)
def test_who_opens_the_agencys_history(login, person, status):
    assert login(person).get(AGENCY_PAGE).status_code == status
    assert login(person).get(AGENCY_PAGE, {"format": "csv"}).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("alpha_owner", 200),
        ("alpha_manager", 200),
        ("alpha_writer", 403),
        ("alpha_analyst", 403),
        ("a_approver", 403),
        ("key_a", 403),  # no key scope grants `manage`
        ("key_a_read", 403),
        ("key_alpha", 403),
        ("key_b", 404),  # another clinic's key
        ("key_beta", 404),  # another agency's
        ("beta_owner", 404),
    ],
)
def test_who_reads_the_api(login, api, world, who, status):
    client = api(who) if who.startswith("key_") else login(who)
    response = client.get(API)
    assert response.status_code == status
    if status == 403:
        assert response.json()["code"] == "permission_denied"


def test_the_tab_and_the_link_show_to_those_who_may_open_them(login):
    manager = login("alpha_manager").get(f"{A}/settings/").content.decode()
    assert f'href="{PAGE}"' in manager
    writer = login("alpha_writer").get(f"{A}/settings/").content.decode()
    assert f'href="{PAGE}"' not in writer
    assert f'href="{AGENCY_PAGE}"' in login("alpha_owner").get("/agency/settings/").content.decode()
    analyst = login("alpha_analyst").get("/agency/settings/").content.decode()
    assert f'href="{AGENCY_PAGE}"' not in analyst


# --- what each page holds -----------------------------------------------------------------------


def test_a_clinic_shows_its_own_and_the_agencys_changes_newest_first(login, places):
    html = login("alpha_manager").get(PAGE).content.decode()
    assert shown(html) == ["Alpha-wide setting", "A setting"]
    assert "Agency-wide" in html and "This clinic" in html


def test_the_agency_shows_every_clinic_and_its_own_and_no_other_agencys(login, places):
    html = login("alpha_owner").get(AGENCY_PAGE).content.decode()
    assert shown(html) == ["Alpha-wide setting", "B setting", "A setting"]
    assert "Clinic B" in html and "Clinic A" in html
    beta = login("beta_owner").get(AGENCY_PAGE).content.decode()
    assert shown(beta) == ["Beta-wide setting", "C setting"]


def test_the_api_lists_the_clinics_and_the_agencys_changes(login, places):
    body = login("alpha_owner").get(API).json()
    assert [(r["setting"], r["where"]) for r in body["results"]] == [
        ("Alpha-wide setting", "agency"),
        ("A setting", "clinic"),
    ]
    first = body["results"][1]
    assert set(first) == {"id", "changed_at", "where", "area", "area_words", "setting",
                          "old_value", "new_value", "by", "by_name", "via"}  # fmt: skip
    assert (first["area"], first["area_words"], first["old_value"], first["new_value"]) == (
        "general",
        "General (name, contact details, time zone)",
        "Old",
        "New",
    )
    assert (first["by"], first["by_name"], first["via"]) == ("user:1", "Ann Lee", "page")


def test_a_change_made_on_a_page_reads_back_everywhere_without_its_secret(login, world):
    client = login("alpha_manager")
    assert (
        client.post(f"{A}/settings/alerts/", {"action": "chat", "slack": SLACK}).status_code == 302
    )
    page = client.get(PAGE).content.decode()
    assert shown(page) == ["Slack webhook"]
    assert "set (hidden)" in page and "Alpha Manager" in page and "Settings page" in page
    download = b"".join(client.get(PAGE, {"format": "csv"}).streaming_content).decode()
    agency_download = b"".join(
        client.get(AGENCY_PAGE, {"format": "csv"}).streaming_content
    ).decode()
    answer = client.get(API).content.decode()
    for text in (page, download, agency_download, answer, client.get(AGENCY_PAGE).content.decode()):
        assert "SECRET" not in text and "hooks.slack.com" not in text


# --- filters ------------------------------------------------------------------------------------


@pytest.fixture
def people_and_days(world, db):
    clinic = world.clinics["a"]
    day = datetime(2026, 3, 10, 15, tzinfo=UTC)
    line(clinic=clinic, setting="Ann, on the 9th", label="user:1", name="Ann Lee",
         at=day - timedelta(days=1))  # fmt: skip
    line(clinic=clinic, setting="Bob, SLA on the 10th", area="sla", label="user:2",
         name="Bob Roe", via="api", at=day)  # fmt: skip
    line(clinic=clinic, setting="Ann, SLA on the 11th", area="sla", label="user:1",
         name="Ann Lee", at=day + timedelta(days=1))  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Ann, SLA on the 11th", "Bob, SLA on the 10th", "Ann, on the 9th"]),
        ({"person": "user:1"}, ["Ann, SLA on the 11th", "Ann, on the 9th"]),
        ({"area": "sla"}, ["Ann, SLA on the 11th", "Bob, SLA on the 10th"]),
        ({"person": "user:1", "area": "sla"}, ["Ann, SLA on the 11th"]),
        ({"changed_from": "2026-03-10"}, ["Ann, SLA on the 11th", "Bob, SLA on the 10th"]),
        ({"changed_to": "2026-03-10"}, ["Bob, SLA on the 10th", "Ann, on the 9th"]),
        ({"changed_from": "2026-03-10", "changed_to": "2026-03-10"}, ["Bob, SLA on the 10th"]),
        ({"changed_from": "2026-03-12"}, []),
    ],
)
def test_filters_on_the_page_the_csv_and_the_api(login, people_and_days, query, expected):
    client = login("alpha_manager")
    response = client.get(PAGE, query)
    assert response.status_code == 200
    assert shown(response.content.decode()) == expected
    rows = list(csv.DictReader(io.StringIO(
        b"".join(client.get(PAGE, {**query, "format": "csv"}).streaming_content).decode()
    )))  # fmt: skip
    assert [r["setting"] for r in rows] == expected
    assert [r["setting"] for r in client.get(API, query).json()["results"]] == expected


def test_the_person_filter_offers_everyone_who_changed_something_here(login, people_and_days):
    html = login("alpha_manager").get(PAGE).content.decode()
    assert '<option value="user:1">Ann Lee</option>' in html
    assert '<option value="user:2">Bob Roe</option>' in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"person": "user:999"}, "person", "Choose a person from the list."),
        ({"area": "colours"}, "area", "Choose a kind of setting from the list."),
        ({"changed_from": "2026-13-01"}, "changed_from", "Write a date like 2026-03-01."),
        ({"changed_to": "yesterday"}, "changed_to", "Write a date like 2026-03-01."),
        ({"changed_from": "2026-03-11", "changed_to": "2026-03-09"}, "changed_to",
         "The end of the date range is before its start."),
    ],
)  # fmt: skip
def test_a_bad_filter_is_a_message_on_the_page(login, people_and_days, query, field, message):
    response = login("alpha_manager").get(PAGE, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'role="alert"' in html
    assert field in response.context["form"].errors
    assert shown(html) == [] and "format=csv" not in html


@pytest.mark.parametrize("page", ["clinic", "agency"])
def test_from_after_to_is_a_400_on_the_to_field_as_the_api_says_it(login, people_and_days, page):
    # when From is later than To on either history page
    response = login("alpha_owner").get(
        PAGE if page == "clinic" else AGENCY_PAGE,
        {"changed_from": "2026-03-11", "changed_to": "2026-03-09"},
    )
    # then it is refused on the To field with the API's words, listing nothing
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "changed_to": ["The end of the date range is before its start."]
    }
    html = response.content.decode()
    assert "<li>To: The end of the date range is before its start.</li>" in html
    assert 'value="2026-03-11"' in html and shown(html) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"area": "colours"}, "area"),
        ({"changed_from": "2026-13-01"}, "changed_from"),
        ({"changed_from": "2026-03-11", "changed_to": "2026-03-09"}, "changed_to"),
        ({"who": "user:1"}, "who"),  # an unknown parameter never answers the whole list
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it_on_the_api(login, query, field):
    response = login("alpha_manager").get(API, query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["fields"]) == [field]
    if field == "changed_from":
        assert body["fields"][field] == ["Write a date like 2026-03-01."]


@pytest.mark.parametrize("page", ["clinic", "agency"])
@pytest.mark.parametrize("query", [{"foo": "1"}, {"foo": "1", "area": "sla"}, {"who": ""}])
def test_an_unknown_parameter_on_the_pages_is_a_400_naming_it(login, people_and_days, page, query):
    client = login("alpha_owner")
    response = client.get(PAGE if page == "clinic" else AGENCY_PAGE, query)
    assert response.status_code == 400
    html = response.content.decode()
    name = next(iter(query))
    assert f"<li>“{name}”: the history has no such filter.</li>" in html
    assert 'role="alert"' in html and shown(html) == [] and "format=csv" not in html
    # nor is it downloaded as if it were the whole history
    download = client.get(PAGE if page == "clinic" else AGENCY_PAGE, {**query, "format": "csv"})
    assert download.status_code == 400 and download.get("Content-Disposition") is None


def test_the_pages_own_parameters_are_not_unknown(login, people_and_days):
    client = login("alpha_owner")
    assert client.get(PAGE, {"page": "1", "area": "sla"}).status_code == 200
    assert client.get(AGENCY_PAGE, {"agency": "alpha", "page": "2"}).status_code == 200


def test_the_api_says_its_messages_in_plain_words(login):
    response = login("alpha_manager").get(
        API, {"changed_from": "2026-03-11", "changed_to": "2026-03-09"}
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "changed_to": ["The end of the date range is before its start."]
    }  # the approvals log's words


OUT_OF_RANGE = "Give a day from 1970-01-01 to 2999-12-31."  # the approvals log's


@pytest.mark.parametrize(
    "query",
    [
        {"changed_to": "9999-12-31"},  # its next day cannot be computed
        {"changed_from": "9999-12-31"},
        {"changed_from": "0001-01-01"},  # before the first day of UTC in a zone east of it
        {"changed_to": "1969-12-31"},
        {"changed_from": "1970-01-01", "changed_to": "3000-01-01"},
    ],
    ids=["to-9999", "from-9999", "from-0001", "to-1969", "to-3000"],
)
def test_a_day_beyond_the_range_is_a_400_naming_it_on_the_api(login, people_and_days, query):
    response = login("alpha_manager").get(API, query)
    assert response.status_code == 400
    field = [name for name, day in query.items() if day not in ("1970-01-01",)][0]
    assert response.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "fields": {field: [OUT_OF_RANGE]},
    }


@pytest.mark.parametrize("page", [PAGE, AGENCY_PAGE], ids=["clinic", "agency"])
@pytest.mark.parametrize("download", [False, True], ids=["page", "csv"])
def test_a_day_beyond_the_range_is_a_message_on_the_pages_never_a_download(
    login, people_and_days, page, download
):
    query = {"changed_to": "9999-12-31", **({"format": "csv"} if download else {})}
    response = login("alpha_owner").get(page, query)
    assert response.status_code == 400
    assert response.get("Content-Disposition") is None
    html = response.content.decode()
    assert OUT_OF_RANGE in html and 'role="alert"' in html
    assert response.context["form"].errors == {"changed_to": [OUT_OF_RANGE]}
    assert shown(html) == []


def test_the_first_and_the_last_day_of_the_range_are_answered(login, people_and_days):
    every = ["Ann, SLA on the 11th", "Bob, SLA on the 10th", "Ann, on the 9th"]
    days = {"changed_from": "1970-01-01", "changed_to": "2999-12-31"}
    client = login("alpha_owner")
    assert [r["setting"] for r in client.get(API, days).json()["results"]] == every
    assert shown(client.get(PAGE, days).content.decode()) == every
    assert shown(client.get(AGENCY_PAGE, days).content.decode()) == every


@pytest.mark.parametrize(
    ("person", "message"),
    [
        ("zzz", "Give a person as “user:<id>”, an API key as “api-key:<prefix>” or a part of "
         "Carewatch as “system:<part>”."),
        ("user:999", "Nobody by that label changed a setting here."),
        ("user:7", "Nobody by that label changed a setting here."),  # only in clinic B
    ],
)  # fmt: skip
def test_a_person_who_changed_nothing_here_is_a_400_as_on_the_approvals_log(
    login, people_and_days, world, person, message
):
    line(clinic=world.clinics["b"], setting="B setting", label="user:7", name="Cy Doe")
    response = login("alpha_manager").get(API, {"person": person})
    assert response.status_code == 400
    assert response.json()["fields"] == {"person": [message]}


def test_a_person_who_changed_an_agency_wide_setting_is_one_of_the_clinics(login, world, db):
    line(agency=world.agencies["alpha"], setting="Brand colour", area="branding",
         label="api-key:ab12cd34", name="API key CRM")  # fmt: skip
    response = login("alpha_manager").get(API, {"person": "api-key:ab12cd34"})
    assert response.status_code == 200
    assert [r["setting"] for r in response.json()["results"]] == ["Brand colour"]


def test_a_bad_filter_on_the_agency_page_is_a_message(login, places):
    response = login("alpha_owner").get(AGENCY_PAGE, {"place": "clinic-c"})  # Beta's clinic
    assert response.status_code == 400
    assert "Choose a clinic from the list." in response.content.decode()


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("", ["Alpha-wide setting", "B setting", "A setting"]),
        ("_agency", ["Alpha-wide setting"]),
        ("clinic-b", ["B setting"]),
    ],
)
def test_the_agency_page_filters_by_place(login, places, place, expected):
    html = login("alpha_owner").get(AGENCY_PAGE, {"place": place}).content.decode()
    assert shown(html) == expected


def test_days_are_the_clinics_days_and_the_agency_page_keeps_utc(login, world):
    # given clinic A in New York, and a change at 02:00 UTC on 5 March (21:00 on 4 March there)
    Clinic.objects.filter(pk=world.clinics["a"].pk).update(timezone="America/New_York")
    line(clinic=world.clinics["a"], setting="Late change", at=datetime(2026, 3, 5, 2, tzinfo=UTC))
    day = {"changed_from": "2026-03-04", "changed_to": "2026-03-04"}
    # then it is on the 4th for the clinic (page and API) and on the 5th agency-wide (UTC)
    client = login("alpha_manager")
    assert shown(client.get(PAGE, day).content.decode()) == ["Late change"]
    assert [r["setting"] for r in client.get(API, day).json()["results"]] == ["Late change"]
    assert shown(client.get(AGENCY_PAGE, day).content.decode()) == []
    the_5th = {"changed_from": "2026-03-05", "changed_to": "2026-03-05"}
    assert shown(client.get(AGENCY_PAGE, the_5th).content.decode()) == ["Late change"]
    assert "When (America/New_York)" in client.get(PAGE).content.decode()


# --- pages and downloads ------------------------------------------------------------------------


def test_pages_of_fifty_keep_the_filters(login, world):
    start = timezone.now() - timedelta(hours=1)
    for n in range(51):
        line(clinic=world.clinics["a"], setting=f"Target {n:02}", area="sla",
             at=start + timedelta(seconds=n))  # fmt: skip
    client = login("alpha_manager")
    first = client.get(PAGE, {"area": "sla"}).content.decode()
    assert shown(first)[:2] == ["Target 50", "Target 49"] and len(shown(first)) == 50
    assert "?area=sla&amp;page=2" in first and "Page 1 of 2" in first
    second = client.get(PAGE, {"area": "sla", "page": "2"}).content.decode()
    assert shown(second) == ["Target 00"]
    # the API pages with its cursor
    body = client.get(API, {"area": "sla", "page_size": "50"}).json()
    assert len(body["results"]) == 50 and body["next"]
    assert [r["setting"] for r in client.get(body["next"]).json()["results"]] == ["Target 00"]


def test_the_csv_download_says_what_the_page_says_with_the_apis_codes_beside(login, world):
    line(clinic=world.clinics["a"], setting="=HYPERLINK(1)", old="1440", new="90", area="sla",
         label="user:7", name="Ann Lee", via="api", at=datetime(2026, 3, 5, 14, tzinfo=UTC))  # fmt: skip
    line(agency=world.agencies["alpha"], setting="Colour", area="branding", old="#1F6FEB",
         new="#0B6E4F", at=datetime(2026, 3, 5, 15, tzinfo=UTC))  # fmt: skip
    client = login("alpha_owner")
    response = client.get(AGENCY_PAGE, {"format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="settings-history-alpha.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    # a column named as the API's field holds its code; its words (the page's) sit beside it
    assert rows == [
        ["changed_at", "where", "where_words", "area", "area_words", "setting", "old_value",
         "new_value", "by", "by_name", "via", "via_words"],
        ["2026-03-05T15:00:00+00:00", "agency", "Agency-wide", "branding", "Agency branding",
         "Colour", "#1F6FEB", "#0B6E4F", "user:1", "Ann Lee", "page", "Settings page"],
        ["2026-03-05T14:00:00+00:00", "clinic", "Clinic A", "sla", "Response targets (SLA)",
         "'=HYPERLINK(1)", "1440", "90", "user:7", "Ann Lee", "api", "API"],
    ]  # fmt: skip
    # the words are the page's
    page = client.get(AGENCY_PAGE).content.decode()
    for words in ("Agency-wide", "Agency branding", "Settings page", "Clinic A",
                  "Response targets (SLA)", "Ann Lee", "<td>API</td>"):  # fmt: skip
        assert words in page, words
    # and the codes the API's
    api = client.get(API).json()["results"]
    assert [(r["where"], r["area"], r["by"], r["via"]) for r in api] == [
        ("agency", "branding", "user:1", "page"),
        ("clinic", "sla", "user:7", "api"),
    ]
    clinic_csv = login("alpha_owner").get(PAGE, {"format": "csv"})
    assert clinic_csv["Content-Disposition"] == (
        'attachment; filename="settings-history-clinic-a.csv"'
    )
