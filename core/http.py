"""Facts about a request that every layer may ask: is it a clinic path, an API path, which
bearer credential does it carry, and the URLconf of a clinic's path segment. Pure functions of
the request: no model, no app."""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

from django.conf import settings
from django.http import HttpResponse
from django_tenants.urlresolvers import get_subfolder_urlconf
from rest_framework.renderers import JSONRenderer

from core.errors import ValidationFailed

CLINIC_PREFIX = f"/{settings.TENANT_SUBFOLDER_PREFIX}/"


@lru_cache(maxsize=4096)
def clinic_urlconf(segment: str):
    return get_subfolder_urlconf(SimpleNamespace(domain_subfolder=segment))


def clinic_segment(path: str) -> str | None:
    """The clinic slug of a /clinics/<slug>/... path, or None."""
    if not path.startswith(CLINIC_PREFIX):
        return None
    return path[len(CLINIC_PREFIX) :].split("/", 1)[0] or None


class JsonAnswer(HttpResponse):
    """A JSON answer made outside a DRF view (a middleware's refusal, an error handler, a
    page's JSON helper), rendered by the API's own renderer: one body format for every answer
    (compact, UTF-8 as it is: `{"detail":"Not found.","code":"not_found"}`, docs/integrate.md),
    whoever answers."""

    def __init__(self, data, status: int = 200, **kwargs):
        kwargs.setdefault("content_type", "application/json")
        super().__init__(JSONRenderer().render(data), status=status, **kwargs)


def is_api_path(request) -> bool:
    path = request.path_info
    segment = clinic_segment(path)
    if segment is not None:
        path = path[len(CLINIC_PREFIX) + len(segment) :]
    return path.startswith("/api/")


def is_htmx(request) -> bool:
    """Whether `request` was sent by htmx (a card swapped in place, the banner's poll): the
    answer is a fragment for part of a page, never a page of its own."""
    return request.headers.get("HX-Request") == "true"


def bearer(request) -> str | None:
    """The credential of the Authorization header (Bearer, Api-Key or Token scheme)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in {"bearer", "api-key", "token"} and value.strip():
        return value.strip()
    return None


def branded_for_set(request, user, *, agency_id: int | None = None) -> None:
    """A page nobody is signed in on that is about one person (the page a password link
    opens, the "password set" page after it): it carries that person's agency brand, or
    `agency_id`'s where the page is about that agency's invitation (one withdrawn: the person
    may reach no clinic of it any more)."""
    request._branded_for = user
    request._branded_agency_id = agency_id


def branded_agency_id(request) -> int | None:
    """The agency a page about one person names (`branded_for_set(agency_id=...)`), or None."""
    return getattr(request, "_branded_agency_id", None)


def branded_for(request):
    """The person whose agency's brand a page carries: the signed-in person, else the person
    the page is about (`branded_for_set`), else None."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return getattr(request, "_branded_for", None)


def positive_int(value, *, zero: bool = False) -> int | None:
    """A positive whole number typed in a query or form value ("12"), else None (0 too, unless
    `zero`: a version number that starts at 0). Only ASCII digits, at most 18 of them (it fits
    any id column): `str.isdigit()` is also true for "²" or "①", which `int()` and the ORM
    refuse with a ValueError (a 500)."""
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        return None
    number = int(text)
    return number if number or zero else None


NOT_A_NUMBER = "A number."


class ParamRefused(ValidationFailed):
    """A value of a query or form that the page cannot read (an id that is not a number): a
    400 naming the field, whatever the view was about to do (`core.views.ClinicView` answers
    it with a page; an API with the JSON of every other ValidationFailed)."""

    def __init__(self, field: str, message: str = NOT_A_NUMBER):
        super().__init__("Invalid input.", fields={field: [message]})
        self.field = field
        self.message = message

    def text(self) -> str:
        return f"{self.detail} “{self.field}”: {self.message}"


def int_param(params, name: str, *, zero: bool = False) -> int | None:
    """The whole number that a query or form (`params`: `request.GET`, `request.POST`)
    carries under `name` (`positive_int`); None when it carries none (absent or blank).
    Anything else is refused (`ParamRefused`), never read as "none given": a filter typed
    wrong would list everything, an id typed wrong would act on something else."""
    raw = params.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    number = positive_int(raw, zero=zero)
    if number is None:
        raise ParamRefused(name)
    return number


STALE_PAGE = "This page is out of date: reload it and make your change again."


def version_param(params, name: str = "expected_version") -> int:
    """The version an edit form was opened at (its hidden `expected_version`), which the
    service compares with the stored one (a 409 when someone changed it since). Every edit
    form carries it: a post without it (absent or blank) is refused (`ParamRefused`, "This
    page is out of date"), never saved without the check."""
    number = int_param(params, name, zero=True)
    if number is None:
        raise ParamRefused(name, STALE_PAGE)
    return number


def int_params(params, name: str) -> list[int]:
    """Every whole number a query or form carries under `name` (ticked boxes), blanks
    skipped; one that is not a number is refused (`ParamRefused`), as `int_param` refuses."""
    numbers = []
    for raw in params.getlist(name):
        if isinstance(raw, str) and not raw.strip():
            continue
        if (number := positive_int(raw)) is None:
            raise ParamRefused(name)
        numbers.append(number)
    return numbers
