"""Fake Google Business Profile, Facebook Graph (with Messenger), Yelp Fusion and Twilio
(SMS) APIs on one local port.

It speaks the JSON shapes the connectors are written against (each platform's documented
request and response bodies and its own error JSON) from in-memory state, so the connectors
are tested over real HTTP, never through patched functions. Standard library only.

In tests, the `fake_platforms` fixture (tests/feeds/conftest.py) gives a started instance::

    fake.add_google_reviews(120)              # data
    fake.throttle(2, retry_after=1)           # the next 2 requests answer 429 + Retry-After: 1
    fake.fail(3, status=503)                  # the next 3 requests answer 503
    fake.garble(1)                            # the next request answers 200 with broken JSON
    fake.expire_token("facebook")             # that platform's token is now expired
    fake.writes("google")                     # what was PUT/POSTed/DELETEd, bodies and headers

Standalone, for the demo (sources pointed at it with base_url)::

    python tests/feeds/fake_platforms.py --port 8765

prints the settings and credentials to give each kind of source.

Routes: /v4/... Google (and POST /token, Google's OAuth token endpoint), /v3/businesses/...
Yelp, /vNN.N/... Facebook Graph, /2010-04-01/Accounts/{sid}/Messages.json Twilio.

OAuth ("Connect ..." buttons), with the documented request and answer shapes:

- Google: the consent page GET /o/oauth2/v2/auth (HTML: "Allow" / "Cancel", which redirect to
  the redirect_uri with `code` and `state`, or `error=access_denied`); POST /token with
  grant_type=authorization_code (client id and secret, redirect_uri and PKCE verifier checked;
  answers access_token, refresh_token, expires_in, id_token) and refresh_token; POST /revoke
  (ends the grant); GET /v1/accounts (Account Management) and
  GET /v1/accounts/{id}/locations?readMask=... (Business Information).
- Facebook: the dialog GET /vNN.N/dialog/oauth (HTML, same buttons; a refusal answers
  error=access_denied&error_reason=user_denied); GET /vNN.N/oauth/access_token (code, then
  grant_type=fb_exchange_token); GET /vNN.N/me, /vNN.N/me/accounts (pages with page tokens and
  instagram_business_account), /vNN.N/{page}?fields=access_token, /vNN.N/debug_token;
  DELETE /vNN.N/me/permissions (ends the app's authorization by that person).

`fake.oauth_settings()` gives the Django settings that point the Connect buttons here.

The people on the other side (private follow-up)::

    fake.messenger_webhook_url = "http://127.0.0.1:8000/hooks/<clinic>/<source>/messenger/"
    fake.facebook_person_writes(psid, "Thanks, call me at 5")   # Messenger's signed webhook
    fake.twilio_webhook_url = "http://127.0.0.1:8000/hooks/<clinic>/sms/"
    fake.twilio_person_texts("+15550100123", "Yes please")      # Twilio's signed form post

Each builds the platform's own delivery (signed with the app secret / the auth token), POSTs it
to the URL when one is set, and returns (the body, the headers) for tests that post it
themselves.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import html
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

GOOGLE_ACCOUNT = "1234567890"
GOOGLE_LOCATION = "9876543210"
GOOGLE_TOKEN = "ya29.fake-google-access-token-Zq81"
GOOGLE_REFRESH_TOKEN = "1//fake-google-refresh-token-Yp22"
GOOGLE_CLIENT_ID = "carewatch-demo.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "GOCSPX-fake-client-secret-Xw33"
FACEBOOK_PAGE = "100200300400500"
FACEBOOK_PAGE_NAME = "Sunrise Family Clinic"
FACEBOOK_TOKEN = "EAAfakefacebookpagetokenWv44"
FACEBOOK_APP_SECRET = "fake-facebook-app-secret-Uu55"
FACEBOOK_APP_ID = "4455667788990011"
FACEBOOK_USER = "10150000000000042"
FACEBOOK_USER_NAME = "Dana Agency"
INSTAGRAM_ACCOUNT = "17841400000000077"
INSTAGRAM_USERNAME = "sunrisefamilyclinic"
GOOGLE_USER = "110248495921238986420"
GOOGLE_USER_EMAIL = "dana@agency.example"
GOOGLE_LOCATION_2 = "5555666677"

TWILIO_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_AUTH_TOKEN = "fake-twilio-auth-token-Ss77"
TWILIO_NUMBER = "+15005550006"
YELP_BUSINESS = "sunrise-family-clinic-san-francisco"
YELP_KEY = "fake-yelp-api-key-Tt66"
PLATFORMS = ("google", "facebook", "yelp")
YELP_ZONE = ZoneInfo("America/Los_Angeles")
STAR_NAMES = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}

SAMPLE_TEXTS = [
    "Friendly front desk and the doctor took time to explain everything.",
    "Waited over an hour past my appointment time. Nobody apologised.",
    "Clean clinic, quick check-in, would recommend to friends.",
    "Billing sent me the wrong invoice twice and nobody calls back.",
    "The nurse was patient with my kids. Great experience overall.",
    "Parking is a nightmare but the care itself was good.",
]


@dataclass
class RecordedRequest:
    platform: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float  # time.monotonic() when it arrived
    status: int = 0  # what the fake answered

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    @property
    def form(self) -> dict[str, str]:
        if "application/x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            return {}
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters together (last value of each)."""
        return {**{k: v[-1] for k, v in self.query.items()}, **self.form}


@dataclass
class _Scenario:
    kind: str  # "throttle" | "fail" | "delay" | "drop" | "garble"
    remaining: int
    platform: str | None
    status: int | None = None
    retry_after: float | None = None
    message: str | None = None
    code: Any = None
    seconds: float = 0.0
    regain_minutes: float | None = None
    method: str | None = None
    path_end: str | None = None  # only requests whose path ends so


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of body's JSON (a malformed answer)
    content_type: str = "application/json; charset=UTF-8"


_DROP = object()


class FakePlatforms:
    def __init__(self, *, start: datetime | None = None) -> None:
        self.lock = threading.RLock()
        # Items are stamped from a clock that starts a week ago and moves a minute per event,
        # so everything is recent (Facebook's lookback) and strictly ordered.
        base = start or datetime.now(UTC) - timedelta(days=7)
        self.clock = base.replace(microsecond=0)
        self.requests: list[RecordedRequest] = []
        self._scenarios: list[_Scenario] = []
        self._ids = itertools.count(1001)
        self.valid_tokens: dict[str, set[str]] = {
            "google": {GOOGLE_TOKEN},
            "facebook": {FACEBOOK_TOKEN},
            "yelp": {YELP_KEY},
        }
        self.expired_tokens: set[str] = set()
        self.google_reviews: dict[str, dict] = {}
        self.fb_ratings: list[dict] = []
        self.fb_posts: dict[str, dict] = {}
        self.fb_comments: dict[str, dict] = {}
        self.fb_private_replies: dict[str, dict] = {}
        # Messenger: page-scoped id -> the conversation's messages, oldest first
        self.fb_conversations: dict[str, list[dict]] = {}
        self.messenger_webhook_url: str | None = None
        self.sms_sent: list[dict] = []
        self.twilio_webhook_url: str | None = None
        self.fb_hidden: set[str] = set()
        self.fb_pinned: set[str] = set()
        self.yelp_reviews: dict[str, dict] = {}
        self.yelp_max_reviews: int | None = None  # e.g. 3, as Yelp's standard plans
        # OAuth: codes handed out by the consent pages, grants and what the listings show.
        self.oauth_codes: dict[str, dict] = {}
        self.google_grants: dict[str, set[str]] = {}  # refresh token -> its access tokens
        self.google_refresh_tokens: set[str] = {GOOGLE_REFRESH_TOKEN}
        self.google_revoked: list[str] = []
        self.google_accounts: list[dict] = [
            {
                "name": f"accounts/{GOOGLE_ACCOUNT}",
                "accountName": "Sunrise Health Group",
                "type": "LOCATION_GROUP",
                "role": "OWNER",
                "verificationState": "VERIFIED",
            }
        ]
        self.google_locations: dict[str, list[dict]] = {
            GOOGLE_ACCOUNT: [
                {
                    "name": f"locations/{GOOGLE_LOCATION}",
                    "title": "Sunrise Family Clinic",
                    "storefrontAddress": {
                        "regionCode": "US",
                        "postalCode": "94110",
                        "administrativeArea": "CA",
                        "locality": "San Francisco",
                        "addressLines": ["1200 Valencia St"],
                    },
                    "metadata": {
                        "mapsUri": "https://maps.google.com/maps?cid=1234567890123456789",
                        "newReviewUri": "https://search.google.com/local/writereview?placeid=X",
                    },
                },
                {
                    "name": f"locations/{GOOGLE_LOCATION_2}",
                    "title": "Sunrise Family Clinic Eastside",
                    "storefrontAddress": {
                        "regionCode": "US",
                        "locality": "Oakland",
                        "addressLines": ["88 Grand Ave"],
                    },
                    "metadata": {},
                },
            ]
        }
        self.fb_user_tokens: dict[str, str] = {}  # user token -> "short" | "long"
        self.fb_page_tokens: set[str] = set()  # page tokens handed out through /me/accounts
        self.fb_pages: list[dict] = [
            {
                "id": FACEBOOK_PAGE,
                "name": FACEBOOK_PAGE_NAME,
                "category": "Medical & health",
                "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
                "instagram_business_account": {
                    "id": INSTAGRAM_ACCOUNT,
                    "username": INSTAGRAM_USERNAME,
                },
            }
        ]
        self.fb_revoked: list[str] = []
        self.token_lifetime = 3599  # seconds, Google access tokens
        self.server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakePlatforms:
        self.server = ThreadingHTTPServer((host, port), _Handler)
        self.server.daemon_threads = True
        self.server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakePlatforms:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self.server is not None, "start() the fake first"
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------- what to give a source
    def settings(self, platform: str) -> dict:
        return {
            "google": {"account_id": GOOGLE_ACCOUNT, "location_id": GOOGLE_LOCATION},
            "facebook": {"page_id": FACEBOOK_PAGE},
            "yelp": {"business_id": YELP_BUSINESS},
        }[platform]

    def credentials(self, platform: str) -> dict:
        return {
            "google": {"access_token": GOOGLE_TOKEN},
            "facebook": {"access_token": FACEBOOK_TOKEN},
            "yelp": {"api_key": YELP_KEY},
        }[platform]

    def google_refresh_credentials(self) -> dict:
        return {
            "access_token": GOOGLE_TOKEN,
            "refresh_token": GOOGLE_REFRESH_TOKEN,
            "client_id": GOOGLE_CLIENT_ID,
            "client_secret": GOOGLE_CLIENT_SECRET,
            "token_uri": f"{self.base_url}/token",
        }

    def oauth_settings(self) -> dict:
        """Django settings that point the Connect buttons (and the connectors) here."""
        base = self.base_url
        return {
            "GOOGLE_OAUTH_CLIENT_ID": GOOGLE_CLIENT_ID,
            "GOOGLE_OAUTH_CLIENT_SECRET": GOOGLE_CLIENT_SECRET,
            "GOOGLE_OAUTH_AUTHORIZE_URL": f"{base}/o/oauth2/v2/auth",
            "GOOGLE_OAUTH_TOKEN_URL": f"{base}/token",
            "GOOGLE_OAUTH_REVOKE_URL": f"{base}/revoke",
            "GOOGLE_ACCOUNTS_URL": f"{base}/v1/accounts",
            "GOOGLE_LOCATIONS_URL": f"{base}/v1",
            "FACEBOOK_APP_ID": FACEBOOK_APP_ID,
            "FACEBOOK_APP_SECRET": FACEBOOK_APP_SECRET,
            "FACEBOOK_OAUTH_AUTHORIZE_URL": f"{base}/v21.0/dialog/oauth",
            "FACEBOOK_OAUTH_TOKEN_URL": f"{base}/v21.0/oauth/access_token",
            "FACEBOOK_GRAPH_URL": f"{base}/v21.0",
        }

    def consent(self, authorize_url: str, *, allow: bool = True) -> str:
        """What a person's click on the consent page does: the URL the platform sends the
        browser back to (with a code and the state, or the refusal)."""
        query = {k: v[-1] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        return self._consent_redirect(query, allow=allow, platform=self._consent_of(authorize_url))

    @staticmethod
    def _consent_of(url: str) -> str:
        return "facebook" if "/dialog/oauth" in url else "google"

    # ------------------------------------------------------------ scenario controls
    def throttle(
        self,
        n: int = 1,
        *,
        retry_after: float | None = 1,
        platform: str | None = None,
        status: int | None = None,
        code: Any = None,
        regain_minutes: float | None = None,
        method: str | None = None,
    ) -> None:
        """The next `n` requests (to `platform`, or any) are throttled: 429 with
        Retry-After (omitted when None) and the platform's rate-limit JSON. Facebook answers
        its own way (HTTP 400, error code 4 - or `code`) unless `status` says otherwise;
        `regain_minutes` adds Facebook's X-Business-Use-Case-Usage header."""
        self._add(
            _Scenario(
                "throttle",
                n,
                platform,
                status=status,
                retry_after=retry_after,
                code=code,
                regain_minutes=regain_minutes,
                method=method,
            )
        )

    def fail(
        self,
        n: int = 1,
        *,
        status: int = 500,
        platform: str | None = None,
        message: str | None = None,
        code: Any = None,
        method: str | None = None,
        path_end: str | None = None,
    ) -> None:
        """The next `n` requests (of `platform`, `method`, whose path ends with `path_end`,
        where given) answer `status` with the platform's error JSON (`message` and `code`
        replace the platform's usual ones)."""
        self._add(
            _Scenario(
                "fail",
                n,
                platform,
                status=status,
                message=message,
                code=code,
                method=method,
                path_end=path_end,
            )  # fmt: skip
        )

    def delay(
        self, n: int = 1, *, seconds: float, platform: str | None = None, method: str | None = None
    ) -> None:
        """The next `n` requests are carried out (a write is applied) and answered only after
        `seconds` - long enough for a client with a shorter timeout to give up."""
        self._add(_Scenario("delay", n, platform, seconds=seconds, method=method))

    def drop(self, n: int = 1, *, platform: str | None = None, method: str | None = None) -> None:
        """The next `n` requests get their connection closed without any answer."""
        self._add(_Scenario("drop", n, platform, method=method))

    def garble(self, n: int = 1, *, platform: str | None = None, method: str | None = None) -> None:
        """The next `n` requests answer 200 with a JSON body cut short (a broken proxy)."""
        self._add(_Scenario("garble", n, platform, method=method))

    def expire_token(self, platform: str) -> None:
        """The platform's current tokens now answer "expired" (Google: 401 UNAUTHENTICATED;
        Facebook: code 190 subcode 463; Yelp: TOKEN_INVALID)."""
        with self.lock:
            self.expired_tokens |= self.valid_tokens[platform]
            self.valid_tokens[platform] = set()

    def clear_scenarios(self) -> None:
        with self.lock:
            self._scenarios.clear()

    def _add(self, scenario: _Scenario) -> None:
        with self.lock:
            self._scenarios.append(scenario)

    def _take(self, platform: str, method: str, path: str = "") -> _Scenario | None:
        with self.lock:
            for scenario in self._scenarios:
                if (
                    scenario.remaining > 0
                    and scenario.platform in (None, platform)
                    and scenario.method in (None, method)
                    and (scenario.path_end is None or path.endswith(scenario.path_end))
                ):
                    scenario.remaining -= 1
                    return scenario
            return None

    # ---------------------------------------------------------------- what was sent
    def requests_for(
        self, platform: str | None = None, method: str | None = None, path: str | None = None
    ) -> list[RecordedRequest]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (platform is None or r.platform == platform)
                and (method is None or r.method == method)
                and (path is None or path in r.path)
            ]

    def writes(self, platform: str | None = None) -> list[RecordedRequest]:
        """Requests that change something (not GET), oldest first."""
        return [r for r in self.requests_for(platform) if r.method != "GET"]

    def reset_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    # ------------------------------------------------------------------------ time
    def tick(self, seconds: int = 60) -> datetime:
        with self.lock:
            self.clock += timedelta(seconds=seconds)
            return self.clock

    def _id(self) -> int:
        return next(self._ids)

    # ---------------------------------------------------------------------- Google
    def add_google_reviews(
        self, n: int = 1, *, rating: int | None = None, text: str | None = None
    ) -> list[str]:
        ids = []
        with self.lock:
            for _ in range(n):
                number = self._id()
                review_id = f"AbFvOq{number:08d}reviewIdX"
                when = _google_time(self.tick())
                stars = rating or (number % 5) + 1
                self.google_reviews[review_id] = {
                    "name": (
                        f"accounts/{GOOGLE_ACCOUNT}/locations/{GOOGLE_LOCATION}/reviews/{review_id}"
                    ),
                    "reviewId": review_id,
                    "reviewer": {
                        "profilePhotoUrl": f"https://lh3.googleusercontent.com/a/{number}",
                        "displayName": f"Reviewer {number}",
                        "isAnonymous": False,
                    },
                    "starRating": STAR_NAMES[stars],
                    "comment": text if text is not None else _sample(number),
                    "createTime": when,
                    "updateTime": when,
                }
                ids.append(review_id)
        return ids

    def edit_google_review(
        self, review_id: str, *, comment: str | None = None, rating: int | None = None
    ) -> None:
        with self.lock:
            review = self.google_reviews[review_id]
            if comment is not None:
                review["comment"] = comment
            if rating is not None:
                review["starRating"] = STAR_NAMES[rating]
            review["updateTime"] = _google_time(self.tick())

    def delete_google_review(self, review_id: str) -> None:
        """The reviewer deleted it on Google: it is no longer listed, and reading it is 404."""
        with self.lock:
            del self.google_reviews[review_id]

    def _google(self, req: RecordedRequest) -> _Reply:
        token = _bearer(req.headers)
        if token not in self.valid_tokens["google"]:
            return _google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            )
        match = re.fullmatch(
            r"/v4/accounts/([^/]+)/locations/([^/]+)/reviews(?:/([^/]+))?(/reply)?", req.path
        )
        if not match or match.group(1) != GOOGLE_ACCOUNT or match.group(2) != GOOGLE_LOCATION:
            return _google_error(404, "NOT_FOUND", "Requested entity was not found.")
        review_id, is_reply = match.group(3), bool(match.group(4))
        if review_id is None:
            if req.method != "GET":
                return _google_error(405, "METHOD_NOT_ALLOWED", "Method not allowed.")
            return self._google_list(req)
        review = self.google_reviews.get(review_id)
        if review is None:
            return _google_error(404, "NOT_FOUND", "Requested entity was not found.")
        if not is_reply:
            return (
                _Reply(200, review)
                if req.method == "GET"
                else _google_error(405, "METHOD_NOT_ALLOWED", "Method not allowed.")
            )
        if req.method == "PUT":
            body = req.json
            if not isinstance(body, dict) or not isinstance(body.get("comment"), str):
                return _google_error(
                    400, "INVALID_ARGUMENT", "Request contains an invalid argument."
                )
            reply = {"comment": body["comment"], "updateTime": _google_time(self.tick())}
            review["reviewReply"] = reply
            return _Reply(200, reply)
        if req.method == "DELETE":
            if "reviewReply" not in review:
                return _google_error(404, "NOT_FOUND", "Requested entity was not found.")
            del review["reviewReply"]
            return _Reply(200, {})
        return _google_error(405, "METHOD_NOT_ALLOWED", "Method not allowed.")

    def _google_list(self, req: RecordedRequest) -> _Reply:
        params = req.params
        try:
            size = int(params.get("pageSize") or 50)
            offset = _untoken(params["pageToken"]) if params.get("pageToken") else 0
        except ValueError:
            return _google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        if not 1 <= size <= 50:
            return _google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        order = params.get("orderBy") or "updateTime desc"
        reviews = list(self.google_reviews.values())
        if order == "updateTime desc":
            reviews.sort(key=lambda r: (r["updateTime"], r["reviewId"]), reverse=True)
        elif order in ("rating", "rating desc"):
            reviews.sort(key=lambda r: _stars(r["starRating"]), reverse=order.endswith("desc"))
        else:
            return _google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        chunk = reviews[offset : offset + size]
        body: dict[str, Any] = {"totalReviewCount": len(reviews)}
        if reviews:
            body["averageRating"] = round(
                sum(_stars(r["starRating"]) for r in reviews) / len(reviews), 1
            )
        if chunk:
            body["reviews"] = chunk
        if offset + size < len(reviews):
            body["nextPageToken"] = _token(offset + size)
        return _Reply(200, body)

    def _google_token(self, req: RecordedRequest) -> _Reply:
        form = req.form
        if req.path == "/revoke":
            return self._google_revoke(req)
        if form.get("grant_type") == "authorization_code":
            return self._google_token_code(form)
        if (
            form.get("grant_type") == "refresh_token"
            and form.get("refresh_token") in self.google_refresh_tokens
            and form.get("client_id") == GOOGLE_CLIENT_ID
            and form.get("client_secret") == GOOGLE_CLIENT_SECRET
        ):
            token = f"ya29.fake-renewed-{self._id()}-Rr77"
            self.valid_tokens["google"].add(token)
            self.google_grants.setdefault(form["refresh_token"], set()).add(token)
            return _Reply(
                200,
                {
                    "access_token": token,
                    "expires_in": self.token_lifetime,
                    "scope": "https://www.googleapis.com/auth/business.manage",
                    "token_type": "Bearer",
                },
            )
        return _Reply(
            400,
            {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
        )

    # -------------------------------------------------------------------- Facebook
    def add_facebook_ratings(self, n: int = 1, *, text: str | None = None) -> list[str]:
        ids = []
        with self.lock:
            for _ in range(n):
                number = self._id()
                story = f"{number}4455667788"
                self.fb_ratings.append(
                    {
                        "created_time": _fb_time(self.tick()),
                        "recommendation_type": "negative" if number % 4 == 0 else "positive",
                        "review_text": text if text is not None else _sample(number),
                        "reviewer": {"name": f"Visitor {number}", "id": f"{number}0001"},
                        "open_graph_story": {"id": story},
                    }
                )
                ids.append(story)
        return ids

    def add_facebook_post(self, message: str | None = None, *, by_page: bool = True) -> str:
        with self.lock:
            number = self._id()
            post_id = f"{FACEBOOK_PAGE}_{number}"
            when = _fb_time(self.tick())
            author = (
                {"name": FACEBOOK_PAGE_NAME, "id": FACEBOOK_PAGE}
                if by_page
                else {"name": f"Visitor {number}", "id": f"{number}0002"}
            )
            self.fb_posts[post_id] = {
                "id": post_id,
                "message": message if message is not None else _sample(number),
                "created_time": when,
                "updated_time": when,
                "permalink_url": f"https://www.facebook.com/{FACEBOOK_PAGE}/posts/{number}",
                "from": author,
                "_reactions": 0,
                "_shares": 0,
            }
            return post_id

    def add_facebook_comments(
        self, object_id: str, n: int = 1, *, text: str | None = None, by_page: bool = False
    ) -> list[str]:
        """Comments on a post, a rating story, or (a reply) on a comment."""
        ids = []
        with self.lock:
            for _ in range(n):
                number = self._id()
                author = (
                    {"name": FACEBOOK_PAGE_NAME, "id": FACEBOOK_PAGE}
                    if by_page
                    else {"name": f"Commenter {number}", "id": f"{number}0003"}
                )
                ids.append(self._fb_comment(object_id, text or _sample(number), author, number))
        return ids

    def _fb_comment(self, object_id: str, message: str, author: dict, number: int) -> str:
        parent = self.fb_comments.get(object_id)
        root = parent["_root"] if parent else object_id
        comment_id = f"{root.split('_')[-1]}_{number}"
        when = self.tick()
        self.fb_comments[comment_id] = {
            "id": comment_id,
            "message": message,
            "created_time": _fb_time(when),
            "from": author,
            "like_count": number % 3,
            "permalink_url": f"https://www.facebook.com/{root}?comment_id={comment_id}",
            "_root": root,
            "_parent": object_id if parent else None,
        }
        if root in self.fb_posts:
            self.fb_posts[root]["updated_time"] = _fb_time(when)
        return comment_id

    def edit_facebook_post(self, post_id: str, message: str) -> None:
        with self.lock:
            self.fb_posts[post_id]["message"] = message
            self.fb_posts[post_id]["updated_time"] = _fb_time(self.tick())

    def _fb_post_json(self, post: dict) -> dict:
        out = {k: v for k, v in post.items() if not k.startswith("_")}
        comments = [c for c in self.fb_comments.values() if c["_root"] == post["id"]]
        if post["_shares"]:
            out["shares"] = {"count": post["_shares"]}
        out["reactions"] = {"data": [], "summary": {"total_count": post["_reactions"]}}
        out["comments"] = {
            "data": [],
            "summary": {"order": "ranked", "total_count": len(comments), "can_comment": True},
        }
        return out

    def _fb_comment_json(self, comment: dict) -> dict:
        out = {k: v for k, v in comment.items() if not k.startswith("_")}
        out["comment_count"] = sum(
            1 for c in self.fb_comments.values() if c["_parent"] == comment["id"]
        )
        if comment["_parent"]:
            out["parent"] = {"id": comment["_parent"]}
        return out

    def _facebook(self, req: RecordedRequest, version: str, rest: str) -> _Reply:
        params = req.params
        if rest == "dialog/oauth":
            return self._consent_page(req, "facebook")
        if rest == "dialog/oauth/decide":
            return self._consent_decide(req, "facebook")
        if rest == "oauth/access_token":
            return self._fb_access_token(req)
        if rest == "debug_token":
            return self._fb_debug(req)
        token = params.get("access_token") or _bearer(req.headers)
        if not token:
            return _fb_error(400, "An access token is required to request this resource.", 104)
        if token in self.expired_tokens:
            return _fb_error(
                400,
                "Error validating access token: Session has expired on Monday, 01-Jan-24 "
                "00:00:00 PST. The current time is Tuesday, 02-Jan-24 00:00:00 PST.",
                190,
                subcode=463,
            )
        if token not in self.valid_tokens["facebook"]:
            return _fb_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        parts = [p for p in rest.split("/") if p]
        user_reply = self._fb_user(req, parts, token)
        if user_reply is not None:
            return user_reply
        if req.method == "GET":
            return self._fb_get(req, version, parts, params)
        if req.method == "POST":
            return self._fb_post(req, parts, params)
        if req.method == "DELETE" and len(parts) == 1:
            if self.fb_comments.pop(parts[0], None) or self.fb_posts.pop(parts[0], None):
                return _Reply(200, {"success": True})
            return _fb_missing(parts[0])
        return _fb_error(400, "Unsupported request - method type: " + req.method.lower(), 100)

    def _fb_get(self, req: RecordedRequest, version: str, parts: list[str], params: dict) -> _Reply:
        if parts == [FACEBOOK_PAGE]:
            return _Reply(200, {"id": FACEBOOK_PAGE, "name": FACEBOOK_PAGE_NAME})
        if parts == [FACEBOOK_PAGE, "ratings"]:
            rows = sorted(self.fb_ratings, key=lambda r: r["created_time"], reverse=True)
            return self._fb_paged(req, version, rows, params)
        if parts == [FACEBOOK_PAGE, "feed"]:
            posts = sorted(
                self.fb_posts.values(), key=lambda p: (p["created_time"], p["id"]), reverse=True
            )
            return self._fb_paged(req, version, [self._fb_post_json(p) for p in posts], params)
        if len(parts) == 2 and parts[1] == "comments":
            object_id = parts[0]
            known = (
                object_id in self.fb_posts
                or object_id in self.fb_comments
                or any(r["open_graph_story"]["id"] == object_id for r in self.fb_ratings)
            )
            if not known:
                return _fb_missing(object_id)
            stream = params.get("filter") == "stream"
            rows = [
                c
                for c in self.fb_comments.values()
                if (c["_parent"] == object_id)
                or (c["_root"] == object_id and (stream or c["_parent"] is None))
            ]
            rows.sort(
                key=lambda c: (c["created_time"], c["id"]),
                reverse=params.get("order") == "reverse_chronological",
            )
            return self._fb_paged(req, version, [self._fb_comment_json(c) for c in rows], params)
        if parts == [FACEBOOK_PAGE, "conversations"]:
            psid = params.get("user_id") or ""
            if params.get("platform") != "messenger" or psid not in self.fb_conversations:
                return _Reply(200, {"data": []})
            last = self.fb_conversations[psid][-1]["at"]
            row = {"id": f"t_{psid}", "updated_time": _fb_time(datetime.fromtimestamp(last, UTC))}
            return _Reply(200, {"data": [row]})
        if len(parts) == 2 and parts[1] == "messages" and parts[0].startswith("t_"):
            psid = parts[0][2:]
            if psid not in self.fb_conversations:
                return _fb_missing(parts[0])
            rows = [
                {
                    "id": m["mid"],
                    "message": m["text"],
                    "from": {"id": psid, "name": "Messenger user"}
                    if m["from"] == "person"
                    else {"id": FACEBOOK_PAGE, "name": FACEBOOK_PAGE_NAME},
                    "created_time": _fb_time(datetime.fromtimestamp(m["at"], UTC)),
                }
                for m in reversed(self.fb_conversations[psid])
            ]
            return self._fb_paged(req, version, rows, params)
        if len(parts) == 1:
            obj = self.fb_posts.get(parts[0]) or self.fb_comments.get(parts[0])
            if obj is None:
                return _fb_missing(parts[0])
            return _Reply(200, {k: v for k, v in obj.items() if not k.startswith("_")})
        return _fb_error(400, "Unknown path components: /" + "/".join(parts[1:]), 2500)

    def _fb_paged(self, req: RecordedRequest, version: str, rows: list, params: dict) -> _Reply:
        try:
            limit = min(100, int(params.get("limit") or 25))
            start = _untoken(params["after"]) if params.get("after") else 0
        except ValueError:
            return _fb_error(400, "(#100) The after parameter is not valid", 100)
        chunk = rows[start : start + limit]
        body: dict[str, Any] = {"data": chunk}
        if chunk:
            paging: dict[str, Any] = {
                "cursors": {"before": _token(start), "after": _token(start + len(chunk))}
            }
            if start + len(chunk) < len(rows):
                query = {k: v[-1] for k, v in req.query.items()}
                query["after"] = _token(start + len(chunk))
                paging["next"] = f"{self.base_url}{req.path}?{urlencode(query)}"
            body["paging"] = paging
        return _Reply(200, body)

    def _fb_post(self, req: RecordedRequest, parts: list[str], params: dict) -> _Reply:
        if parts == [FACEBOOK_PAGE, "messages"]:
            body = req.json if isinstance(req.json, dict) else {}
            comment_id = (body.get("recipient") or {}).get("comment_id")
            text = (body.get("message") or {}).get("text")
            psid = (body.get("recipient") or {}).get("id")
            if psid and text:
                return self._fb_send_to_person(str(psid), text, body)
            if not comment_id or not text:
                return _fb_error(400, "(#100) The parameter recipient is required", 100)
            if comment_id not in self.fb_comments:
                return _fb_missing(comment_id)
            if comment_id in self.fb_private_replies:
                return _fb_error(400, "(#10900) Activity already replied to", 10900)
            reply = {
                "recipient_id": self.fb_comments[comment_id]["from"]["id"] + "99",
                "message_id": f"m_fake{self._id()}",
            }
            self.fb_private_replies[comment_id] = {"text": text, **reply}
            self.fb_conversations.setdefault(reply["recipient_id"], []).append(
                {"mid": reply["message_id"], "from": "page", "text": text, "at": time.time()}
            )
            return _Reply(200, reply)
        if parts == [FACEBOOK_PAGE, "feed"]:
            if not params.get("message"):
                return _fb_error(400, "(#100) Missing message or attachment", 100)
            post_id = self.add_facebook_post(params["message"])
            return _Reply(200, {"id": post_id})
        if len(parts) == 2 and parts[1] == "comments":
            object_id = parts[0]
            known = (
                object_id in self.fb_posts
                or object_id in self.fb_comments
                or any(r["open_graph_story"]["id"] == object_id for r in self.fb_ratings)
            )
            if not known:
                return _fb_missing(object_id)
            if not params.get("message"):
                return _fb_error(400, "(#100) Missing message or attachment", 100)
            comment_id = self._fb_comment(
                object_id,
                params["message"],
                {"name": FACEBOOK_PAGE_NAME, "id": FACEBOOK_PAGE},
                self._id(),
            )
            return _Reply(200, {"id": comment_id})
        if len(parts) == 1:
            object_id = parts[0]
            if "is_hidden" in params:
                if object_id not in self.fb_comments:
                    return _fb_missing(object_id)
                (self.fb_hidden.add if params["is_hidden"] == "true" else self.fb_hidden.discard)(
                    object_id
                )
                return _Reply(200, {"success": True})
            if "is_pinned" in params:
                if object_id in self.fb_comments:
                    return _fb_error(400, "(#100) Only Page posts can be pinned, not comments", 100)
                if object_id not in self.fb_posts:
                    return _fb_missing(object_id)
                (self.fb_pinned.add if params["is_pinned"] == "true" else self.fb_pinned.discard)(
                    object_id
                )
                return _Reply(200, {"success": True})
        return _fb_error(400, "(#100) Unsupported post request", 100)

    # ---------------------------------------------------------------------- OAuth
    def _consent_page(self, req: RecordedRequest, platform: str) -> _Reply:
        q = req.params
        if platform == "google":
            if q.get("client_id") != GOOGLE_CLIENT_ID:
                return _html(400, "Error 401: invalid_client", "The OAuth client was not found.")
            if q.get("response_type") != "code" or not q.get("redirect_uri"):
                return _html(400, "Error 400: invalid_request", "Required parameter is missing.")
            title = "Sign in with Google"
            asks = f"Carewatch wants to manage your Business Profile ({GOOGLE_USER_EMAIL})."
        else:
            if q.get("client_id") != FACEBOOK_APP_ID:
                return _html(400, "Invalid App ID", "The provided app ID does not look valid.")
            title = "Log in with Facebook"
            asks = f"Carewatch wants to manage your Pages ({FACEBOOK_USER_NAME})."
        allow = f"{req.path}/decide?{urlencode({**q, 'decision': 'allow'})}"
        deny = f"{req.path}/decide?{urlencode({**q, 'decision': 'deny'})}"
        body = (
            f"<!doctype html><html lang=en><title>{title}</title><main><h1>{title}</h1>"
            f"<p>{_escape(asks)}</p><p><a href='{_escape(allow)}' role=button>Allow</a> "
            f"<a href='{_escape(deny)}' role=button>Cancel</a></p></main></html>"
        )
        return _Reply(200, None, raw=body.encode(), content_type="text/html; charset=utf-8")

    def _consent_decide(self, req: RecordedRequest, platform: str) -> _Reply:
        q = req.params
        location = self._consent_redirect(q, allow=q.get("decision") == "allow", platform=platform)
        return _Reply(302, {}, headers={"Location": location})

    def _consent_redirect(self, q: dict, *, allow: bool, platform: str) -> str:
        redirect = q.get("redirect_uri", "")
        back: dict[str, str] = {"state": q.get("state", "")}
        if allow:
            code = f"4/0fake-{platform}-code-{self._id()}"
            with self.lock:
                self.oauth_codes[code] = {
                    "platform": platform,
                    "redirect_uri": redirect,
                    "challenge": q.get("code_challenge", ""),
                    "used": False,
                }
            back["code"] = code
            if platform == "google":
                back["scope"] = q.get("scope", "")
        elif platform == "google":
            back["error"] = "access_denied"
        else:
            back.update(
                error="access_denied",
                error_code="200",
                error_description="Permissions error",
                error_reason="user_denied",
            )
        return f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(back)}"

    def _take_code(self, code: str, platform: str, redirect_uri: str) -> dict | None:
        grant = self.oauth_codes.get(code)
        if not grant or grant["used"] or grant["platform"] != platform:
            return None
        if grant["redirect_uri"] != redirect_uri:
            return None
        grant["used"] = True
        return grant

    def _google_token_code(self, form: dict) -> _Reply:
        if form.get("client_id") != GOOGLE_CLIENT_ID or form.get("client_secret") != (
            GOOGLE_CLIENT_SECRET
        ):
            return _Reply(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        grant = self._take_code(form.get("code", ""), "google", form.get("redirect_uri", ""))
        if grant is None:
            return _Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
        verifier = form.get("code_verifier", "")
        if grant["challenge"]:
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).decode().rstrip("=") != grant["challenge"]:
                return _Reply(
                    400, {"error": "invalid_grant", "error_description": "Invalid code verifier."}
                )
        number = self._id()
        access = f"ya29.fake-granted-{number}-Gg11"
        refresh = f"1//fake-granted-refresh-{number}-Hh22"
        self.valid_tokens["google"].add(access)
        self.google_refresh_tokens.add(refresh)
        self.google_grants[refresh] = {access}
        claims = {
            "iss": "https://accounts.google.com",
            "sub": GOOGLE_USER,
            "email": GOOGLE_USER_EMAIL,
        }
        id_token = ".".join(
            base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
            for part in ({"alg": "RS256", "typ": "JWT"}, claims, {"sig": "fake"})
        )
        return _Reply(
            200,
            {
                "access_token": access,
                "expires_in": self.token_lifetime,
                "refresh_token": refresh,
                "scope": "openid https://www.googleapis.com/auth/business.manage "
                "https://www.googleapis.com/auth/userinfo.email",
                "token_type": "Bearer",
                "id_token": id_token,
            },
        )

    def _google_revoke(self, req: RecordedRequest) -> _Reply:
        token = req.params.get("token", "")
        with self.lock:
            for refresh, accesses in list(self.google_grants.items()):
                if token == refresh or token in accesses:
                    self.google_refresh_tokens.discard(refresh)
                    self.valid_tokens["google"] -= accesses
                    del self.google_grants[refresh]
                    self.google_revoked.append(refresh)
                    return _Reply(200, {})
            if token in self.google_refresh_tokens:
                self.google_refresh_tokens.discard(token)
                self.google_revoked.append(token)
                return _Reply(200, {})
        return _Reply(
            400, {"error": "invalid_token", "error_description": "Token expired or revoked"}
        )

    def _google_listing(self, req: RecordedRequest) -> _Reply:
        if _bearer(req.headers) not in self.valid_tokens["google"]:
            return _google_error(
                401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
            )
        if req.path == "/v1/accounts":
            return _Reply(
                200, {"accounts": list(self.google_accounts)} if self.google_accounts else {}
            )
        match = re.fullmatch(r"/v1/accounts/([^/]+)/locations", req.path)
        if not match:
            return _google_error(404, "NOT_FOUND", "Requested entity was not found.")
        if not req.params.get("readMask"):
            return _google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        rows = self.google_locations.get(match.group(1))
        if rows is None:
            return _google_error(403, "PERMISSION_DENIED", "The caller does not have permission")
        return _Reply(200, {"locations": rows, "totalSize": len(rows)} if rows else {})

    def _fb_access_token(self, req: RecordedRequest) -> _Reply:
        q = req.params
        if q.get("client_id") != FACEBOOK_APP_ID or q.get("client_secret") != FACEBOOK_APP_SECRET:
            return _fb_error(400, "Error validating client secret.", 1)
        if q.get("grant_type") == "fb_exchange_token":
            old = q.get("fb_exchange_token", "")
            if old not in self.fb_user_tokens:
                return _fb_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
            token = f"EAAfake-long-user-{self._id()}-Ll33"
            self.fb_user_tokens[token] = "long"
            self.valid_tokens["facebook"].add(token)
            return _Reply(
                200, {"access_token": token, "token_type": "bearer", "expires_in": 5183944}
            )
        grant = self._take_code(q.get("code", ""), "facebook", q.get("redirect_uri", ""))
        if grant is None:
            return _fb_error(400, "This authorization code has been used.", 100, subcode=36009)
        token = f"EAAfake-short-user-{self._id()}-Ss44"
        self.fb_user_tokens[token] = "short"
        self.valid_tokens["facebook"].add(token)
        return _Reply(200, {"access_token": token, "token_type": "bearer", "expires_in": 5400})

    def _fb_debug(self, req: RecordedRequest) -> _Reply:
        if req.params.get("access_token") != f"{FACEBOOK_APP_ID}|{FACEBOOK_APP_SECRET}":
            return _fb_error(400, "Invalid OAuth access token signature.", 190)
        token = req.params.get("input_token", "")
        now = int(time.time())
        kind = self.fb_user_tokens.get(token)
        valid = token in self.valid_tokens["facebook"]
        data: dict[str, Any] = {
            "app_id": FACEBOOK_APP_ID,
            "type": "USER" if kind else "PAGE",
            "application": "Carewatch",
            "is_valid": valid,
            "scopes": ["pages_show_list", "pages_manage_engagement"],
            "user_id": FACEBOOK_USER,
        }
        if valid:
            data["data_access_expires_at"] = now + 90 * 86400
            data["expires_at"] = now + (5183944 if kind == "long" else 5400 if kind else 0)
        return _Reply(200, {"data": data})

    def _fb_user(self, req: RecordedRequest, parts: list[str], token: str) -> _Reply | None:
        """/me, /me/accounts, DELETE /me/permissions and a page read with a user token."""
        is_user = token in self.fb_user_tokens
        if parts == ["me"] and req.method == "GET":
            if not is_user:
                return _Reply(200, {"id": FACEBOOK_PAGE, "name": FACEBOOK_PAGE_NAME})
            return _Reply(200, {"id": FACEBOOK_USER, "name": FACEBOOK_USER_NAME})
        if parts == ["me", "accounts"] and req.method == "GET":
            if not is_user:
                return _fb_error(400, "(#100) Tried accessing nonexisting field (accounts)", 100)
            rows = [self._fb_page_for_user(p) for p in self.fb_pages]
            return self._fb_paged(req, "v21.0", rows, req.params)
        if parts == ["me", "permissions"] and req.method == "DELETE":
            if not is_user:
                return _fb_error(400, "(#100) Only a user token can remove permissions", 100)
            with self.lock:
                self.fb_revoked.append(token)
                for user_token in list(self.fb_user_tokens):
                    self.valid_tokens["facebook"].discard(user_token)
                    self.fb_user_tokens.pop(user_token, None)
                self.valid_tokens["facebook"] -= self.fb_page_tokens
                self.fb_page_tokens.clear()
            return _Reply(200, {"success": True})
        if is_user and len(parts) == 1 and req.method == "GET":
            page = next((p for p in self.fb_pages if p["id"] == parts[0]), None)
            if page is None:
                return _fb_missing(parts[0])
            return _Reply(200, self._fb_page_for_user(page))
        return None

    def _fb_page_for_user(self, page: dict) -> dict:
        token = f"EAAfake-page-{page['id']}-{self._id()}-Pp55"
        self.fb_page_tokens.add(token)
        self.valid_tokens["facebook"].add(token)
        return {**page, "access_token": token}

    def _fb_send_to_person(self, psid: str, text: str, body: dict) -> _Reply:
        """Send API with recipient.id: allowed within 24 hours of the person's last message
        (messaging_type RESPONSE), as Messenger's standard messaging window."""
        thread = self.fb_conversations.get(psid)
        last_in = max((m["at"] for m in thread or [] if m["from"] == "person"), default=None)
        if last_in is None or time.time() - last_in > 24 * 3600:
            return _fb_error(
                400,
                "(#10) This message is sent outside of allowed window.",
                10,
                subcode=2018278,
            )
        if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return _fb_error(400, "(#100) The parameter messaging_type is required", 100)
        reply = {"recipient_id": psid, "message_id": f"m_fake{self._id()}"}
        thread.append({"mid": reply["message_id"], "from": "page", "text": text, "at": time.time()})
        return _Reply(200, reply)

    def facebook_person_writes(self, psid: str, text: str) -> tuple[bytes, dict]:
        """The person `psid` writes to the page on Messenger: Meta's webhook delivery
        ({"object": "page", "entry": [{"id", "time", "messaging": [{"sender", "recipient",
        "timestamp", "message": {"mid", "text"}}]}]}), signed X-Hub-Signature-256 with the app
        secret, POSTed to `messenger_webhook_url` when set. Returns (body, headers)."""
        now_ms = int(time.time() * 1000)
        with self.lock:
            mid = f"m_person{self._id()}"
            self.fb_conversations.setdefault(psid, []).append(
                {"mid": mid, "from": "person", "text": text, "at": time.time()}
            )
        payload = {
            "object": "page",
            "entry": [
                {
                    "id": FACEBOOK_PAGE,
                    "time": now_ms,
                    "messaging": [
                        {
                            "sender": {"id": psid},
                            "recipient": {"id": FACEBOOK_PAGE},
                            "timestamp": now_ms,
                            "message": {"mid": mid, "text": text},
                        }
                    ],
                }
            ],
        }
        body = json.dumps(payload).encode()
        digest = hmac.new(FACEBOOK_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}
        if self.messenger_webhook_url:
            _deliver(self.messenger_webhook_url, body, headers)
        return body, headers

    # ------------------------------------------------------------------------ Twilio
    def _twilio(self, req: RecordedRequest) -> _Reply:
        match = re.fullmatch(r"/2010-04-01/Accounts/([^/]+)/Messages\.json", req.path)
        auth = req.headers.get("authorization", "")
        expected = (
            "Basic "
            + base64.b64encode(f"{TWILIO_ACCOUNT_SID}:{TWILIO_AUTH_TOKEN}".encode()).decode()
        )
        if auth != expected:
            return _twilio_error(401, 20003, "Authenticate")
        if not match or match.group(1) != TWILIO_ACCOUNT_SID or req.method != "POST":
            return _twilio_error(404, 20404, f"The requested resource {req.path} was not found")
        form = req.form
        to, body, sender = form.get("To", ""), form.get("Body", ""), form.get("From", "")
        if not re.fullmatch(r"\+[1-9]\d{6,14}", to):
            return _twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender != TWILIO_NUMBER:
            return _twilio_error(
                400, 21606, f"The 'From' phone number provided ({sender}) is not a valid message-"
                "capable Twilio phone number for this destination/account.",
            )  # fmt: skip
        if not body:
            return _twilio_error(400, 21602, "Message body is required.")
        sid = f"SM{self._id():032x}"
        message = {
            "sid": sid,
            "account_sid": TWILIO_ACCOUNT_SID,
            "to": to,
            "from": sender,
            "body": body,
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "date_created": datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000"),
            "uri": f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages/{sid}.json",
        }
        self.sms_sent.append(message)
        return _Reply(201, message)

    def twilio_person_texts(self, sender: str, text: str) -> tuple[bytes, dict]:
        """A text from `sender` to the clinic's Twilio number: Twilio's incoming-message
        webhook (a form post of From, To, Body, MessageSid, AccountSid, ...), signed
        X-Twilio-Signature over `twilio_webhook_url` and the sorted parameters, POSTed there
        when it is set. Returns (body, headers)."""
        params = {
            "MessageSid": f"SM{self._id():032x}",
            "AccountSid": TWILIO_ACCOUNT_SID,
            "From": sender,
            "To": TWILIO_NUMBER,
            "Body": text,
            "NumMedia": "0",
        }
        url = self.twilio_webhook_url or ""
        payload = url + "".join(f"{k}{params[k]}" for k in sorted(params))
        signature = base64.b64encode(
            hmac.new(TWILIO_AUTH_TOKEN.encode(), payload.encode(), hashlib.sha1).digest()
        ).decode()
        body = urlencode(params).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        }
        if self.twilio_webhook_url:
            _deliver(self.twilio_webhook_url, body, headers)
        return body, headers

    # ------------------------------------------------------------------------ Yelp
    def add_yelp_reviews(
        self, n: int = 1, *, rating: int | None = None, text: str | None = None
    ) -> list[str]:
        ids = []
        with self.lock:
            for _ in range(n):
                number = self._id()
                review_id = f"yR{number:08d}xQ"
                full = text if text is not None else _sample(number)
                self.yelp_reviews[review_id] = {
                    "id": review_id,
                    "url": f"https://www.yelp.com/biz/{YELP_BUSINESS}?hrid={review_id}",
                    "text": full if len(full) <= 160 else full[:157] + "...",
                    "rating": rating or (number % 5) + 1,
                    "time_created": self.tick().astimezone(YELP_ZONE).strftime("%Y-%m-%d %H:%M:%S"),
                    "user": {
                        "id": f"u{number}",
                        "profile_url": f"https://www.yelp.com/user_details?userid=u{number}",
                        "image_url": None,
                        "name": f"Yelper {number}.",
                    },
                }
                ids.append(review_id)
        return ids

    def _yelp(self, req: RecordedRequest) -> _Reply:
        token = _bearer(req.headers)
        if not token:
            return _yelp_error(400, "TOKEN_MISSING", "An access token must be supplied.")
        if token not in self.valid_tokens["yelp"]:
            return _yelp_error(
                401, "TOKEN_INVALID", "Invalid access token or authorization header."
            )
        match = re.fullmatch(r"/v3/businesses/([^/]+)/reviews", req.path)
        if not match or req.method != "GET":
            return _yelp_error(404, "NOT_FOUND", "Resource could not be found.")
        if match.group(1) != YELP_BUSINESS:
            return _yelp_error(
                404, "BUSINESS_NOT_FOUND", "The requested business could not be found."
            )
        params = req.params
        try:
            limit = int(params.get("limit") or 20)
            offset = int(params.get("offset") or 0)
        except ValueError:
            return _yelp_error(400, "VALIDATION_ERROR", "'limit' is not a valid integer")
        if not 0 <= limit <= 50:
            return _yelp_error(
                400, "VALIDATION_ERROR", f"{limit} is greater than the maximum of 50"
            )
        rows = sorted(
            self.yelp_reviews.values(),
            key=lambda r: (r["time_created"], r["id"]),
            reverse=params.get("sort_by") == "newest",
        )
        visible = rows if self.yelp_max_reviews is None else rows[: self.yelp_max_reviews]
        return _Reply(
            200,
            {
                "reviews": visible[offset : offset + limit],
                "total": len(rows),
                "possible_languages": ["en"],
            },
        )

    # -------------------------------------------------------------------- dispatch
    def seed_demo(self) -> None:
        self.add_google_reviews(12)
        self.add_facebook_ratings(4)
        for _ in range(3):
            post = self.add_facebook_post()
            comments = self.add_facebook_comments(post, 3)
            self.add_facebook_comments(comments[0], 1)
        self.add_yelp_reviews(3)

    def handle(self, handler: BaseHTTPRequestHandler) -> _Reply | object:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        platform, fb = self._platform(url.path)
        req = RecordedRequest(
            platform=platform,
            method=handler.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            at=time.monotonic(),
        )
        with self.lock:
            self.requests.append(req)
        scenario = self._take(platform, req.method, req.path)
        if scenario is not None and scenario.kind == "drop":
            req.status = -1
            return _DROP
        delay = 0.0
        if scenario is not None and scenario.kind == "delay":
            delay, scenario = scenario.seconds, None
        with self.lock:
            if scenario is not None:
                reply = self._scenario_reply(platform, scenario)
            elif platform == "google-oauth":
                reply = self._google_token(req)
            elif platform == "google-consent":
                reply = (
                    self._consent_decide(req, "google")
                    if req.path.endswith("/decide")
                    else self._consent_page(req, "google")
                )
            elif platform == "google-accounts":
                reply = self._google_listing(req)
            elif platform == "google":
                reply = self._google(req)
            elif platform == "yelp":
                reply = self._yelp(req)
            elif platform == "facebook" and fb:
                reply = self._facebook(req, *fb)
            elif platform == "twilio":
                reply = self._twilio(req)
            else:
                reply = _Reply(404, {"error": "no such fake endpoint"})
            req.status = reply.status
        time.sleep(delay)  # the work is done; only the answer is late
        return reply

    @staticmethod
    def _platform(path: str) -> tuple[str, tuple[str, str] | None]:
        if path in ("/token", "/revoke"):
            return "google-oauth", None
        if path.startswith("/o/oauth2/"):
            return "google-consent", None
        if path.startswith("/v1/accounts"):
            return "google-accounts", None
        if path.startswith("/v4/"):
            return "google", None
        if path.startswith("/v3/businesses/"):
            return "yelp", None
        if path.startswith("/2010-04-01/"):
            return "twilio", None
        match = re.fullmatch(r"/(v\d+\.\d+)/(.*)", path)
        if match:
            return "facebook", (match.group(1), match.group(2))
        return "unknown", None

    def _scenario_reply(self, platform: str, s: _Scenario) -> _Reply:
        if s.kind == "garble":
            return _Reply(200, None, raw=b'{"data": [{"id": "10')
        headers = {}
        if s.kind == "throttle":
            if s.retry_after is not None:
                headers["Retry-After"] = _number(s.retry_after)
            if platform == "facebook":
                reply = _fb_error(
                    s.status or 400,
                    "(#4) Application request limit reached"
                    if (s.code or 4) == 4
                    else f"(#{s.code}) Calls to this api have exceeded the rate limit.",
                    s.code or 4,
                    is_transient=True,
                )
                headers["X-App-Usage"] = json.dumps(
                    {"call_count": 100, "total_cputime": 12, "total_time": 14}
                )
                if s.regain_minutes is not None:
                    headers["X-Business-Use-Case-Usage"] = json.dumps(
                        {
                            FACEBOOK_PAGE: [
                                {
                                    "type": "pages",
                                    "call_count": 100,
                                    "total_cputime": 5,
                                    "total_time": 5,
                                    "estimated_time_to_regain_access": s.regain_minutes,
                                }
                            ]
                        }
                    )
            elif platform == "yelp":
                reply = _yelp_error(
                    s.status or 429,
                    s.code or "TOO_MANY_REQUESTS_PER_SECOND",
                    "You have exceeded the queries-per-second limit for this endpoint. Try "
                    "reducing the rate at which you make queries.",
                )
            else:
                reply = _google_error(
                    s.status or 429,
                    "RESOURCE_EXHAUSTED",
                    "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' "
                    "of service 'mybusiness.googleapis.com'.",
                )
            reply.headers.update(headers)
            return reply
        status = s.status or 500
        if platform == "facebook":
            code = s.code or (1 if status == 500 else 2)
            message = s.message or (
                "An unknown error has occurred."
                if status == 500
                else "An unexpected error has occurred. Please retry your request later."
            )
            return _fb_error(status, message, code, is_transient=status >= 500)
        if platform == "yelp":
            code = s.code or ("INTERNAL_ERROR" if status == 500 else "SERVICE_UNAVAILABLE")
            return _yelp_error(
                status, code, s.message or "Something went wrong internally, please try again."
            )
        google_status = s.code or {500: "INTERNAL", 503: "UNAVAILABLE"}.get(status, "UNKNOWN")
        return _google_error(
            status, google_status, s.message or "The service is currently unavailable."
        )


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakePlatforms/1.0"

    def _serve(self) -> None:
        reply = self.server.fake.handle(self)  # type: ignore[attr-defined]
        if reply is _DROP:
            self.close_connection = True
            self.connection.close()
            return
        assert isinstance(reply, _Reply)
        data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)  # the client may have given up waiting (a delay scenario)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass  # quiet: tests read fake.requests instead


# ---------------------------------------------------------------------------- helpers
def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _html(status: int, title: str, message: str) -> _Reply:
    body = f"<!doctype html><html lang=en><title>{_escape(title)}</title><h1>{_escape(title)}</h1><p>{_escape(message)}</p></html>"
    return _Reply(status, None, raw=body.encode(), content_type="text/html; charset=utf-8")


def _google_error(code: int, status: str, message: str) -> _Reply:
    return _Reply(code, {"error": {"code": code, "message": message, "status": status}})


def _fb_error(
    status: int, message: str, code: int, *, subcode: int | None = None, is_transient: bool = False
) -> _Reply:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    if is_transient:
        err["is_transient"] = True
    err["fbtrace_id"] = "AbCdEfGhIjK"
    return _Reply(status, {"error": err})


def _fb_missing(object_id: str) -> _Reply:
    return _Reply(
        400,
        {
            "error": {
                "message": (
                    f"Unsupported get request. Object with ID '{object_id}' does not exist, "
                    "cannot be loaded due to missing permissions, or does not support this "
                    "operation."
                ),
                "type": "GraphMethodException",
                "code": 100,
                "error_subcode": 33,
                "fbtrace_id": "AbCdEfGhIjK",
            }
        },
    )


def _twilio_error(status: int, code: int, message: str) -> _Reply:
    """Twilio's error JSON: {"code", "message", "more_info", "status"}."""
    return _Reply(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


def _deliver(url: str, body: bytes, headers: dict) -> int:
    """POST a platform's webhook delivery to Carewatch; the answer's status (or 0)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _yelp_error(status: int, code: str, description: str) -> _Reply:
    return _Reply(status, {"error": {"code": code, "description": description}})


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") and token.strip() else None


def _google_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _fb_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _untoken(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError("bad token") from None
    if not text.startswith("offset:"):
        raise ValueError("bad token")
    return int(text.removeprefix("offset:"))


def _stars(name: str) -> int:
    return {v: k for k, v in STAR_NAMES.items()}.get(name, 0)


def _sample(number: int) -> str:
    return f"{SAMPLE_TEXTS[number % len(SAMPLE_TEXTS)]} (#{number})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--empty", action="store_true", help="start without demo data")
    args = parser.parse_args(argv)
    fake = FakePlatforms()
    if not args.empty:
        fake.seed_demo()
    fake.start(args.host, args.port)
    print(f"Fake platforms listening on {fake.base_url}", flush=True)
    for platform in PLATFORMS:
        print(
            json.dumps(
                {
                    "kind": platform,
                    "base_url": fake.base_url,
                    "settings": fake.settings(platform),
                    "credentials": fake.credentials(platform),
                }
            ),
            flush=True,
        )
    print("# the Connect buttons, as environment variables:", flush=True)
    for name, value in fake.oauth_settings().items():
        print(f"export {name}={value}", flush=True)

    print(
        json.dumps(
            {
                "sms": "twilio",
                "env": {
                    "TWILIO_API_BASE": fake.base_url,
                    "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
                    "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
                    "TWILIO_FROM_NUMBER": TWILIO_NUMBER,
                },
                "facebook_app_secret": FACEBOOK_APP_SECRET,
            }
        ),
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
