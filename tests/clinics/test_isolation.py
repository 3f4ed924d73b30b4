"""Clinic A can never see clinic B: schemas, pages, API, keys — for every clinic route."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.models import AgencyMembership
from clinics.access import clinic_access
from clinics.alerting import chat_webhooks_set
from clinics.models import ChatWebhook, Clinic, ClinicMembership, SettingChange
from clinics.routes import routes_forget_all
from config import urls_tenant
from core.api import ClinicAPIView
from core.permissions import Permission
from core.views import ClinicView
from feeds.models import Review, Source
from tests.crisis.fake_chat import FakeChat
from tests.fixtures.pages import without_csrf


def _routes(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else urls_tenant.urlpatterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _concrete(route: str) -> str:
    """The route with its parameters filled in, so that it reaches its own view: an id is 1,
    any other parameter "x" (`sources/connect/<int:attempt_id>/` and
    `sources/connect/<str:platform>/` were one row, the second view never called)."""
    route = re.sub(r"<int:\w+>", "1", route)
    return re.sub(r"<(?:\w+:)?\w+>", "x", route)


def _methods(pattern: URLPattern) -> list[str]:
    view_class = getattr(pattern.callback, "view_class", None)
    names = [m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)]
    return names or ["GET"]


ROUTES = sorted({_concrete(route): pattern for route, pattern in _routes()}.items())
assert len(ROUTES) == len(list(_routes())), "two routes read as one: give them apart in _concrete"
ROUTE_IDS = [route or "<overview>" for route, _ in ROUTES]


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=ROUTE_IDS)
def test_every_clinic_route_inherits_the_access_base(route, pattern):
    view_class = getattr(pattern.callback, "view_class", None)
    assert view_class is not None, f"{route}: function views cannot be checked; use a class"
    assert issubclass(view_class, ClinicAPIView | ClinicView), route


OUTSIDERS = {  # actor -> how it authenticates
    "clinic_b_person": ("user", "b_approver"),
    "other_agency_owner": ("user", "beta_owner"),
    "clinic_b_key": ("key", "key_b"),
    "other_agency_key": ("key", "key_beta"),
    "other_agency_clinic_key": ("key", "key_c"),
    # staff of the clinic's own agency limited to its other clinic (the agency's people page)
    "writer_limited_to_clinic_b": ("limited", "alpha_writer"),
    "analyst_limited_to_clinic_b": ("limited", "alpha_analyst"),
}


def _client(kind, name, login, api, limit_to=None, world=None):
    if kind == "limited":
        limit_to(name, world.clinics["b"])
        return login(name)
    return login(name) if kind == "user" else api(name)


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("outsider", sorted(OUTSIDERS))
def test_outsiders_get_404_on_every_clinic_route(
    route, pattern, outsider, clinic_a, login, api, limit_to, world
):
    # given someone who may not reach clinic A, and a clinic slug that does not exist
    kind, name = OUTSIDERS[outsider]
    client = _client(kind, name, login, api, limit_to, world)
    # API keys work on the API only; on a page they count as no credential at all
    expected = 404 if kind != "key" or route.startswith("api/") else 302
    for method in _methods(pattern):
        # when they call the route on clinic A
        response = client.generic(method, f"/clinics/{clinic_a.slug}/{route}")
        missing = client.generic(method, f"/clinics/no-such-clinic/{route}")
        # then it answers exactly as if clinic A did not exist
        assert response.status_code == expected, (method, route, response.status_code)
        assert missing.status_code == expected
        if expected == 404:
            # the same page, but for the sign-out form's CSRF token, masked afresh per response
            assert without_csrf(response.content) == without_csrf(missing.content)


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=ROUTE_IDS)
def test_anonymous_is_sent_to_login_or_401_on_every_clinic_route(route, pattern, clinic_a, api):
    client = api(None)
    for method in _methods(pattern):
        response = client.generic(method, f"/clinics/{clinic_a.slug}/{route}")
        missing = client.generic(method, f"/clinics/no-such-clinic/{route}")
        if route.startswith("api/"):
            assert response.status_code == 401
            assert response.json()["code"] == "not_authenticated"
        else:
            assert response.status_code == 302
            assert response["Location"].startswith("/login/?next=")
        assert missing.status_code == response.status_code


def test_rows_created_in_clinic_a_are_invisible_from_clinic_b(clinic_a, clinic_b):
    # given a review stored in clinic A's schema
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="google", name="Google")
        Review.objects.create(
            source=source, external_id="only-in-a", text="Great", published_at=timezone.now()
        )
        assert Review.objects.filter(external_id="only-in-a").count() == 1
    # then clinic B's schema has no such row, nor any source
    with schema_context(clinic_b.schema_name):
        assert not Review.objects.filter(external_id="only-in-a").exists()
        assert Source.objects.count() == 0


def test_clinic_person_gets_404_on_another_clinics_page_and_api(clinic_b, login):
    client = login("a_approver")
    assert client.get(f"/clinics/{clinic_b.slug}/").status_code == 404
    assert client.get(f"/clinics/{clinic_b.slug}/api/v1/reviews/").status_code == 404
    # and reaches their own (the clinic's page sends them to its portal)
    assert client.get("/clinics/clinic-a/")["Location"] == "/clinics/clinic-a/portal/"
    assert client.get("/clinics/clinic-a/portal/").status_code == 200
    assert client.get("/clinics/clinic-a/api/v1/reviews/").status_code == 200


def test_agency_user_never_sees_another_agencys_clinics(world, login, clinic_c):
    client = login("alpha_owner")
    listed = {c["slug"] for c in client.get("/api/v1/clinics/").json()["results"]}
    assert listed == {"clinic-a", "clinic-b"}
    home = client.get("/").content.decode()
    assert "Clinic A" in home and "Clinic B" in home and "Clinic C" not in home
    assert client.get(f"/clinics/{clinic_c.slug}/").status_code == 404
    assert client.get(f"/clinics/{clinic_c.slug}/api/v1/me/").status_code == 404


def test_clinic_a_api_key_is_rejected_on_clinic_b(api, clinic_b):
    client = api("key_a")
    assert client.get("/clinics/clinic-a/api/v1/reviews/").status_code == 200
    response = client.get(f"/clinics/{clinic_b.slug}/api/v1/reviews/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_clinic_key_lists_only_its_clinic_and_agency_key_its_agency(api):
    assert [c["slug"] for c in api("key_a").get("/api/v1/clinics/").json()["results"]] == [
        "clinic-a"
    ]
    slugs = {c["slug"] for c in api("key_alpha").get("/api/v1/clinics/").json()["results"]}
    assert slugs == {"clinic-a", "clinic-b"}
    assert [c["slug"] for c in api("key_beta").get("/api/v1/clinics/").json()["results"]] == [
        "clinic-c"
    ]


def test_agency_key_reaches_its_agencys_clinics_only(api, clinic_c):
    client = api("key_alpha")
    assert client.get("/clinics/clinic-a/api/v1/me/").status_code == 200
    assert client.get("/clinics/clinic-b/api/v1/me/").status_code == 200
    assert client.get(f"/clinics/{clinic_c.slug}/api/v1/me/").status_code == 404


def test_a_view_cannot_opt_out_of_the_access_check():
    with pytest.raises(TypeError, match="may not override get_permissions"):

        class Sneaky(ClinicAPIView):
            def get_permissions(self):
                return []

    with pytest.raises(TypeError, match="may not override authentication_classes"):

        class Sneakier(ClinicAPIView):
            authentication_classes = []

    with pytest.raises(TypeError, match="may not override dispatch"):

        class SneakyPage(ClinicView):
            def dispatch(self, request, *args, **kwargs):
                return None


# --- The insiders' half of the matrix -------------------------------------------------------
# The outsiders' 404 above only proves isolation if the same route answers the clinic's own
# callers: every parameterless API route must give clinic A's key and the agency's key
# something other than "not found" or "not authenticated".
API_LIST_ROUTES = [
    (route, pattern) for route, pattern in ROUTES if route.startswith("api/") and "/1/" not in route
]
INSIDER_KEYS = ["key_a", "key_a_read", "key_alpha"]


@pytest.mark.parametrize(("route", "pattern"), API_LIST_ROUTES, ids=[r for r, _ in API_LIST_ROUTES])
@pytest.mark.parametrize("key", INSIDER_KEYS)
def test_insiders_reach_every_clinic_api_route(route, pattern, key, clinic_a, api):
    client = api(key)
    for method in _methods(pattern):
        response = client.generic(method, f"/clinics/{clinic_a.slug}/{route}")
        assert response.status_code not in (401, 404), (method, route, response.status_code)
        if method != "GET":
            continue
        # a 403 is the role or scope speaking (e.g. keys never manage keys), not isolation
        assert response.status_code in (200, 403), (route, response.status_code)


# --- Public (agency-level) API routes -------------------------------------------------------
# Every route of config/urls_public.py under /api/v1/ must have a row here: a new route fails
# the first test until someone states who may call it and what the others get.
from config import urls_public  # noqa: E402


def _public_api_routes():
    for route, pattern in _routes(urls_public.urlpatterns):
        if route.startswith("api/v1/"):
            yield _concrete(route), pattern


PUBLIC_API_EXPECTED = {
    # route: {actor: expected status for GET, or for POST where the route only takes POST}.
    # Actors: an API key's name, "user:<name>" for a signed-in person, None for anonymous.
    # API keys never manage API keys (a leaked key cannot mint more): people do.
    "api/v1/auth/token/": None,  # exchanges a password for a token: no credential needed
    # one's own personal tokens: people only (tests/security/test_f8_personal_tokens.py)
    "api/v1/auth/tokens/": {
        "key_alpha": 403, "user:alpha_owner": 200, "user:a_approver": 200, None: 401,
    },
    "api/v1/auth/tokens/1/": {None: 401},
    "api/v1/clinics/": {"key_a": 200, "key_alpha": 200, "key_beta": 200, None: 401},
    "api/v1/api-keys/": {
        "key_a": 403, "key_alpha": 403, "user:alpha_owner": 200, "user:beta_owner": 200,
        "user:a_approver": 403, None: 401,
    },
    "api/v1/api-keys/1/revoke/": {
        "key_alpha": 403, "user:beta_owner": 404, "user:a_approver": 403, None: 401,
    },
    "api/v1/api-keys/1/rotate/": {
        "key_alpha": 403, "user:beta_owner": 404, "user:a_approver": 403, None: 401,
    },
    # privacy requests: the agency's owners and managers and its agency keys with `write`,
    # never a clinic key (tests/feeds/test_privacy_api.py has the whole matrix)
    "api/v1/privacy-requests/": {
        "key_a": 403, "key_alpha": 200, "key_beta": 200, "user:alpha_owner": 200,
        "user:a_approver": 403, None: 401,
    },
    "api/v1/privacy-requests/matches/": {  # no `author`: 400 once the caller may search
        "key_a": 403, "key_alpha": 400, "user:alpha_owner": 400, "user:a_approver": 403,
        None: 401,
    },
    "api/v1/privacy-requests/1/": {
        "key_a": 403, "key_alpha": 404, "user:beta_owner": 404, "user:a_approver": 403, None: 401,
    },
    # the agency's approvals log: its owners and managers and its agency keys with `approve`
    # (tests/responses/test_agency_approvals_log_api.py), never a clinic key or a clinic's people
    "api/v1/approvals-log/": {
        "key_a": 403, "key_alpha": 403, "key_beta": 403, "user:alpha_owner": 200,
        "user:alpha_manager": 200, "user:beta_owner": 200, "user:alpha_writer": 403,
        "user:a_approver": 403, "user:a_legal": 403, None: 401,
    },
    # the month across clinics: whoever reads a clinic's monthly report (every staff role, each
    # over the clinics they reach) and the agency's keys with `read`; never a clinic key or a
    # clinic's people (tests/reports/test_months_across.py)
    "api/v1/reports/months/": {
        "key_a": 403, "key_a_read": 403, "key_alpha": 200, "key_beta": 200,
        "user:alpha_owner": 200, "user:alpha_manager": 200, "user:alpha_writer": 200,
        "user:alpha_analyst": 200, "user:beta_owner": 200, "user:a_approver": 403,
        "user:a_viewer": 403, None: 401,
    },
}  # fmt: skip


def test_every_public_api_route_is_in_the_matrix():
    routes = {route for route, _ in _public_api_routes()}
    assert routes == set(PUBLIC_API_EXPECTED), routes ^ set(PUBLIC_API_EXPECTED)


@pytest.mark.parametrize(
    ("route", "actor", "expected"),
    [
        (route, actor, expected)
        for route, table in PUBLIC_API_EXPECTED.items()
        if table
        for actor, expected in table.items()
    ],
)
def test_public_api_route_matrix(route, actor, expected, api, login, world):
    pattern = dict(_public_api_routes())[route]
    method = (
        "GET" if "get" in _methods(pattern)[0].lower() or "GET" in _methods(pattern) else "POST"
    )
    if "{id}" in route or "/1/" in route:
        # a real key of agency alpha, so that "not found" means "not yours", not "no such key"
        from accounts.models import ApiKey

        key_id = ApiKey.objects.filter(agency=world.agencies["alpha"], name="key_a_read").get().pk
        route = route.replace("/1/", f"/{key_id}/")
    client = login(actor[5:]) if actor and actor.startswith("user:") else api(actor)
    response = client.generic(method, f"/{route}")
    assert response.status_code == expected, (route, actor, response.status_code, response.content)
    if route == "api/v1/api-keys/" and expected == 200:
        agency = "alpha" if "alpha" in actor else "beta"
        body = response.json()
        names = {k["name"] for k in (body["results"] if isinstance(body, dict) else body)}
        others = {"key_a", "key_b", "key_alpha"} if agency == "beta" else {"key_beta", "key_c"}
        assert names and not names & others


def test_a_key_revoked_by_another_agency_stays_valid(api, login, world):
    from accounts.models import ApiKey

    key = ApiKey.objects.get(agency=world.agencies["alpha"], name="key_a_read")
    response = login("beta_owner").post(f"/api/v1/api-keys/{key.pk}/revoke/")
    assert response.status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
    assert api("key_a_read").get("/clinics/clinic-a/api/v1/me/").status_code == 200


# --- Clinic settings API: who may change them ---------------------------------------------------
# The chat webhooks (`chat-webhooks/`, tests/clinics/test_chat_webhooks_api.py): read with `view`,
# changed and tested with `manage` (the agency's owners and managers, as on the alert settings
# page), by the one rule of `clinics.access`; API keys never manage. A refused call changes,
# records and sends nothing.
CHAT_WEBHOOK_OPERATIONS = {  # name: (method, route under chat-webhooks/, body, status if allowed)
    "list": ("GET", "", None, 200),
    "read": ("GET", "{id}/", None, 200),
    "create": ("POST", "", {"kind": "teams", "url": "https://x.webhook.office.com/w/1"}, 201),
    "change": ("PATCH", "{id}/", {"url": "https://hooks.slack.com/services/T/B/new1"}, 200),
    "delete": ("DELETE", "{id}/", None, 204),
    "test": ("POST", "{id}/test/", None, 200),
}
CHAT_WEBHOOK_READERS = ["alpha_writer", "alpha_analyst", "a_approver", "a_viewer", "a_legal",
                        "key_a", "key_a_read", "key_alpha"]  # fmt: skip
CHAT_WEBHOOK_EXPECTED = {
    **dict.fromkeys(("alpha_owner", "alpha_manager"), "allowed"),
    **dict.fromkeys(CHAT_WEBHOOK_READERS, "reads"),
    **dict.fromkeys(("beta_owner", "key_b", "key_beta"), 404),
}


@pytest.mark.parametrize("operation", CHAT_WEBHOOK_OPERATIONS)
@pytest.mark.parametrize("actor", CHAT_WEBHOOK_EXPECTED)
def test_chat_webhook_api_matrix(operation, actor, world, clinic_a, login, api):
    chat = FakeChat().start()
    try:
        hook = chat_webhooks_set(
            agency_id=clinic_a.agency_id,
            clinic=clinic_a,
            changes={"slack": f"{chat.base_url}/slack"},
            actor=Actor(user=world.users["alpha_owner"]),
        )["slack"]
        rows, lines = list(ChatWebhook.objects.values()), SettingChange.objects.count()
        method, route, body, allowed = CHAT_WEBHOOK_OPERATIONS[operation]
        expected = CHAT_WEBHOOK_EXPECTED[actor]
        if expected == "allowed" or (expected == "reads" and method == "GET"):
            expected = allowed
        elif expected == "reads":
            expected = 403
        client = api(actor) if actor.startswith("key_") else login(actor)
        url = f"/clinics/clinic-a/api/v1/chat-webhooks/{route.format(id=hook.pk)}"
        response = client.generic(method, url, json.dumps(body) if body else "", "application/json")
        assert response.status_code == expected, (actor, operation, response.content)
        if expected in (403, 404) or method == "GET":
            assert list(ChatWebhook.objects.values()) == rows
            assert SettingChange.objects.count() == lines and chat.posts == []
        if expected == 403:
            assert response.json()["code"] == "permission_denied"
            assert "manage settings and people" in response.json()["detail"]
    finally:
        chat.stop()


# --- What each route needs: the insiders' half of who may do what -----------------------------
# Every clinic route and method, with the permission the one access rule (`clinics.access`)
# checks before the view runs (`ClinicAPIView.permission_for`, `ClinicView.permission` /
# `write_permission`). A new route, or a route whose need changed, fails the first test until
# someone states it here; the second proves that every insider whose role lacks it is refused,
# whatever the route, and that the refusal is the rule's (no view lets it through). A need of
# VIEW on an unsafe method means the service decides (the approval step, the separation of
# duties, the clinic's own approver): tests/security has those matrices.
VIEW, WRITE, MANAGE = Permission.VIEW, Permission.WRITE, Permission.MANAGE
APPROVALS_LOG, LEGAL_OVERRIDE = Permission.APPROVALS_LOG, Permission.LEGAL_OVERRIDE
PRIVACY_REQUESTS, REVIEW_QUESTION = Permission.PRIVACY_REQUESTS, Permission.REVIEW_QUESTION
ROUTE_NEEDS = {
    "": {"GET": VIEW},
    "api/v1/api-keys/": {"GET": MANAGE, "POST": MANAGE},
    "api/v1/api-keys/1/revoke/": {"POST": MANAGE},
    "api/v1/api-keys/1/rotate/": {"POST": MANAGE},
    "api/v1/approvals-log/": {"GET": APPROVALS_LOG},
    "api/v1/audit/": {"GET": VIEW},
    "api/v1/chat-webhooks/": {"GET": VIEW, "POST": MANAGE},
    "api/v1/chat-webhooks/1/": {"GET": VIEW, "PATCH": MANAGE, "DELETE": MANAGE},
    "api/v1/chat-webhooks/1/test/": {"POST": MANAGE},
    "api/v1/claims/": {"GET": VIEW},
    "api/v1/claims/1/": {"GET": VIEW},
    "api/v1/compliance/check/": {"POST": VIEW},
    "api/v1/compliance/fix/": {"POST": VIEW},
    "api/v1/contact-consents/1/revoke/": {"POST": WRITE},
    "api/v1/crisis/response-plan/": {"GET": VIEW, "PUT": WRITE},
    "api/v1/crisis/response-plan/versions/1/": {"GET": VIEW},
    "api/v1/crisis/settings/": {"GET": VIEW, "PATCH": MANAGE},
    "api/v1/deactivate/": {"POST": MANAGE},
    "api/v1/delete/": {"POST": MANAGE},
    "api/v1/drafts/": {"GET": VIEW, "POST": WRITE},
    "api/v1/drafts/1/": {"GET": VIEW, "PATCH": WRITE},
    "api/v1/drafts/1/approve/": {"POST": VIEW},
    "api/v1/drafts/1/audit/": {"GET": VIEW},
    "api/v1/drafts/1/discard/": {"POST": WRITE},
    "api/v1/drafts/1/override/": {"POST": LEGAL_OVERRIDE},
    "api/v1/drafts/1/reject/": {"POST": VIEW},
    "api/v1/drafts/1/remind/": {"POST": WRITE},
    "api/v1/drafts/1/submit/": {"POST": WRITE},
    "api/v1/drafts/1/take-back/": {"POST": VIEW},
    "api/v1/exports/": {"GET": MANAGE, "POST": MANAGE},
    "api/v1/exports/1/": {"GET": MANAGE},
    "api/v1/exports/1/download/": {"GET": MANAGE},
    "api/v1/facts/": {"GET": VIEW, "POST": MANAGE},
    "api/v1/facts/1/": {"GET": VIEW, "PATCH": MANAGE, "DELETE": MANAGE},
    "api/v1/facts/1/confirm/": {"POST": MANAGE},
    "api/v1/facts/1/versions/": {"GET": VIEW},
    "api/v1/facts/1/versions/1/restore/": {"POST": MANAGE},
    "api/v1/facts/ask-clinic/": {"POST": MANAGE},
    "api/v1/imports/": {"GET": VIEW, "POST": WRITE},
    "api/v1/imports/1/": {"GET": VIEW},
    "api/v1/incidents/": {"GET": VIEW},
    "api/v1/incidents/1/": {"GET": VIEW},
    "api/v1/incidents/1/acknowledge/": {"POST": VIEW},  # acts_on_incidents decides
    "api/v1/incidents/1/assign/": {"POST": WRITE},
    "api/v1/incidents/1/notes/": {"POST": WRITE},
    "api/v1/incidents/1/resolve/": {"GET": VIEW, "POST": WRITE},
    "api/v1/incidents/1/review/": {"GET": VIEW, "PATCH": WRITE},
    "api/v1/incidents/1/review/apply-to-plan/": {"POST": WRITE},
    "api/v1/incidents/1/review/export/": {"GET": VIEW},
    "api/v1/incidents/1/review/questions/": {"GET": VIEW},
    "api/v1/incidents/1/review/questions/1/answer/": {"POST": WRITE},
    "api/v1/incidents/1/review/send/": {"POST": WRITE},
    "api/v1/incidents/1/statements/": {"GET": VIEW, "POST": WRITE},
    "api/v1/incidents/1/status/": {"POST": WRITE},
    "api/v1/incidents/1/timeline/": {"GET": VIEW},
    "api/v1/incidents/counts/": {"GET": VIEW},
    "api/v1/me/": {"GET": VIEW},
    "api/v1/outbox/": {"GET": VIEW},
    "api/v1/outbox/1/": {"GET": VIEW},
    "api/v1/outbox/1/mark-posted/": {"POST": WRITE},
    "api/v1/outbox/1/retry/": {"POST": WRITE},
    "api/v1/private-conversations/": {"GET": VIEW},
    "api/v1/private-conversations/1/": {"GET": VIEW, "PATCH": WRITE},
    "api/v1/private-conversations/1/messages/": {"POST": WRITE},
    "api/v1/private-conversations/1/messages/1/retry/": {"POST": WRITE},
    "api/v1/private-conversations/1/notes/": {"POST": WRITE},
    "api/v1/reactivate/": {"POST": MANAGE},
    "api/v1/reply-batches/": {"GET": VIEW, "POST": WRITE},
    "api/v1/reply-batches/1/": {"GET": VIEW, "PATCH": WRITE},
    "api/v1/reply-batches/1/approve/": {"POST": VIEW},
    "api/v1/reply-batches/1/discard/": {"POST": WRITE},
    "api/v1/reply-batches/1/mentions/1/": {"DELETE": WRITE},
    "api/v1/reply-batches/1/override/": {"POST": LEGAL_OVERRIDE},
    "api/v1/reply-batches/1/reject/": {"POST": VIEW},
    "api/v1/reply-batches/1/remind/": {"POST": WRITE},
    "api/v1/reply-batches/1/submit/": {"POST": WRITE},
    "api/v1/reply-batches/1/take-back/": {"POST": VIEW},
    "api/v1/reply-settings/": {"GET": VIEW, "PATCH": MANAGE},
    "api/v1/reply-templates/": {"GET": VIEW, "POST": MANAGE},
    "api/v1/reply-templates/1/": {"GET": VIEW, "PATCH": MANAGE},
    "api/v1/reports/monthly/": {"GET": VIEW},
    "api/v1/reviews/": {"GET": VIEW},
    "api/v1/reviews/1/": {"GET": VIEW},
    "api/v1/reviews/1/contact-consents/": {"GET": VIEW, "POST": WRITE},
    "api/v1/reviews/1/follow-up-channels/": {"GET": VIEW},
    "api/v1/reviews/1/private-conversations/": {"GET": VIEW, "POST": WRITE},
    "api/v1/reviews/1/suggestion/": {"GET": VIEW},
    "api/v1/reviews/ingest/": {"POST": WRITE},
    "api/v1/scores/": {"GET": VIEW},
    "api/v1/settings-history/": {"GET": MANAGE},
    "api/v1/sources/": {"GET": VIEW, "POST": MANAGE},
    "api/v1/sources/1/": {"GET": VIEW, "PATCH": MANAGE},
    "api/v1/statements/": {"GET": VIEW, "POST": WRITE},
    "api/v1/statements/1/": {"GET": VIEW, "PATCH": WRITE},
    "api/v1/statements/1/approve/": {"POST": VIEW},
    "api/v1/statements/1/discard/": {"POST": WRITE},
    "api/v1/statements/1/override/": {"POST": LEGAL_OVERRIDE},
    "api/v1/statements/1/publish/": {"POST": WRITE},
    "api/v1/statements/1/reject/": {"POST": VIEW},
    "api/v1/statements/1/remind/": {"POST": WRITE},
    "api/v1/statements/1/submit/": {"POST": WRITE},
    "api/v1/statements/1/take-back/": {"POST": VIEW},
    "api/v1/statements/1/unpin/": {"POST": WRITE},
    "api/v1/webhooks/": {"GET": VIEW, "POST": MANAGE},
    "api/v1/webhooks/1/": {"GET": VIEW, "PATCH": MANAGE, "DELETE": MANAGE},
    "api/v1/webhooks/1/deliveries/": {"GET": VIEW},
    "api/v1/webhooks/1/rotate-secret/": {"POST": MANAGE},
    "api/v1/webhooks/deliveries/1/replay/": {"POST": MANAGE},
    "approvals-log/": {"GET": APPROVALS_LOG},
    "facts/": {"GET": VIEW, "POST": MANAGE},
    "facts/1/": {"GET": VIEW, "POST": MANAGE},
    "follow-ups/": {"GET": VIEW},
    "follow-ups/1/": {"GET": VIEW, "POST": WRITE},
    "imports/": {"GET": VIEW},
    "imports/upload/": {"POST": WRITE},
    "inbox/": {"GET": VIEW, "POST": WRITE},
    "inbox/1/": {"GET": VIEW},
    "incidents/": {"GET": VIEW},
    "incidents/1/": {"GET": VIEW, "POST": WRITE},
    "incidents/1/review/": {"GET": VIEW, "POST": WRITE},
    "outbox/": {"GET": VIEW, "POST": WRITE},
    "portal/": {"GET": VIEW},
    "portal/act/": {"POST": VIEW},
    "portal/alerts/banner/": {"GET": VIEW},
    "portal/approvals-log/": {"GET": APPROVALS_LOG},
    "portal/approvals/": {"GET": VIEW},
    "portal/brand.css": {"GET": VIEW},
    "portal/fact-sheet/": {"GET": VIEW},
    "portal/facts/": {"GET": VIEW, "POST": VIEW},
    "portal/follow-ups/": {"GET": VIEW, "POST": VIEW},
    "portal/incidents/": {"GET": VIEW},
    "portal/incidents/1/": {"GET": VIEW, "POST": VIEW},
    "portal/incidents/1/review.pdf": {"GET": VIEW},
    "portal/incidents/1/review/": {"GET": VIEW, "POST": REVIEW_QUESTION},
    "portal/notifications/": {"GET": VIEW},
    "portal/notifications/settings/": {"GET": VIEW, "POST": VIEW},
    "portal/override/": {"POST": VIEW},
    "portal/privacy/": {"GET": PRIVACY_REQUESTS},
    "portal/report.pdf": {"GET": VIEW},
    "portal/report/": {"GET": VIEW},
    "portal/review/": {"GET": VIEW},
    "portal/statements/": {"GET": VIEW},
    "replies/": {"GET": VIEW},
    "replies/act/": {"POST": VIEW},
    "replies/batches/1/": {"GET": VIEW, "POST": WRITE},
    "replies/batches/1/fix/": {"POST": WRITE},
    "replies/batches/new/": {"POST": WRITE},
    "replies/review/1/": {"GET": VIEW, "POST": WRITE},
    "replies/review/1/consent/": {"GET": VIEW, "POST": WRITE},
    "replies/review/1/private/": {"GET": VIEW, "POST": WRITE},
    "report.pdf": {"GET": VIEW},
    "report/": {"GET": VIEW},
    "report/send/": {"POST": MANAGE},
    "response-plan/": {"GET": VIEW, "POST": WRITE},
    "settings/": {"GET": VIEW, "POST": MANAGE},
    "settings/alerts/": {"GET": VIEW, "POST": MANAGE},
    "settings/api-keys/": {"GET": MANAGE, "POST": MANAGE},
    "settings/history/": {"GET": MANAGE},
    "settings/leaving/": {"GET": MANAGE, "POST": MANAGE},
    "settings/leaving/deactivate/": {"GET": MANAGE, "POST": MANAGE},
    "settings/leaving/delete/": {"GET": MANAGE, "POST": MANAGE},
    "settings/leaving/exports/1/download/": {"GET": MANAGE},
    "settings/people/": {"GET": VIEW, "POST": MANAGE},
    "settings/report/": {"GET": VIEW, "POST": MANAGE},
    "settings/templates/": {"GET": VIEW, "POST": MANAGE},
    "settings/thresholds/": {"GET": VIEW, "POST": MANAGE},
    "sources/": {"GET": VIEW, "POST": MANAGE},
    "sources/1/disconnect/": {"POST": MANAGE},
    "sources/connect/1/": {"GET": MANAGE, "POST": MANAGE},
    "sources/connect/x/": {"POST": MANAGE},
    "sources/connect/x/return/": {"GET": MANAGE},
    "statements/": {"GET": VIEW, "POST": WRITE},
    "statements/1/": {"GET": VIEW, "POST": VIEW},
    "webhooks/": {"GET": VIEW, "POST": MANAGE},
    "webhooks/deliveries/1/replay/": {"POST": MANAGE},
}  # fmt: skip
INSIDERS = ["alpha_owner", "alpha_manager", "alpha_writer", "alpha_analyst", "a_approver",
            "a_viewer", "a_legal", "key_a", "key_a_read", "key_alpha"]  # fmt: skip


def _needs(pattern: URLPattern, method: str) -> Permission:
    view = pattern.callback.view_class
    if issubclass(view, ClinicAPIView):
        return view().permission_for(method)
    return view.permission if method in ("GET", "HEAD") else view.write_permission


def test_every_clinic_route_states_what_it_needs():
    declared = {
        route: {method: _needs(pattern, method) for method in _methods(pattern)}
        for route, pattern in ROUTES
    }
    assert set(declared) == set(ROUTE_NEEDS), set(declared) ^ set(ROUTE_NEEDS)
    changed = {r: (declared[r], ROUTE_NEEDS[r]) for r in declared if declared[r] != ROUTE_NEEDS[r]}
    assert changed == {}


def _refused_as(route: str, pattern: URLPattern, method: str, access) -> tuple[int, str] | None:
    """How `access` is refused `method` on `route`: (status, what the answer says), or None
    where its role allows it (the view and its service answer then)."""
    api = route.startswith("api/")
    if access.actor.api_key is not None and not api:
        return 302, "/login/?next="  # a key is no credential on a page
    view = pattern.callback.view_class
    if not api and view.staff_page and not access.reaches_staff_pages:
        # the clinic's own people: sent to the portal to read, the 403 page to change
        return (302, "/clinics/clinic-a/") if method == "GET" else (403, "")
    needed = ROUTE_NEEDS[route][method]
    if access.can(needed):
        return None
    return 403, access.refusal(needed) if api else ""


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("insider", INSIDERS)
def test_insiders_are_refused_what_their_role_does_not_allow(
    route, pattern, insider, world, clinic_a, login, api
):
    if insider.startswith("key_"):
        client = api(insider)
        access = clinic_access(Actor.from_credential(_key_named(world, insider)), clinic_a)
    else:
        client = login(insider)
        access = clinic_access(Actor(user=world.users[insider]), clinic_a)
    for method in _methods(pattern):
        refused = _refused_as(route, pattern, method, access)
        if refused is None:
            continue  # allowed: what it does is for its own tests (no change made here)
        response = client.generic(method, f"/clinics/clinic-a/{route}", "{}", "application/json")
        status, said = refused
        assert response.status_code == status, (method, route, insider, response.status_code)
        if status == 302:
            assert response["Location"].startswith(said), (method, route, insider)
        elif route.startswith("api/"):
            assert response.json() == {"detail": said, "code": "permission_denied"}


def _key_named(world, name: str):
    from accounts.credentials import credential_authenticate

    return credential_authenticate(world.keys[name])


# --- Who else reaches nothing: a half-signed-in session, a removed person, a paused clinic ------


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=ROUTE_IDS)
def test_a_session_without_its_second_factor_reaches_no_clinic_route(route, pattern, login):
    # given an agency owner who typed the password and not yet the code
    client = login("alpha_owner", otp=False)
    for method in _methods(pattern):
        response = client.generic(method, f"/clinics/clinic-a/{route}", "{}", "application/json")
        # then every page leads to the code step, every API call is refused
        if route.startswith("api/"):
            assert response.status_code == 403, (method, route)
            assert response.json()["code"] == "otp_required"
        else:
            assert response.status_code == 302, (method, route)
            assert response["Location"].startswith("/account/two-factor/verify/?next=")


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize("removed", ["a_viewer", "a_legal", "alpha_writer"])
def test_a_person_removed_since_reaches_nothing_with_their_old_session(
    route, pattern, removed, world, clinic_a, login
):
    # given a person signed in, then removed from the clinic (or the agency)
    client = login(removed)
    user = world.users[removed]
    ClinicMembership.objects.filter(user=user).delete()
    AgencyMembership.objects.filter(user=user).delete()
    for method in _methods(pattern):
        response = client.generic(method, f"/clinics/clinic-a/{route}", "{}", "application/json")
        # then clinic A answers their old session as if it did not exist
        assert response.status_code == 404, (method, route, removed, response.status_code)


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=ROUTE_IDS)
def test_a_deactivated_clinic_on_every_route(route, pattern, world, clinic_a, login, api):
    # given clinic A deactivated by its agency
    Clinic.objects.filter(pk=clinic_a.pk).update(deactivated_at=timezone.now())
    routes_forget_all()
    view = pattern.callback.view_class
    people, key, owner = login("a_approver"), api("key_a"), login("alpha_owner")
    for method in _methods(pattern):
        url = f"/clinics/clinic-a/{route}"
        # then its people are told it is paused, whatever they ask
        response = people.generic(method, url, "{}", "application/json")
        assert response.status_code == 403, (method, route, response.status_code)
        if route.startswith("api/"):
            assert response.json()["code"] == "clinic_paused"
            # and its keys are refused
            answer = key.generic(method, url, "{}", "application/json")
            assert (answer.status_code, answer.json()["code"]) == (403, "clinic_deactivated")
        # and the agency changes nothing there, but for leaving (export, reactivate, delete)
        if method != "GET" and not getattr(view, "allowed_when_deactivated", False):
            answer = owner.generic(method, url, "{}", "application/json")
            assert answer.status_code == 409, (method, route, answer.status_code)
