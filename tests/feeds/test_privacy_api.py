"""Privacy requests for integrators (`/api/v1/privacy-requests/`): find a person's items across
the agency's clinics, carry a request out with the page's checks, list the log with filters and
read one request with what was done; who may (owners, managers, agency keys with `write`; never
a clinic key) as a matrix; bad input is a 400 naming the field and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from accounts.credentials import api_key_create
from agency.models import PrivacyRequest
from agency.services import agency_member_add
from core.privacy import REDACTED_TEXT
from feeds.models import Review, Source
from tests.api.test_examples import openapi_schema
from tests.fixtures.rows import world_privacy_requests
from webhooks.models import WebhookDelivery
from webhooks.services import subscription_create

URL = "/api/v1/privacy-requests/"
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
REASON = "Erasure request REQ-114 received by e-mail"


def _review(clinic, external_id, author, *, kind="review", text="Long wait, rude staff"):
    with schema_context(clinic.schema_name):
        source, _ = Source.objects.get_or_create(kind="google", defaults={"name": "Google"})
        return Review.objects.create(
            source=source, external_id=external_id, author_name=author, text=text, kind=kind,
            rating=2 if kind == "review" else None, published_at=T0,
        )  # fmt: skip


@pytest.fixture
def reese(clinic_a, clinic_b, clinic_c):
    return {
        "a": _review(clinic_a, "g-1", "Reese B."),
        "a_mention": _review(clinic_a, "g-5", "@reese_b", kind="mention", text="Avoid them"),
        "b": _review(clinic_b, "g-2", "reese b."),
        "c": _review(clinic_c, "g-4", "Reese B."),  # another agency's clinic
    }


@pytest.fixture
def keys(world):
    """Agency keys of alpha with one scope each (the world has `key_alpha` with read+write)."""
    made = {}
    for scope in ("read", "write", "approve"):
        _, issued = api_key_create(
            agency=world.agencies["alpha"], name=f"alpha {scope}", scopes=[scope]
        )
        made[f"alpha_{scope}"] = issued.secret
    return made


def _body(reese, **over) -> dict:
    return {
        "author": "reese",  # as the CRM searched (`matches/`): it finds all three items
        "reason": REASON,
        "action": "redact",
        "items": [
            {"clinic": "clinic-a", "review_id": reese["a"].pk},
            {"clinic": "clinic-a", "review_id": reese["a_mention"].pk},
            {"clinic": "clinic-b", "review_id": reese["b"].pk},
        ],
        **over,
    }


def _untouched(clinic_a, clinic_b, reese) -> bool:
    with schema_context(clinic_a.schema_name):
        a = Review.objects.filter(
            pk__in=[reese["a"].pk, reese["a_mention"].pk], redacted_at=None, author_name__gt=""
        ).count()
        hooks_a = WebhookDelivery.objects.count()
    with schema_context(clinic_b.schema_name):
        b = Review.objects.filter(pk=reese["b"].pk, author_name="reese b.", redacted_at=None)
        b = b.exists()
        hooks_b = WebhookDelivery.objects.count()
    return a == 2 and b and not world_privacy_requests().exists() and hooks_a == hooks_b == 0


def test_an_agency_key_carries_out_a_request_then_lists_and_reads_it(
    reese, api, clinic_a, clinic_b, django_capture_on_commit_callbacks
):
    crm = api("key_alpha")
    # given the person's items, found across the agency's clinics
    found = crm.get(f"{URL}matches/", {"author": "reese"})
    assert found.status_code == 200, found.content
    assert found.json()["found"] == 3 and found.json()["clinics_more"] == 0
    assert [(g["clinic"], len(g["items"])) for g in found.json()["clinics"]] == [
        ("clinic-a", 2), ("clinic-b", 1),
    ]  # fmt: skip
    assert found.json()["clinics"][0]["items"][0]["text"] == "Avoid them"  # newest first
    # when the CRM asks to redact them
    with django_capture_on_commit_callbacks(execute=False):
        created = crm.post(URL, _body(reese), content_type="application/json")
    # then they are redacted in both clinics and the answer says what was done where
    assert created.status_code == 201, created.content
    done = created.json()
    row = world_privacy_requests().get()
    assert done["id"] == row.pk and done["status"] == "completed" and done["action"] == "redact"
    assert done["url"] == f"{settings.PUBLIC_BASE_URL}{URL}{row.pk}/"
    assert (done["items"], done["reviews"], done["mentions"], done["comments"]) == (3, 2, 1, 0)
    assert done["clinics"] == [
        {"clinic": "clinic-a", "clinic_id": clinic_a.pk, "name": "Clinic A", "items": 2,
         "reviews": 1, "comments": 0, "mentions": 1},
        {"clinic": "clinic-b", "clinic_id": clinic_b.pk, "name": "Clinic B", "items": 1,
         "reviews": 1, "comments": 0, "mentions": 0},
    ]  # fmt: skip
    assert done["carried_out_by"].startswith("API key ")
    assert done["received_at"] == done["completed_at"]
    assert [(i["clinic"], i["review_id"], i["kind"]) for i in done["removed"]] == [
        ("clinic-a", reese["a"].pk, "review"),
        ("clinic-a", reese["a_mention"].pk, "mention"),
        ("clinic-b", reese["b"].pk, "review"),
    ]
    assert done["receipt"].startswith("On ") and "by “reese”" in done["receipt"]
    assert "Long wait" not in str(done)  # never the items' text
    with schema_context(clinic_b.schema_name):
        assert Review.objects.get(pk=reese["b"].pk).text == REDACTED_TEXT
    assert row.actor_id is None and row.actor_name.startswith("API key ")
    # and the log lists it, and reads it back the same
    listed = crm.get(URL)
    assert listed.status_code == 200
    assert set(listed.json()) == {"next", "previous", "results"}
    [item] = listed.json()["results"]
    assert {k: v for k, v in done.items() if k not in ("removed", "receipt")} == item
    read = crm.get(f"{URL}{row.pk}/")
    assert read.status_code == 200 and read.json() == done


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("", 2),
        ("action=redact", 1),
        ("action=delete", 1),
        ("clinic=clinic-b", 1),
        ("clinic=clinic-a", 1),
        ("author=REESE", 1),
        ("author=pat", 1),
        ("created_from=2000-01-01T00:00:00Z", 2),
        ("created_from=2999-01-01T00:00:00Z", 0),
        ("created_to=2000-01-01T00:00:00Z", 0),
    ],
)
def test_the_list_filters(reese, api, clinic_a, query, found):
    crm = api("key_alpha")
    first = _body(reese, items=[{"clinic": "clinic-b", "review_id": reese["b"].pk}])
    assert crm.post(URL, first, content_type="application/json").status_code == 201
    pat = _review(clinic_a, "g-9", "Pat")
    second = _body(
        reese, author="Pat", action="delete", items=[{"clinic": "clinic-a", "review_id": pat.pk}]
    )
    assert crm.post(URL, second, content_type="application/json").status_code == 201

    response = crm.get(f"{URL}?{query}")

    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == found


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("created_from=2026-12-01", ["Pat"]),
        ("created_to=2026-11-30", ["reese"]),
        ("created_from=2026-12-01&created_to=2026-12-01", ["Pat"]),  # the whole day, in UTC
        ("created_to=2026-12-01", ["Pat", "reese"]),
        ("created_from=2026-12-01T23:30:00Z", ["Pat"]),  # an instant: inclusive
        ("created_to=2026-12-01T23:30:00Z", ["reese"]),  # an instant: before it
        ("created_from=2026-12-01T18:00:00-05:00&created_to=2026-12-02", ["Pat"]),
    ],
)
def test_the_logs_days_are_whole_utc_days(world, api, query, found):
    # given one request carried out late on 30 November (UTC) and one late on 1 December
    # (UTC: still 1 December until midnight UTC, wherever the clinics are)
    for author, at in (("reese", datetime(2026, 11, 30, 23, 30, tzinfo=UTC)),
                       ("Pat", datetime(2026, 12, 1, 23, 30, tzinfo=UTC))):  # fmt: skip
        PrivacyRequest.objects.create(
            created_at=at, agency_id=world.agencies["alpha"].pk, action="redact",
            author=author, reason=REASON, receipt="Removed.",
        )  # fmt: skip

    # when the log is read for those days
    response = api("key_alpha").get(f"{URL}?{query}")

    # then a day is the whole UTC day (both ends included), an instant is exact
    assert response.status_code == 200, response.content
    assert sorted(r["author"] for r in response.json()["results"]) == found


def test_the_logs_day_filters_say_their_days_are_utc():
    parameters = openapi_schema()["paths"][URL]["get"]["parameters"]
    described = {p["name"]: p["description"] for p in parameters}

    assert "UTC" in described["created_from"] and "UTC" in described["created_to"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("action=shred", "action"),
        ("created_from=yesterday", "created_from"),
        ("sort=newest", "sort"),  # an unknown parameter
        ("page_size=0", "page_size"),
        ("clinic=nowhere", "clinic"),  # no clinic of the agency, now or in its log
        ("clinic=clinic-c", "clinic"),  # another agency's reads as unknown
    ],
)
def test_a_bad_filter_is_a_400_naming_it(world, api, query, field):
    response = api("key_alpha").get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    if field == "clinic":
        assert response.json()["fields"] == {"clinic": ["No such clinic in this agency."]}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("created_from=2026-11-02T00:00:00Z&created_to=2026-11-01T00:00:00Z",
         {"created_to": ["The end of the date range is before its start."]}),
        ("action=redact&action=delete", {"action": ["Give one value."]}),
    ],
    ids=["reversed-range", "two-actions"],
)  # fmt: skip
def test_a_reversed_range_or_a_value_given_twice_is_a_400_naming_it(world, api, query, fields):
    response = api("key_alpha").get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}


def test_the_list_takes_format_as_every_list_does(world, api):
    assert api("key_alpha").get(URL, {"format": "json"}).status_code == 200


def test_a_clinic_known_only_from_the_log_still_filters(reese, api, clinic_b):
    crm = api("key_alpha")
    first = _body(reese, items=[{"clinic": "clinic-b", "review_id": reese["b"].pk}])
    assert crm.post(URL, first, content_type="application/json").status_code == 201
    # the clinic's slug changed since: its old one still finds the requests made then
    type(clinic_b).objects.filter(pk=clinic_b.pk).update(slug="clinic-b-renamed")
    response = crm.get(URL, {"clinic": "clinic-b"})
    assert response.status_code == 200 and len(response.json()["results"]) == 1


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"reason": ""}, {"reason"}),
        ({"reason": "gdpr"}, {"reason"}),  # one word is not a reason
        ({"reason": "x" * 1001}, {"reason"}),
        ({"author": " "}, {"author"}),
        ({"author": "x" * 201}, {"author"}),
        ({"action": "shred"}, {"action"}),
        ({"items": []}, {"items"}),
        ({"items": [{"clinic": "clinic-c", "review_id": 1}]},  # another agency's
         {"items[0].clinic"}),
        ({"items": [{"clinic": "no-such-clinic", "review_id": 1}]}, {"items[0].clinic"}),
        ({"items": [{"clinic": "clinic-a", "review_id": 999999}]}, {"items[0].review_id"}),
        ({"items": [{"clinic": "clinic-a"}]}, {"items[0].review_id"}),
        ({"items": [{"clinic": "clinic-a", "review_id": "one"}]}, {"items[0].review_id"}),
        ({"items": "clinic-a:1"}, {"items"}),
        ({"items": [{"clinic": "clinic-a", "review_id": 1}] * 501}, {"items"}),
        ({"colour": "red"}, {"colour"}),  # an unknown field
    ],
    ids=[
        "no-reason", "one-word-reason", "long-reason", "no-author", "long-author",
        "unknown-action", "no-items", "other-agencys-clinic", "unknown-clinic", "unknown-item",
        "item-without-id", "item-id-not-a-number", "items-not-a-list", "too-many-items",
        "unknown-field",
    ],
)  # fmt: skip
def test_bad_input_is_a_400_with_field_messages_and_changes_nothing(
    reese, api, clinic_a, clinic_b, settings, change, fields
):
    # given subscriptions that would be told of a request
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    for clinic in (clinic_a, clinic_b):
        with schema_context(clinic.schema_name):
            subscription_create(
                url="http://127.0.0.1:9/privacy",
                events=["privacy_request.received", "privacy_request.completed"],
            )
    response = api("key_alpha").post(URL, _body(reese, **change), content_type="application/json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and set(body["fields"]) == fields
    # one message whatever refused it (the fields say what): never a bare "Invalid input."
    assert body["detail"] == "Nothing was removed: correct the fields marked."
    assert _untouched(clinic_a, clinic_b, reese)


def test_a_bad_search_is_a_400_naming_the_field(world, api):
    crm = api("key_alpha")
    for query, field in [
        ("author=r", "author"),
        ("", "author"),
        ("author=reese&clinic=clinic-c", "clinic"),  # another agency's clinic
        ("author=reese&text=maybe", "text"),
        ("author=reese&colour=red", "colour"),
    ]:
        response = crm.get(f"{URL}matches/?{query}")
        assert response.status_code == 400, (query, response.content)
        assert field in response.json()["fields"], query


def test_another_agencys_request_is_404(reese, api):
    created = api("key_alpha").post(URL, _body(reese), content_type="application/json")
    assert created.status_code == 201
    request_id = created.json()["id"]
    assert api("key_beta").get(f"{URL}{request_id}/").status_code == 404
    assert api("key_beta").get(URL).json()["results"] == []
    assert api("key_alpha").get(f"{URL}999999/").status_code == 404


# --- who may: every kind of actor against every endpoint ----------------------------------------

ALLOWED = {"create": 201, "list": 200, "read": 200, "matches": 200}
REFUSED = dict.fromkeys(ALLOWED, 403)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alpha_owner", ALLOWED),
        ("alpha_manager", ALLOWED),
        ("alpha_writer", REFUSED),
        ("alpha_analyst", REFUSED),
        ("a_approver", REFUSED),  # one of the clinic's people
        ("key:key_alpha", ALLOWED),  # agency key, read + write
        ("key:alpha_write", ALLOWED),
        ("key:alpha_read", REFUSED),
        ("key:alpha_approve", REFUSED),
        ("key:key_a", REFUSED),  # a clinic key, read + write
        ("key:key_a_read", REFUSED),
        # another agency's owner and key reach only their own agency: alpha's clinics read as
        # unknown (400 naming the items), alpha's request as not found
        ("beta_owner", {"create": 400, "list": 200, "read": 404, "matches": 200}),
        ("key:key_beta", {"create": 400, "list": 200, "read": 404, "matches": 200}),
        ("anonymous", dict.fromkeys(ALLOWED, 401)),
    ],
)
def test_who_may_handle_privacy_requests(
    reese, world, login, api, keys, clinic_a, clinic_b, who, expected
):
    # given a request already carried out by the agency's manager
    earlier = _body(reese, items=[{"clinic": "clinic-a", "review_id": reese["a_mention"].pk}])
    made = login("alpha_manager").post(URL, earlier, content_type="application/json")
    assert made.status_code == 201
    earlier_id = made.json()["id"]
    if who == "anonymous":
        client = Client()
    elif who.startswith("key:"):
        name = who.removeprefix("key:")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {keys.get(name) or world.keys[name]}")
    else:
        client = login(who)
    body = _body(reese, items=[{"clinic": "clinic-b", "review_id": reese["b"].pk}])

    got = {
        "create": client.post(URL, body, content_type="application/json").status_code,
        "list": client.get(URL).status_code,
        "read": client.get(f"{URL}{earlier_id}/").status_code,
        "matches": client.get(f"{URL}matches/?author=reese").status_code,
    }

    assert got == expected
    carried_out = expected["create"] == 201
    assert world_privacy_requests().count() == (2 if carried_out else 1)
    with schema_context(clinic_b.schema_name):
        assert (Review.objects.get(pk=reese["b"].pk).redacted_at is not None) is carried_out
    if expected["list"] == 200 and who not in ("beta_owner", "key:key_beta"):
        assert earlier_id in [r["id"] for r in client.get(URL).json()["results"]]


def test_a_person_in_two_agencies_names_one(reese, world, login):
    agency_member_add(
        agency=world.agencies["beta"], email=world.users["alpha_manager"].email,
        full_name="Alpha Manager", role="manager",
    )  # fmt: skip
    client = login("alpha_manager")
    refused = client.get(URL)
    assert refused.status_code == 403
    assert "name one in “agency”" in refused.json()["detail"]
    assert client.get(f"{URL}?agency=alpha").status_code == 200
    created = client.post(URL, _body(reese, agency="alpha"), content_type="application/json")
    assert created.status_code == 201
    assert client.get(f"{URL}{created.json()['id']}/?agency=beta").status_code == 404


@pytest.mark.parametrize("who", ["key_a", "key_a_read", "key_b"])
def test_a_clinic_key_is_refused_before_its_input_is_read(reese, api, clinic_a, clinic_b, who):
    client = api(who)
    for response in (
        client.post(URL, {}, content_type="application/json"),
        client.post(URL, _body(reese, reason=""), content_type="application/json"),
        client.get(f"{URL}?action=shred"),
        client.get(f"{URL}matches/"),
    ):
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
        assert "agency key" in response.json()["detail"]
    assert _untouched(clinic_a, clinic_b, reese)


def test_an_item_that_is_not_the_persons_is_refused_and_nothing_is_removed(
    reese, api, clinic_a, clinic_b
):
    # given another reviewer's item at clinic A (not by Reese, not naming her)
    parker = _review(clinic_a, "g-9", "Parker R.", text="Lovely visit, thank you")
    items = [*_body(reese)["items"], {"clinic": "clinic-a", "review_id": parker.pk}]
    # when a request for Reese names it among hers
    response = api("key_alpha").post(
        URL, _body(reese, items=items), content_type="application/json"
    )
    # then it is a 400 naming that item, and nothing of anyone is removed
    assert response.status_code == 400, response.content
    [message] = response.json()["fields"]["items[3].review_id"]
    assert message.startswith(f"Item #{parker.pk} at Clinic A is not by “reese”")
    assert _untouched(clinic_a, clinic_b, reese)
    with schema_context(clinic_a.schema_name):
        parker.refresh_from_db()
    assert parker.redacted_at is None and parker.author_name == "Parker R."


def test_an_item_whose_text_names_the_person_may_be_removed(reese, api, clinic_a):
    # given a mention by someone else that names Reese (the search with texts finds it)
    naming = _review(clinic_a, "x-1", "@someone", kind="mention", text="Reese B. was rude")
    body = _body(reese, items=[{"clinic": "clinic-a", "review_id": naming.pk}])
    response = api("key_alpha").post(URL, body, content_type="application/json")
    assert response.status_code == 201, response.content
    with schema_context(clinic_a.schema_name):
        naming.refresh_from_db()
    assert naming.redacted_at is not None and naming.text == REDACTED_TEXT


# --- walk 11 F14: an unknown agency, and a request sent twice -----------------------------------


@pytest.mark.parametrize("who", ["key:key_alpha", "alpha_manager"])
def test_an_unknown_agency_is_a_400_on_agency_and_another_agency_a_403(
    reese, world, login, api, clinic_a, clinic_b, who
):
    client = api("key_alpha") if who.startswith("key:") else login(who)
    for agency, status, answer in [
        ("nope", 400, {"agency": ["No such agency."]}),
        ("beta", 403, None),  # an agency that exists, not the caller's
    ]:
        made = client.post(URL, _body(reese, agency=agency), content_type="application/json")
        listed = client.get(URL, {"agency": agency})
        found = client.get(f"{URL}matches/", {"author": "reese", "agency": agency})
        assert [made.status_code, listed.status_code, found.status_code] == [status] * 3, agency
        if answer is not None:
            assert made.json()["fields"] == listed.json()["fields"] == answer
            assert made.json()["detail"] == "Nothing was removed: correct the fields marked."
        else:
            assert made.json()["code"] == "permission_denied"
    assert _untouched(clinic_a, clinic_b, reese)


def test_a_caller_who_may_not_is_refused_whatever_agency_it_names(reese, keys, clinic_a, clinic_b):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {keys['alpha_read']}")
    made = client.post(URL, _body(reese, agency="nope"), content_type="application/json")
    assert made.status_code == 403 and "agency key" in made.json()["detail"]
    assert _untouched(clinic_a, clinic_b, reese)


def _hooks(*clinics) -> int:
    total = 0
    for clinic in clinics:
        with schema_context(clinic.schema_name):
            total += WebhookDelivery.objects.count()
    return total


@pytest.fixture
def told(clinic_a, clinic_b, settings):
    """Subscriptions in both clinics that are told of every privacy request."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    for clinic in (clinic_a, clinic_b):
        with schema_context(clinic.schema_name):
            subscription_create(
                url="http://127.0.0.1:9/privacy",
                events=["privacy_request.received", "privacy_request.completed"],
            )


def test_the_same_redaction_sent_twice_is_refused_naming_the_item_and_the_request(
    reese, api, told, clinic_a, clinic_b
):
    crm = api("key_alpha")
    first = crm.post(URL, _body(reese), content_type="application/json")
    assert first.status_code == 201, first.content
    request_id = first.json()["id"]
    made = world_privacy_requests().get().created_at  # the clinics' pages read UTC
    day = f"{made.day} {made:%b %Y}"
    hooks = _hooks(clinic_a, clinic_b)
    assert hooks == 4  # received and completed, in each clinic

    # when the CRM sends it again (a retry, a double click)
    again = crm.post(URL, _body(reese), content_type="application/json")

    # then it is a 400 naming each item, with the request that removed it, and nothing more is
    # stored, logged or announced
    assert again.status_code == 400, again.content
    assert again.json()["fields"] == {
        "items[0].review_id": [
            f"Item #{reese['a'].pk} at Clinic A was already removed on {day} by request "
            f"{request_id}: leave it out."
        ],
        "items[1].review_id": [
            f"Item #{reese['a_mention'].pk} at Clinic A was already removed on {day} by request "
            f"{request_id}: leave it out."
        ],
        "items[2].review_id": [
            f"Item #{reese['b'].pk} at Clinic B was already removed on {day} by request "
            f"{request_id}: leave it out."
        ],
    }
    assert world_privacy_requests().count() == 1
    assert _hooks(clinic_a, clinic_b) == hooks


def test_one_item_removed_already_refuses_the_whole_request(reese, api, told, clinic_a, clinic_b):
    crm = api("key_alpha")
    first = _body(reese, items=[{"clinic": "clinic-b", "review_id": reese["b"].pk}])
    assert crm.post(URL, first, content_type="application/json").status_code == 201

    response = crm.post(URL, _body(reese), content_type="application/json")

    assert response.status_code == 400
    [message] = response.json()["fields"]["items[2].review_id"]
    assert message.startswith(f"Item #{reese['b'].pk} at Clinic B was already removed on ")
    # the items not removed before are not removed now either
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.filter(pk=reese["a"].pk, redacted_at__isnull=False).exists()
    assert world_privacy_requests().count() == 1 and _hooks(clinic_a, clinic_b) == 2


def test_a_redacted_item_may_still_be_deleted_once(reese, api, clinic_b):
    crm = api("key_alpha")
    item = [{"clinic": "clinic-b", "review_id": reese["b"].pk}]
    redacted = crm.post(URL, _body(reese, items=item), content_type="application/json")
    assert redacted.status_code == 201

    deleted = crm.post(
        URL, _body(reese, items=item, action="delete"), content_type="application/json"
    )
    twice = crm.post(
        URL, _body(reese, items=item, action="delete"), content_type="application/json"
    )

    assert deleted.status_code == 201, deleted.content
    with schema_context(clinic_b.schema_name):
        assert Review.objects.get(pk=reese["b"].pk).is_deleted
    assert twice.status_code == 400
    row = PrivacyRequest.objects.get(pk=deleted.json()["id"])
    assert twice.json()["fields"] == {
        "items[0].review_id": [
            f"Item #{reese['b'].pk} at Clinic B was already deleted on "
            f"{row.created_at.day} {row.created_at:%b %Y} by request {row.pk}: leave it out."
        ]
    }
    assert world_privacy_requests().count() == 2
