"""Shared API machinery: authentication from the access gate, the base classes every API
inherits, one error shape, pagination."""

from __future__ import annotations

import json
import re
import time
from base64 import b64decode
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import NamedTuple
from urllib.parse import parse_qs
from uuid import UUID

from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import Http404, HttpResponse, QueryDict
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, OpenApiRequest
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.fields import (
    BooleanField,
    CharField,
    ChoiceField,
    DateField,
    DateTimeField,
    DictField,
    IntegerField,
    ListField,
    MultipleChoiceField,
    SkipField,
)
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import BasePagination, Cursor, CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, ListSerializer, Serializer
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils.formatting import lazy_format
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core import fastcache
from core.days import (
    DATE_HELP,
    DAY_OUT_OF_RANGE,
    FIRST_DAY,
    LAST_DAY,
    date_ranges_reversed,
    day_in_range,
    is_day,
)
from core.errors import BODY, DomainError
from core.permissions import Permission
from core.text import ONE_LINE_MAX, control_problem


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
            raise exceptions.PermissionDenied(access.refusal(needed))
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


class _DefaultPagination:
    """DRF's DEFAULT_PAGINATION_CLASS, read when used (settings name a class of this module)."""

    def __get__(self, instance, owner):
        return api_settings.DEFAULT_PAGINATION_CLASS


UNKNOWN_FIELD = "Unknown field."
MUST_BE_STRING = "Must be a string."
MUST_BE_BOOLEAN = "Must be true or false."
# A serializer's and a model's non-field errors: answered under BODY (core.errors) in `fields`.
_NON_FIELD_KEYS = (api_settings.NON_FIELD_ERRORS_KEY, "__all__")
_BODY_METHODS = ("POST", "PUT", "PATCH")
_NOT_DECLARED = object()
_body_serializer_known: dict[tuple[type, str], tuple[frozenset[str] | None, Serializer | None]] = {}


def _declared_request(view, method: str):
    """What the operation documents as its body (`@extend_schema(request=...)`), or
    `_NOT_DECLARED` when it declares nothing."""
    schema_class = getattr(getattr(view, method.lower(), None), "kwargs", {}).get("schema")
    if schema_class is None:
        return _NOT_DECLARED

    class _Probe(schema_class):
        def _get_serializer(self):  # reached only when nothing is declared: no guessing
            return _NOT_DECLARED

    probe = _Probe()
    probe.view, probe.method = view, method
    return probe.get_request_serializer()


def _body_serializer(view, method: str) -> tuple[frozenset[str] | None, Serializer | None]:
    """(`body_fields`, the serializer that documents them), read once per view and method."""
    key = (type(view), method)
    if key not in _body_serializer_known:
        declared = _declared_request(view, method)
        if isinstance(declared, OpenApiRequest):
            declared = declared.request
        if isinstance(declared, type) and issubclass(declared, BaseSerializer):
            declared = declared()
        names, serializer = None, None
        if declared is None:
            names = frozenset()
        elif isinstance(declared, Serializer) and not isinstance(declared, ListSerializer):
            names = frozenset(declared.fields) or None
            serializer = declared if names else None
        _body_serializer_known[key] = (names, serializer)
    return _body_serializer_known[key]


def body_fields(view, method: str) -> frozenset[str] | None:
    """The names a write's JSON body may hold: the fields of the serializer the
    operation documents as its request, read-only ones included (a body read with GET may be
    sent back); none at all for an operation that documents that it takes no body
    (`request=None`: a discard, a revoke; an empty object is fine). None where the body is not
    an object of named fields: no body declared, a file, a free-form object (an inbound
    webhook), a list, or a serializer without fields whose shape is written by hand (review
    ingest, which checks its items itself)."""
    return _body_serializer(view, method)[0]


def unknown_body_fields_refused(view, request) -> None:
    """A 400 naming each body field the operation does not document (`{"fields": {"nope":
    ["Unknown field."]}}`), before the view runs: a misspelt or renamed field is never
    ignored while the rest of the body is applied."""
    if request.method not in _BODY_METHODS:
        return
    known = body_fields(view, request.method)
    if known is None:
        return
    data = request.data  # the JSON body: a dict when it is an object
    if not isinstance(data, dict):
        return  # not an object: the serializer says what it expects
    unknown = sorted(str(name) for name in data if name not in known)
    if unknown:
        raise exceptions.ValidationError(dict.fromkeys(unknown, [UNKNOWN_FIELD]))


def _json_type_problems(field, value, path: str, problems: dict) -> None:
    if value is None:
        return  # null: the field's own `allow_null` answers
    if isinstance(field, ListSerializer | ListField):
        if isinstance(value, list):
            for index, item in enumerate(value):
                _json_type_problems(field.child, item, f"{path}[{index}]", problems)
    elif isinstance(field, Serializer):
        if isinstance(value, dict):
            for name, inner in field.fields.items():
                if name in value and not inner.read_only:
                    _json_type_problems(inner, value[name], f"{path}.{name}", problems)
    elif isinstance(field, DictField):
        if isinstance(value, dict):
            for name, item in value.items():
                _json_type_problems(field.child, item, f"{path}.{name}", problems)
    elif isinstance(field, BooleanField):
        if not isinstance(value, bool):
            problems[path] = [MUST_BE_BOOLEAN]
    elif isinstance(field, CharField):
        if not isinstance(value, str):
            problems[path] = [MUST_BE_STRING]
        elif not _secret(field) and (problem := control_problem(value, one_line=_one_line(field))):
            problems[path] = [problem]


def _one_line(field: CharField) -> bool:
    """A text field of at most ONE_LINE_MAX characters (a name, a title, an id) is one line;
    a longer one (a reply, a statement, a note) may hold lines, as may a field styled as a
    text area."""
    if field.style.get("base_template") == "textarea.html":
        return False
    return field.max_length is not None and field.max_length <= ONE_LINE_MAX


def _secret(field: CharField) -> bool:
    """A password is checked by what it is, never refused for its characters."""
    return field.style.get("input_type") == "password" or field.field_name == "password"


def json_types_refused(view, request) -> None:
    """A 400 naming each value of a JSON body whose JSON type is not its field's
    (`{"fields": {"name": ["Must be a string."]}}`), before the view runs: DRF reads the number
    5 as the text "5" and "yes" or 1 as true, so a client's type mistake would be stored as
    something it did not mean. A text field takes a JSON string, a flag `true` or `false`, in
    the serializer the operation documents as its request, nested ones included (`scopes[0]`,
    `items[2].review_id`). A text holds no control character (`core.text.control_problem`:
    one line for a short field, a name or a title; line breaks and tabs allowed in a longer
    one). The CSV import's multipart fields, whose values are all text, are read as they
    come."""
    if request.method not in _BODY_METHODS:
        return
    serializer = _body_serializer(view, request.method)[1]
    if serializer is None:
        return
    data = request.data
    if not isinstance(data, dict) or isinstance(data, QueryDict):
        return
    problems: dict[str, list[str]] = {}
    for name, field in serializer.fields.items():
        if name in data and not field.read_only:
            _json_type_problems(field, data[name], name, problems)
    if problems:
        raise exceptions.ValidationError(problems)


_query_params_known: dict[type, frozenset[str]] = {}


def query_params_declared(view) -> frozenset[str]:
    """The query parameters `view`'s GET documents (`@extend_schema(parameters=...)`): the
    fields of a filter serializer and each `OpenApiParameter` in the query."""
    key = type(view)
    if key not in _query_params_known:
        names: set[str] = set()
        schema_class = getattr(getattr(view, "get", None), "kwargs", {}).get("schema")
        if schema_class is not None:
            probe = schema_class()
            probe.view, probe.method = view, "GET"
            for parameter in probe.get_override_parameters():
                if isinstance(parameter, OpenApiParameter):
                    if parameter.location == OpenApiParameter.QUERY and not parameter.exclude:
                        names.add(parameter.name)
                elif isinstance(parameter, type) and issubclass(parameter, Serializer):
                    names.update(parameter().fields)
                elif isinstance(parameter, Serializer):
                    names.update(parameter.fields)
        _query_params_known[key] = frozenset(names)
    return _query_params_known[key]


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's, except that a `format` the view has no renderer for is a 400 naming the formats
    it offers (DRF answers 404 "Not found.", as if the address were wrong)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        offered = list(dict.fromkeys(renderer.format for renderer in renderers))
        if wanted and wanted not in offered:
            raise exceptions.ValidationError(
                {
                    self.settings.URL_FORMAT_OVERRIDE: [
                        f"“{wanted[:40]}” is not a format of this API: give "
                        f"{' or '.join(offered)} (or leave `format` out)."
                    ]
                }
            )
        return super().select_renderer(request, renderers, format_suffix)


class _SealedAPIView(APIView):
    authentication_classes = [ActorAuthentication]
    throttle_classes = [ActorRateThrottle]
    content_negotiation_class = ContentNegotiation
    # A GET declared as a list (`responses=X(many=True)`) is documented in the one list
    # envelope, and `paginated_response` pages it (core.api.Pagination).
    pagination_class = _DefaultPagination()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        unknown_body_fields_refused(self, request)
        json_types_refused(self, request)

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
# What every list's query string may carry besides its filters: paging (`cursor`, `page_size`,
# the deprecated `page`) and DRF's `format` (`ContentNegotiation`).
LIST_PARAMS = ("cursor", "page_size", "page", "format")
UNKNOWN_PARAMETER = "Unknown parameter."


def unknown_params_refused(request, *, known) -> None:
    """A 400 naming each query parameter that is neither one of `known` (the list's documented
    filters) nor of LIST_PARAMS (`fields.<name>: ["Unknown parameter."]`): a misspelt filter
    never answers the whole list. Lists whose filters `query_params_validated` reads refuse
    them there, with the filters' own messages; this is how a list with no filter refuses."""
    unknown = sorted(
        str(name) for name in request.query_params if name not in {*known, *LIST_PARAMS}
    )
    if unknown:
        raise exceptions.ValidationError(dict.fromkeys(unknown, [UNKNOWN_PARAMETER]))


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


PAGE_PARAM_GONE = (
    "Lists are paged with cursors since 2026-12-03: follow the `next` link (its `cursor` "
    "parameter) instead of counting pages."
)


PAGING_PARAMS = ("cursor", "page_size", "page")


def paging_params_single(request) -> None:
    """Each paging parameter (PAGING_PARAMS) given once at most: a repeated one is a 400 naming
    it ("Give one value."), as a repeated single-valued filter is (`query_params_validated`),
    never read as its last value."""
    repeated = {
        name: [GIVE_ONE_VALUE]
        for name in PAGING_PARAMS
        if len(request.query_params.getlist(name)) > 1
    }
    if repeated:
        raise exceptions.ValidationError(repeated)


def page_param_checked(request, response_marks: list[str]) -> None:
    """`page` of the page-number lists before 2026-12-03: `page=1` (what old clients send first)
    is the first page, answered with a `Deprecation` header; clients that then follow `next`
    keep working. Any other page number is a 400 that points at the cursor. Every list pager
    calls it first, so it also refuses a repeated paging parameter (`paging_params_single`)."""
    paging_params_single(request)
    raw = request.query_params.get("page")
    if raw is None:
        return
    if raw.strip() != "1":
        raise exceptions.ValidationError({"page": [PAGE_PARAM_GONE]})
    response_marks.append("page")


def links_base_url(request) -> str:
    """The address a list's `next` and `previous` links are made from: the request's, without
    the deprecated `page` (`page=1` read as the first page is not carried to the next ones)."""
    return remove_query_param(request.build_absolute_uri(), "page")


def envelope_schema(results_schema: dict, *, cursor_param: str = "cursor") -> dict:
    """The one list envelope of the OpenAPI document: `next`, `previous` and `results`."""
    link = {"type": "string", "nullable": True, "format": "uri"}
    return {
        "type": "object",
        "required": ["next", "previous", "results"],
        "properties": {
            "next": {
                **link,
                "description": "The next page; null after the last page (the scores feed's "
                "last page keeps a link to what is stored later).",
                "example": f"https://app.carewatch.example/api/v1/clinics/?{cursor_param}=…",
            },
            "previous": {
                **link,
                "description": "The page before this one; null on the first page (the reviews "
                "feed's first page keeps a link to what is published later).",
                "example": None,
            },
            "results": results_schema,
        },
    }


_CURSOR_SALT = "core.api.Pagination"


_VALUE_TYPES = {"t": datetime, "d": date, "x": Decimal, "u": UUID, "f": float}


def _cursor_value_encode(value):
    """A value of an ordering field as JSON: a tagged string where JSON has no such type."""
    if value is None or isinstance(value, bool | int | str):
        return value
    for tag, kind in _VALUE_TYPES.items():  # datetime before date: it is a date too
        if isinstance(value, kind):
            return {tag: value.isoformat() if tag in "td" else str(value)}
    raise TypeError(f"Cannot page on a {type(value).__name__} value.")


def _cursor_value_decode(value):
    if not isinstance(value, dict):
        return value
    if len(value) != 1 or next(iter(value)) not in _VALUE_TYPES:
        raise _invalid_cursor()
    [(tag, text)] = value.items()
    kind = _VALUE_TYPES[tag]
    parse = getattr(kind, "fromisoformat", kind)
    try:
        return parse(text)
    except (ValueError, TypeError, ArithmeticError):
        raise _invalid_cursor() from None


class _Key(NamedTuple):
    """One field of a list's ordering, as the cursor compares it."""

    name: str
    descending: bool
    nulls_last: bool

    def expression(self, *, reverse: bool = False) -> OrderBy:
        descending = self.descending != reverse
        nulls_last = self.nulls_last != reverse
        return OrderBy(
            F(self.name),
            descending=descending,
            nulls_last=True if nulls_last else None,
            nulls_first=None if nulls_last else True,
        )

    def value_of(self, item):
        value = item
        for part in self.name.split("__"):
            value = getattr(value, part)
        return value

    def after(self, value, *, reverse: bool) -> Q:
        """Rows that come after `value` in this field's order (before it with `reverse`)."""
        descending = self.descending != reverse
        nulls_last = self.nulls_last != reverse
        if value is None:
            return Q(**{f"{self.name}__isnull": False}) if not nulls_last else Q(pk__in=[])
        beyond = Q(**{f"{self.name}__{'lt' if descending else 'gt'}": value})
        return beyond | Q(**{f"{self.name}__isnull": True}) if nulls_last else beyond

    def equal(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})


def _keys_of(queryset) -> list[_Key]:
    """The ordering of `queryset` (its own, else the model's, else newest pk first), made
    total with the primary key."""
    ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering) or ["-pk"]
    keys = []
    for term in ordering:
        if isinstance(term, str):
            name = term.lstrip("-")
            descending = term.startswith("-")
            keys.append(_Key(name, descending, nulls_last=not descending))
        elif isinstance(term, OrderBy) and isinstance(term.expression, F):
            nulls_last = (
                bool(term.nulls_last)
                if term.nulls_last or term.nulls_first
                else not term.descending
            )
            keys.append(_Key(term.expression.name, term.descending, nulls_last))
        else:
            raise TypeError(f"Order by field names or F() to page a list, not {term!r}.")
    pk_names = {"pk", queryset.model._meta.pk.name}
    if keys[-1].name not in pk_names:
        keys.append(_Key("pk", keys[-1].descending, nulls_last=not keys[-1].descending))
    return keys


class Pagination(BasePagination):
    """The one way every list pages (the DRF default: a view gets it by declaring its GET
    response as a list, `responses=XOutputSerializer(many=True)`, and answering with
    `paginated_response`): the envelope `{"next", "previous", "results"}`, opaque `cursor`
    links, `page_size` 1 to MAX_PAGE_SIZE (else a 400), no total count; a query parameter
    the list does not document is a 400 naming it (`unknown_params_refused`).

    The cursor holds the ordering values of the row it continues from (keyset paging: a page
    costs the same however deep, and a row added while a client walks the list never makes
    another appear twice or vanish). It is signed, so a cursor the API did not give is a 400.
    A list that is not a queryset (built in Python) pages by position."""

    page_size = 50
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.deprecated: list[str] = []
        if view is not None:
            unknown_params_refused(request, known=query_params_declared(view))
        page_param_checked(request, self.deprecated)
        self.page_size = page_size_validated(request, self.page_size)
        self.base_url = links_base_url(request)
        cursor = self._cursor_decode(request)
        if isinstance(queryset, QuerySet):
            return self._keyset_page(queryset, cursor)
        return self._position_page(list(queryset), cursor)

    # --- querysets: keyset paging ------------------------------------------------------------

    def _keyset_page(self, queryset, cursor: dict | None) -> list:
        keys = _keys_of(queryset)
        reverse = bool(cursor and cursor.get("r"))
        if cursor is not None:
            values = cursor.get("k")
            if "k" not in cursor or not isinstance(values, list) or len(values) != len(keys):
                raise _invalid_cursor()
            values = [_cursor_value_decode(v) for v in values]
            beyond, equal_so_far = Q(pk__in=[]), Q()
            for key, value in zip(keys, values, strict=True):
                beyond |= equal_so_far & key.after(value, reverse=reverse)
                equal_so_far &= key.equal(value)
            try:
                queryset = queryset.filter(beyond)
            except (ValueError, TypeError, DjangoValidationError):
                raise _invalid_cursor() from None
        ordered = queryset.order_by(*(key.expression(reverse=reverse) for key in keys))
        rows = list(ordered[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()

        def position(row) -> list:
            return [_cursor_value_encode(key.value_of(row)) for key in keys]

        self.next_link = self.previous_link = None
        if not reverse:
            if more:
                self.next_link = self._link({"k": position(rows[-1])})
            if cursor is not None and rows:
                self.previous_link = self._link({"k": position(rows[0]), "r": 1})
        else:  # the rows before the cursor: the row it came from follows them
            self.next_link = (
                self._link({"k": position(rows[-1])})
                if rows
                else remove_query_param(self.base_url, self.cursor_query_param)
            )
            if more:
                self.previous_link = self._link({"k": position(rows[0]), "r": 1})
        return rows

    # --- lists built in Python: paging by position -------------------------------------------

    def _position_page(self, items: list, cursor: dict | None) -> list:
        offset = 0 if cursor is None else cursor.get("o")
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise _invalid_cursor()
        rows = items[offset : offset + self.page_size]
        after = offset + self.page_size
        self.next_link = self._link({"o": after}) if after < len(items) else None
        if offset == 0:
            self.previous_link = None
        elif offset <= self.page_size:
            self.previous_link = remove_query_param(self.base_url, self.cursor_query_param)
        else:
            self.previous_link = self._link({"o": offset - self.page_size})
        return rows

    # --- cursors, links, the envelope --------------------------------------------------------

    def _cursor_decode(self, request) -> dict | None:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        try:
            cursor = signing.loads(raw, salt=self._salt())
        except signing.BadSignature:
            raise _invalid_cursor() from None
        if not isinstance(cursor, dict):
            raise _invalid_cursor()
        return cursor

    def _salt(self) -> str:
        """Signed for this list only: another list's cursor is a 400, never a query on the wrong
        fields."""
        return f"{_CURSOR_SALT}:{self.request.path.rstrip('/')}"

    def _link(self, cursor: dict) -> str:
        token = signing.dumps(cursor, salt=self._salt(), compress=True)
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def get_next_link(self) -> str | None:
        return self.next_link

    def get_previous_link(self) -> str | None:
        return self.previous_link

    def get_paginated_response(self, data):
        response = Response(
            {"next": self.next_link, "previous": self.previous_link, "results": data}
        )
        deprecation_mark(response, used=self.deprecated)
        return response

    def get_paginated_response_schema(self, schema):
        return envelope_schema(schema, cursor_param=self.cursor_query_param)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: the `cursor` of a `next` or `previous` "
                "link (opaque; a cursor the API did not give is a 400).",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page, 1 to {MAX_PAGE_SIZE} (anything else is a 400).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]


class TokenPagination(Pagination):
    """The one list envelope and signed cursor for a list merged in Python from several
    sources, whose caller knows its own position (the agency's approvals log, merged from
    each clinic's: `responses.agency_approvals_log.LogCursor`), newest first: `next` holds
    the position after the page's last item, `previous` the position before its first (null
    on the first page), each as the caller gave them.

    `paginate_tokens(request, view, fetch, parse)`: `fetch(after, before, size)` answers (a
    page, the next page's position token or None, the previous page's or None), `after` and
    `before` being the position a `next` or a `previous` link holds (at most one of them);
    `parse(token)` the position a token names, or None when it names none (a 400, as every
    invalid cursor)."""

    def paginate_tokens(self, request, view, fetch, parse) -> list:
        self.request = request
        self.deprecated: list[str] = []
        unknown_params_refused(request, known=query_params_declared(view))
        page_param_checked(request, self.deprecated)
        self.page_size = page_size_validated(request, self.page_size)
        self.base_url = links_base_url(request)
        after = before = None
        cursor = self._cursor_decode(request)
        if cursor is not None:
            if len(cursor) != 1 or not set(cursor) <= {"a", "b"}:
                raise _invalid_cursor()
            [(direction, token)] = cursor.items()
            position = parse(token) if isinstance(token, str) else None
            if position is None:
                raise _invalid_cursor()
            if direction == "a":
                after = position
            else:
                before = position
        items, next_token, previous_token = fetch(after, before, self.page_size)
        self.next_link = self._link({"a": next_token}) if next_token else None
        self.previous_link = self._link({"b": previous_token}) if previous_token else None
        return items


class ResumableCursorPagination(CursorPagination):
    """Cursor pagination for a feed read oldest first: the last page's `next` is never null. It
    holds the position after the last item, so calling it later answers only what was added
    since (an empty page keeps the same cursor), as Stripe's lists do. A bad cursor or page
    size is a 400."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        self.deprecated: list[str] = []
        page_param_checked(request, self.deprecated)
        return page_size_validated(request, self.page_size)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        deprecation_mark(response, used=self.deprecated)
        return response

    def get_paginated_response_schema(self, schema):
        return envelope_schema(schema, cursor_param=self.cursor_query_param)

    def decode_cursor(self, request):
        raw = request.query_params.get(self.cursor_query_param)
        if raw is not None and not _cursor_fields(raw):
            raise _invalid_cursor()
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise _invalid_cursor() from None

    def paginate_queryset(self, queryset, request, view=None):
        """DRF's; a cursor whose position the ordering field cannot read (another list's
        cursor, a forged one) is the invalid cursor's 400, not the field's own message."""
        self.cursor = None
        try:
            page = super().paginate_queryset(queryset, request, view=view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            if self.cursor is None or self.cursor.position is None:
                raise
            raise _invalid_cursor() from None
        self.base_url = links_base_url(request)  # DRF's is the request's own address
        return page

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
        before = [n for n in response.get("X-Deprecated-Inputs", "").split(", ") if n]
        response["Deprecation"] = DEPRECATED_SINCE
        response["X-Deprecated-Inputs"] = ", ".join(sorted({*before, *used}))


def fields_flattened(errors) -> dict[str, list[str]]:
    """`errors` (a serializer's, a model's or a service's, nested as the input was) as the
    documented `fields`: a list of messages per field, the field named by its path in the body.
    A list's item is `name[i]`, a nested object's field `name.field`, a list's or an object's
    own error `name`, and an error about the whole body `body`:
    `{"items": [{}, {"review_id": ["…"]}]}` → `{"items[1].review_id": ["…"]}`."""
    flat: dict[str, list[str]] = {}

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                if name in _NON_FIELD_KEYS:
                    walk(inner, path)
                elif isinstance(name, int):  # a ListField's item
                    walk(inner, f"{path}[{name}]")
                else:
                    walk(inner, f"{path}.{name}" if path else str(name))
        elif isinstance(value, list | tuple) and any(isinstance(v, dict | list) for v in value):
            for index, inner in enumerate(value):  # a list of objects: each item's own errors
                walk(inner, f"{path}[{index}]")
        elif isinstance(value, list | tuple):
            flat.setdefault(path or BODY, []).extend(str(message) for message in value)
        elif value is not None:
            flat.setdefault(path or BODY, []).append(str(value))

    walk(errors, "")
    return flat


def _error_body(detail, code, fields=None):
    body = {"detail": str(detail), "code": code}
    if fields:
        body["fields"] = fields_flattened(fields)
    return body


_BODY_FORMATS = {"application/json": "JSON", "multipart/form-data": "a multipart/form-data upload"}


def _unsupported_media_type_detail(exc, context) -> str:
    """A 415 in words: the body format the operation takes and the content type that was sent
    (DRF says `Unsupported media type "multipart/form-data; boundary=…" in request.`)."""
    view, request = context.get("view"), context.get("request")
    if view is None or request is None:
        return str(exc.detail)
    taken = list(dict.fromkeys(parser.media_type for parser in view.get_parsers()))
    wanted = " or ".join(f"{_BODY_FORMATS.get(t, t)} (Content-Type: {t})" for t in taken)
    sent = (request.content_type or "").split(";", 1)[0].strip()[:100] or "no content type"
    return f"The body must be {wanted}, not {sent}."


def exception_handler(exc, context):
    """Every error in one shape: `{"detail", "code", "fields"?}`, `fields` flat
    (`fields_flattened`)."""
    if isinstance(exc, exceptions.UnsupportedMediaType):
        exc.detail = exceptions.ErrorDetail(
            _unsupported_media_type_detail(exc, context), code=exc.default_code
        )
    response = _error_response(exc, context)
    if response is not None and response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Bearer realm="api"'  # every 401, the token API's too
    return response


def _error_response(exc, context):
    if isinstance(exc, DomainError):
        return Response(_error_body(exc.detail, exc.code, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {BODY: exc.messages}
        return Response(_error_body("Invalid input.", "invalid", fields), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _error_body("Invalid input.", "invalid", exc.detail)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = _error_body(detail, code)
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


# An actor's label as rows store it (`accounts.actors.Actor.label`): what the `person` filter of
# the approvals log and of the settings history takes.
ACTOR_LABEL = r"^(user:[0-9]{1,18}|api-key:[A-Za-z0-9_-]{1,64}|system:[a-z0-9_-]{1,32})$"
ACTOR_LABEL_INVALID = (
    "Give a person as “user:<id>”, an API key as “api-key:<prefix>” or a part of Carewatch as "
    "“system:<part>”."
)
_CHOICE_INVALID = str(ChoiceField.default_error_messages["invalid_choice"])
GIVE_ONE_VALUE = "Give one value."


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# What a date-time filter takes, in its message: an instant needs its offset, since a time
# without one would be read in UTC while a day is read in the clinic's time zone.
INSTANT_FORMS = "2026-12-01T09:30:00Z or 2026-12-01T09:30:00-05:00"
INSTANT_HELP = (
    f"Give an instant with its offset ({INSTANT_FORMS}); a time without an offset is not read."
)


def day_or_instant_help(day_zone: str) -> str:
    return (
        f"Give a day (2026-12-01: the whole day in {day_zone}) or an instant with its offset "
        f"({INSTANT_FORMS}); a time without an offset is not read."
    )


class InstantField(DateTimeField):
    """A list filter's exact instant: ISO 8601 with its offset (`Z` or ±hh:mm). A time without
    an offset is refused (INSTANT_HELP), never read as UTC: the one parser of the API's
    date-time filters (DayOrInstantField reads days besides)."""

    def __init__(self, *, message: str = INSTANT_HELP, **kwargs):
        super().__init__(**kwargs)
        self.error_messages["invalid"] = self.error_messages["naive"] = message

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is None:
                self.fail("invalid")
            if parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


def day_filter_param(help_text: str) -> DateField:
    """An API filter's day (`changed_from`, `decided_to`): optional, within range, with the one
    message for a date it cannot read — the twin of the pages' `core.days.day_filter_field`."""
    return DateField(
        required=False,
        help_text=help_text,
        error_messages={"invalid": DATE_HELP},
        validators=[day_in_range],
    )


class DayOrInstantField(InstantField):
    """A list filter's bound: a day (`2026-12-01`, a `date`: the whole day in the clinic's time
    zone, `core.days.range_instants`; `day_zone` names the zone in the message) or an exact
    instant (ISO 8601 with its offset; without one it is refused)."""

    def __init__(self, *, day_zone: str = "the clinic's time zone", **kwargs):
        super().__init__(message=day_or_instant_help(day_zone), **kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and _DAY.fullmatch(value.strip()):
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                self.fail("invalid")
            if not FIRST_DAY <= day <= LAST_DAY:
                raise exceptions.ValidationError(DAY_OUT_OF_RANGE)
            return day
        return super().to_internal_value(value)

    def to_representation(self, value):
        return value.isoformat() if is_day(value) else super().to_representation(value)


class UtcInstantField(DateTimeField):
    """An instant out as the API gives every time (README, "Times"): ISO 8601 in UTC with its
    offset, whatever zone the value is in (a `datetime`, or an ISO string as a report's
    figures hold them, in the clinic's zone)."""

    def to_representation(self, value):
        return utc_iso(value)


def utc_iso(value) -> str | None:
    """`value` (a `datetime` or an ISO 8601 string with its offset) as the API gives a time: ISO
    8601 in UTC (UtcInstantField's output, for an answer built as a dict)."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).isoformat()


class OptionalBooleanField(BooleanField):
    """A yes/no filter that may be left out (or left empty): None, not filtered. It reads what
    every boolean filter reads (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`) and nothing
    else: `null` or `none` is a 400, never read as "not filtered"."""

    NULL_VALUES = frozenset()

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", None)
        super().__init__(allow_null=True, **kwargs)


# The largest id a database row can have (bigint): a larger one in a filter is a 400, as a
# malformed one is, never an empty list.
MAX_DB_ID = 2**63 - 1


def _integer_bounded(field) -> None:
    """`field` (an IntegerField, or a list of them) refuses a number beyond MAX_DB_ID with its
    own `max_value` message, unless it declares a smaller bound."""
    field = field.child if isinstance(field, ListField) else field
    if not isinstance(field, IntegerField) or field.max_value is not None:
        return
    field.max_value = MAX_DB_ID
    message = lazy_format(field.error_messages["max_value"], max_value=MAX_DB_ID)
    field.validators.append(MaxValueValidator(MAX_DB_ID, message=message))


@cache
def _query_fields(serializer_class) -> dict:
    own = {n for n in set(dir(serializer_class)) - set(dir(Serializer)) if n.startswith("validate")}
    assert not own and serializer_class.validate is Serializer.validate, (
        f"{serializer_class.__name__} validates beyond its fields: use the serializer itself"
    )
    fields = dict(serializer_class().fields)  # bound once, to a serializer kept for this
    for field in fields.values():
        _integer_bounded(field)
        messages = field.error_messages
        if isinstance(field, ChoiceField) and str(messages["invalid_choice"]) == _CHOICE_INVALID:
            offered = ", ".join(str(choice) for choice in field.choices)
            offered = offered.replace("{", "{{").replace("}", "}}")  # the message is a format
            messages["invalid_choice"] = f"{_CHOICE_INVALID} Choose one of: {offered}."
    return fields


def _many_values(field) -> bool:
    return isinstance(field, ListField | MultipleChoiceField)


def query_params_validated(serializer_class, params, *, also=LIST_PARAMS) -> dict:
    """The filters of a list's query string (`params`), validated by the fields of
    `serializer_class`, a flat serializer, or a 400 naming each parameter it cannot use: the
    one way a list reads its filters.

    The loop is `Serializer.to_internal_value`'s, by fields built once per process (a
    serializer builds (deep-copies) all its fields on every instantiation, ~0.4 ms for ten,
    which is a tenth of a list request); fields keep no state between validations, so they
    answer as the serializer does (tests/core/test_api_helpers.py), and beyond it:

    - a parameter that is neither a field nor one of `also` (the other names the request may
      carry: by default paging and `format`, LIST_PARAMS; None: any) is refused (`fields.
      <name>: ["Unknown parameter."]`), as `unknown_body_fields_refused` refuses a write's
      unknown body field;
    - a single-valued parameter given more than once is refused ("Give one value."), never
      read as its last value;
    - a value that is not one of a field's choices is refused with the choices;
    - each (start, end) of the serializer's `date_ranges` whose end comes before its start is
      refused on the end (RANGE_REVERSED)."""
    data, errors = {}, {}
    fields = _query_fields(serializer_class)
    if also is not None:
        known = {*fields, *also}
        errors = {str(name): [UNKNOWN_PARAMETER] for name in params if name not in known}
    getlist = getattr(params, "getlist", None)
    for name, field in fields.items():
        if getlist is not None and not _many_values(field) and len(getlist(name)) > 1:
            errors[name] = [GIVE_ONE_VALUE]
            continue
        try:
            data[name] = field.run_validation(field.get_value(params))
        except SkipField:
            continue
        except exceptions.ValidationError as exc:
            errors[name] = exc.detail
    errors.update(date_ranges_reversed(serializer_class, data, errors=errors))
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
        self.deprecated: list[str] = []
        page_param_checked(request, self.deprecated)
        return page_size_validated(request, self.page_size)

    def get_paginated_response_schema(self, schema):
        return envelope_schema(schema, cursor_param=self.cursor_query_param)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise _invalid_cursor() from None

    def paginate(self, request, fetch) -> list[RawItem]:
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = links_base_url(request)
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
        response = HttpResponse(body.encode(), content_type="application/json")
        deprecation_mark(response, used=self.deprecated)
        return response


def paginated_response(view, queryset, serializer_class, *, paginator_class=None, context=None):
    """One page of `queryset` (or of a list built in Python) in the one list envelope, paged by
    the view's `pagination_class` (every API view has DRF's default, `Pagination`), which is
    also how the OpenAPI document learns that the list is wrapped in the envelope."""
    paginator_class = paginator_class or getattr(view, "pagination_class", None)
    paginator = (paginator_class or api_settings.DEFAULT_PAGINATION_CLASS)()
    page = paginator.paginate_queryset(queryset, view.request, view=view)
    data = serializer_class(page, many=True, context=context or {}).data
    return paginator.get_paginated_response(data)
