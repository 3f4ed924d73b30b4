"""Shared API machinery: authentication from the access gate, the base classes every API
inherits, one error shape, pagination."""

from __future__ import annotations

import json
import time
from base64 import b64decode
from datetime import datetime
from functools import cache
from typing import NamedTuple
from urllib.parse import parse_qs

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.fields import SkipField
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils.urls import remove_query_param
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core import fastcache
from core.errors import DomainError
from core.permissions import Permission


class ApiKeyPrincipal:
    """`request.user` for a call made with an API key."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None

    def __init__(self, api_key):
        self.api_key = api_key

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"


class _Csrf(SessionAuthentication):
    def check(self, request):
        self.enforce_csrf(request)


class ActorAuthentication(BaseAuthentication):
    """Takes the actor that `ClinicAccessMiddleware` established (session, personal token or
    API key). Calls made with the session cookie must carry the CSRF token."""

    def authenticate(self, request):
        actor = getattr(request._request, "actor", None)
        if actor is None or not actor.is_authenticated:
            return None
        if actor.via_session:
            _Csrf().check(request)
        return (actor.user or ApiKeyPrincipal(actor.api_key), actor)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class _ClinicPermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        access = getattr(request._request, "clinic_access", None)
        if access is None:
            raise exceptions.NotFound()
        needed = view.permission_for(request.method)
        if not access.can(needed):
            raise exceptions.PermissionDenied(
                f"Your role in this clinic does not allow this ({needed.value})."
            )
        return True


class _Authenticated(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.auth is None:
            raise exceptions.NotAuthenticated()
        return True


_clock = time.time  # the throttle's clock (tests move it)


class ActorRateThrottle(SimpleRateThrottle):
    """Requests per API key (or per user for tokens and sessions): 429 with Retry-After beyond
    the rate.

    A fixed-window counter in Redis: one INCR (+ EXPIRE when new) per request, in the same round
    trip as the API key's lookup (`clinics.middleware.actor_for_request`) (DRF's
    SimpleRateThrottle pickles a list of every timestamp in the window back and forth, which at
    a high rate costs more than the request). The key does not depend on the clinic schema the
    request runs in, so an agency key has one budget across all its clinics. A window boundary
    can let up to twice the rate through in a short burst. If Redis is down the limit is not
    enforced rather than refusing requests that could be stored."""

    scope = "actor"

    @staticmethod
    def _actor_label(request) -> str | None:
        actor = getattr(request._request, "actor", None)
        if actor is None or not actor.is_authenticated:
            return None
        return actor.label

    def counter(self, label: str, now: float | None = None) -> tuple[str, int] | None:
        """The Redis counter of `label`'s window at `now` (default: the clock) and its lifetime
        (None: no limit)."""
        if self.rate is None:
            return None
        window = int((_clock() if now is None else now) // self.duration)
        return f"carewatch:throttle:{self.scope}:{label}:{window}", self.duration + 1

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        label = self._actor_label(request)
        if label is None:
            return True
        now = _clock()
        key, ttl = self.counter(label, now)
        counted = getattr(request._request, "rate_counted", None)
        if counted is not None and counted[0] == key:
            count = counted[1]  # counted with the API key's lookup, in the same round trip
        else:
            try:
                count = fastcache.count(key, ttl=ttl)
            except Exception:  # noqa: BLE001 - fail open when the cache is unreachable
                return True
        if count > self.num_requests:
            self.wait_seconds = self.duration - (now % self.duration)
            return False
        return True

    def wait(self):
        return getattr(self, "wait_seconds", None)


class AddressRateThrottle(ActorRateThrottle):
    """Requests per client address for callers without a credential (a signed inbound webhook,
    the anonymous OpenAPI document): the same Redis fixed window, keyed by the address.
    Subclasses name their `scope` (a rate in DEFAULT_THROTTLE_RATES)."""

    def _actor_label(self, request) -> str | None:
        actor = getattr(request._request, "actor", None)
        if actor is not None and actor.is_authenticated:
            return None  # callers with a credential have their own budget
        return "ip:" + (self.get_ident(request) or "unknown")


class HookRateThrottle(AddressRateThrottle):
    scope = "hooks"


class SchemaRateThrottle(AddressRateThrottle):
    scope = "schema"


_SEALED = ("initial", "check_permissions", "get_permissions", "get_authenticators", "dispatch")


class _SealedAPIView(APIView):
    authentication_classes = [ActorAuthentication]
    throttle_classes = [ActorRateThrottle]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_access_base"):
            return
        for name in (*_SEALED, "authentication_classes", "permission_classes"):
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} may not override {name}: access is decided once.")

    @property
    def actor(self):
        return self.request._request.actor


class ClinicAPIView(_SealedAPIView):
    """Base of every API under /clinics/<slug>/api/. The access gate already refused callers
    who cannot reach the clinic; this checks the permission each method needs."""

    _access_base = True
    read_permission = Permission.VIEW
    write_permission = Permission.WRITE

    def get_permissions(self):
        return [_ClinicPermission()]

    def permission_for(self, method: str) -> Permission:
        if method in ("GET", "HEAD", "OPTIONS"):
            return self.read_permission
        return self.write_permission

    @property
    def clinic(self):
        return self.request._request.clinic

    @property
    def access(self):
        return self.request._request.clinic_access


class PublicAPIView(_SealedAPIView):
    """Base of every API under /api/v1/ (outside a clinic). Querysets there must be filtered by
    the actor (see `clinics.selectors`)."""

    _access_base = True

    def get_permissions(self):
        return [_Authenticated()]


MAX_PAGE_SIZE = 1000  # every list: a larger (or smaller than 1, or not a number) page_size is a 400


def page_size_validated(request, default: int) -> int:
    """`page_size` of the query string: 1..MAX_PAGE_SIZE, else a 400 (never cut silently)."""
    raw = request.query_params.get("page_size")
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise exceptions.ValidationError(
            {"page_size": [f"Must be a whole number from 1 to {MAX_PAGE_SIZE}."]}
        )
    return size


def _invalid_cursor() -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {"cursor": ["Invalid cursor: use a `next` or `previous` link."]}
    )


def _cursor_fields(raw: str) -> dict:
    """The fields of an encoded cursor (DRF's base64 query string), {} if it is none: DRF
    would read any undecodable text as the first page."""
    try:
        text = b64decode(raw.encode("ascii"), altchars=b"-_", validate=True).decode("ascii")
    except (ValueError, UnicodeError):
        return {}
    fields = parse_qs(text, keep_blank_values=True)
    return fields if fields and set(fields) <= {"o", "r", "p"} else {}


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return page_size_validated(request, self.page_size)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"page": ["Invalid page."]}) from None


class ResumableCursorPagination(CursorPagination):
    """Cursor pagination for a feed read oldest first: the last page's `next` is never null. It
    holds the position after the last item, so calling it later answers only what was added
    since (an empty page keeps the same cursor), as Stripe's lists do. A bad cursor or page
    size is a 400."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return page_size_validated(request, self.page_size)

    def decode_cursor(self, request):
        raw = request.query_params.get(self.cursor_query_param)
        if raw is not None and not _cursor_fields(raw):
            raise _invalid_cursor()
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise _invalid_cursor() from None

    def get_next_link(self):
        if self.has_next:
            return super().get_next_link()
        if not self.page:  # nothing new: the same place, or the start of an empty feed
            if self.cursor and not self.cursor.reverse:
                return self.encode_cursor(self.cursor)
            return remove_query_param(self.base_url, self.cursor_query_param)
        self.has_next = True
        self.next_position = self._get_position_from_instance(self.page[-1], self.ordering)
        try:
            return super().get_next_link()
        finally:
            self.has_next = False


# The release that renamed the inputs still accepted under their old names (CHANGELOG.md).
DEPRECATED_SINCE = "@1796256000"  # 2026-12-03, as RFC 9745 writes a date


def deprecation_mark(response, *, used: list[str]) -> None:
    """Tell a caller that sent deprecated input names (`used`) that they still work, for one
    release: the `Deprecation` header (RFC 9745) and which names, in `Warning`-free prose."""
    if used:
        response["Deprecation"] = DEPRECATED_SINCE
        response["X-Deprecated-Inputs"] = ", ".join(sorted(set(used)))


def _error_body(detail, code, fields=None):
    body = {"detail": str(detail), "code": code}
    if fields:
        body["fields"] = fields
    return body


def exception_handler(exc, context):
    """Every error in one shape: `{"detail", "code", "fields"?}`."""
    if isinstance(exc, DomainError):
        return Response(_error_body(exc.detail, exc.code, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(_error_body("Invalid input.", "invalid", fields), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = _error_body("Invalid input.", "invalid", data)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = _error_body(detail, code)
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


class _Anyone(BasePermission):
    def has_permission(self, request, view) -> bool:
        return True


class AnonymousAPIView(_SealedAPIView):
    """Base of the few APIs that take no credential (obtaining a token)."""

    _access_base = True
    anonymous = True

    def get_permissions(self):
        return [_Anyone()]


@cache
def _query_fields(serializer_class) -> dict:
    own = {n for n in set(dir(serializer_class)) - set(dir(Serializer)) if n.startswith("validate")}
    assert not own and serializer_class.validate is Serializer.validate, (
        f"{serializer_class.__name__} validates beyond its fields: use the serializer itself"
    )
    return dict(serializer_class().fields)  # bound once, to a serializer kept for this


def query_params_validated(serializer_class, params) -> dict:
    """`serializer_class(data=params).validated_data` (or its 400) for a flat serializer of
    query-string filters, validated by fields built once per process: a serializer builds
    (deep-copies) all its fields on every instantiation, ~0.4 ms for ten, which is a tenth of a
    list request. The loop is `Serializer.to_internal_value`'s; fields keep no state between
    validations, so the same messages come out (tests/core/test_api_helpers.py)."""
    data, errors = {}, {}
    for name, field in _query_fields(serializer_class).items():
        try:
            data[name] = field.run_validation(field.get_value(params))
        except SkipField:
            continue
        except exceptions.ValidationError as exc:
            errors[name] = exc.detail
    if errors:
        raise exceptions.ValidationError(errors)
    return data


class RawItem(NamedTuple):
    """One item of a list, already written as JSON (by the database), with the values of the
    list's ordering fields."""

    key: tuple
    json: str


class FeedPagination(CursorPagination):
    """Keyset ("seek") pagination for large, growing lists (reviews): no COUNT(*) over a
    clinic's whole history, stable pages under inserts, and every page (however deep) is one
    index range scan. A cursor holds the ordering key (published_at, id) of the row it
    continues from; `next` and `previous` are opaque links.

    `paginate(request, fetch)` then `get_raw_response(page)`: `fetch(after=key | None,
    newer=bool, limit=n)` returns up to n `RawItem`s newest first, older than `after` (or the
    nearest newer ones with `newer`)."""

    ordering = ("-published_at", "-id")  # the key; both descending, the last one unique
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return page_size_validated(request, self.page_size)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise _invalid_cursor() from None

    def paginate(self, request, fetch) -> list[RawItem]:
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        reverse = bool(self.cursor and self.cursor.reverse)
        after = self._decode_key(self.cursor.position) if self.cursor is not None else None
        rows = fetch(after=after, newer=reverse, limit=self.page_size + 1)
        more = len(rows) > self.page_size
        # `previous` is never null once there is a position: it answers the reviews newer than
        # this page, so the first page's `previous`, kept, returns new reviews as they arrive.
        if reverse:  # the nearest newer rows, newest first: the extra row leads
            self.page = rows[1:] if more else rows
            self.has_next, self.has_previous = True, True
        else:
            self.page = rows[: self.page_size]
            self.has_next, self.has_previous = more, self.cursor is not None or bool(self.page)
        return self.page

    @staticmethod
    def _encode_key(item: RawItem) -> str:
        return "|".join(str(value) for value in item.key)

    key_parsers = (datetime.fromisoformat, int)  # how each part of the key is read back

    def _decode_key(self, position: str | None) -> tuple:
        """The key (published_at, id) from a cursor; anything else is an invalid cursor (400)."""
        try:
            parts = (position or "").split("|")
            if len(parts) != len(self.key_parsers):
                raise ValueError(position)
            return tuple(parse(part) for parse, part in zip(self.key_parsers, parts, strict=True))
        except ValueError:
            raise _invalid_cursor() from None

    def _link(self, row: RawItem | None, *, reverse: bool) -> str:
        position = self._encode_key(row) if row is not None else self.cursor.position
        return self.encode_cursor(Cursor(offset=0, reverse=reverse, position=position))

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return self._link(self.page[-1] if self.page else None, reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        return self._link(self.page[0] if self.page else None, reverse=True)

    def get_raw_response(self, page: list[RawItem]) -> HttpResponse:
        """The page envelope of `get_paginated_response` (its documented schema), around items
        that are JSON already."""
        links = json.dumps(
            {"next": self.get_next_link(), "previous": self.get_previous_link()},
            separators=(",", ":"),
        )
        body = f'{links[:-1]},"results":[{",".join(item.json for item in page)}]}}'
        return HttpResponse(body.encode(), content_type="application/json")


def paginated_response(view, queryset, serializer_class, *, paginator_class=None):
    """One page of `queryset`. Views that paginate declare `pagination_class`, which is also
    how the OpenAPI document learns that their list is wrapped in a page envelope."""
    paginator = (paginator_class or getattr(view, "pagination_class", None) or Pagination)()
    page = paginator.paginate_queryset(queryset, view.request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
