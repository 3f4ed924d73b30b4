import base64
import binascii
import contextlib
import json
from io import BytesIO
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpResponse
from django.http.multipartparser import (
    FIELD,
    ChunkIter,
    LazyStream,
    MultiPartParserError,
    Parser,
    exhaust,
)
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers

from core.http import JsonAnswer, bearer, is_api_path
from core.text import (
    MAX_JSON_DEPTH,
    control_problem,
    json_depth_exceeds,
    json_problem,
    printable,
    text_cleaned,
    text_problem,
)


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header (Django 5.2 has no built-in CSP)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CSP_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response


class PrivateResponseMiddleware:
    """Every answer to a signed-in request (a session, a personal token or an API key, or
    any credential in the Authorization header) is kept by no cache: `Cache-Control:
    max-age=0, no-cache, no-store, must-revalidate, private` and `Expires` (Django's
    `add_never_cache_headers`). Pages, API answers and downloads (the report PDF, the data
    export) hold review texts, drafts and people's names; neither a browser's disk cache nor
    the Back button after sign-out on a shared computer may keep them. An answer whose view
    chose its own `Cache-Control` keeps it: the public statement page, the brand stylesheets
    and logos, static files (WhiteNoise's) and health answer the same to anyone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response and _signed_in(request):
            add_never_cache_headers(response)
        return response


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    actor = getattr(request, "actor", None)  # clinics.middleware: session, token or key
    return (
        bool(getattr(user, "is_authenticated", False))
        or bool(getattr(actor, "is_authenticated", False))
        or bearer(request) is not None
    )


MB = 1024 * 1024


def _wants_json(request) -> bool:
    """The API and the signed webhooks answer errors in JSON; so does any caller that asks."""
    return (
        "/api/" in request.path
        or request.path.startswith("/hooks/")
        or ("json" in request.headers.get("Accept", ""))
    )


def _values_checked_per_item(request) -> bool:
    """Whether the view of `request` checks the values of each item of its JSON body itself
    (`values_checked_per_item`: the review ingest and the inbound webhooks reject a bad item
    alone, the rest of the batch is stored), so a bad value is not the whole request's 400."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return bool(getattr(getattr(match.func, "view_class", None), "values_checked_per_item", False))


class InputTextMiddleware:
    """The one input check before any view. A body over DATA_UPLOAD_MAX_MEMORY_SIZE (25 MB,
    uploads included) is 413, answered from its Content-Length before anything reads it:
    Django would refuse it only when read, with a bare 400 and an error logged with its
    traceback. Every query parameter, form field and JSON body value is text PostgreSQL can
    store (no NUL, no lone surrogate), and a JSON body is nested at most MAX_JSON_DEPTH levels
    (checked on the raw text, before a recursive decoder sees it); otherwise 400 naming the
    field. A page form's text holds no control character other than line breaks and tabs
    (`control_problem`; the API's serializers check their own fields, as one line or not),
    and its text fields are UTF-8 (the bytes, before Django reads them with replacement
    characters; file parts are not text), as is every query parameter of every request, the
    API's included (`?q=%ff`). A view that checks each item of its body itself
    (`values_checked_per_item`) gets the body whatever its values (not its depth), and rejects
    the bad items alone. Refusals are `{"detail", "code", "fields"}` for the API and the
    signed webhooks, a page for the rest (a form's 400 shows the form's text back with the bad
    characters removed and the field's message, to send again: `_form_again`, one page for
    every form; a query's is the plain page of a link it cannot read); nothing is changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (too_large := self._too_large(request)) is not None:
            return too_large
        if (name := _urlencoded_not_utf8(_query_bytes(request))) is not None:
            return self._refuse(request, name, NOT_UTF8_QUERY, in_address=True)
        problem = self._problem(request)
        if problem is not None:
            field, message = problem
            return self._refuse(request, field, message)
        return self.get_response(request)

    @staticmethod
    def _too_large(request) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None  # the server refuses such a request before Django sees it
        if limit is None or length <= limit:
            return None
        shown = f"{limit / MB:g} MB"
        if _wants_json(request):
            return JsonAnswer(
                {
                    "detail": f"The request body is larger than {shown}.",
                    "code": "too_large",
                    "fields": {"body": [f"At most {shown} (got {length / MB:.1f} MB)."]},
                },
                status=413,
            )
        return HttpResponse(render_to_string("413.html", {"limit": shown}), status=413)

    @staticmethod
    def _problem(request) -> tuple[str, str] | None:
        for name, values in request.GET.lists():
            for value in [name, *values]:
                if message := text_problem(value):
                    return name, message
        content_type = request.content_type or ""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if content_type.endswith("json"):
            body = request.body
            if not body:
                return None
            if json_depth_exceeds(body):
                return "body", f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
            try:
                value = json.loads(body)
            except (ValueError, RecursionError):
                return None  # the view answers for malformed JSON
            problem = json_problem(value)
            if problem is not None and _values_checked_per_item(request):
                return None
            return problem
        if content_type == "multipart/form-data" and is_api_path(request):
            # DRF parses API uploads itself (and reads the raw stream, which POST would consume);
            # their text fields go through serializers, CSV rows through the import's own check
            return None
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if (field := _form_field_not_utf8(request)) is not None:
                return field, NOT_UTF8
            for name, values in request.POST.lists():
                secret = "password" in name  # checked by what it is, never for its characters
                for value in [name, *values]:
                    if message := text_problem(value) or (
                        None if secret else control_problem(value, one_line=False)
                    ):
                        return name, message
        return None

    @staticmethod
    def _refuse(request, field: str, message: str, *, in_address: bool = False):
        field = printable(field)
        if _wants_json(request):
            return JsonAnswer(
                {"detail": "Invalid input.", "code": "invalid", "fields": {field: [message]}},
                status=400,
            )
        if in_address:  # a link's or a GET form's parameter: nothing typed to keep
            return HttpResponse(
                render_to_string("400_param.html", {"text": f"“{field}”: {message}"}), status=400
            )
        context = {"field": field, "message": message}
        if message != NOT_UTF8:  # text no browser sends as typed: nothing to show back
            context["fields"] = _form_again(request)
            context["action"] = request.get_full_path()
            context["multipart"] = bool(request.FILES)
        # a page a person can act on: the form's text shown back, the bad characters removed
        return HttpResponse(render_to_string("400_input.html", context), status=400)


def _form_again(request) -> list[dict]:
    """A refused page form's fields, for the one page that shows every such form back
    (templates/400_input.html): each field that holds what cannot be stored (a NUL, a control
    character) with that removed and its message, to check and send again; the others as they
    were sent (hidden), a password to type again (never shown back), a file to choose again.
    One mechanism for every form of every page, whatever view it posts to."""
    fields = []
    for name, values in request.POST.lists():
        if text_problem(name) or control_problem(name, one_line=True):
            continue  # no form of ours names a field so: nothing to send back under it
        secret = "password" in name
        for value in values:
            problem = text_problem(value) or (
                None if secret else control_problem(value, one_line=False)
            )
            fields.append(
                {
                    "name": name,
                    "value": "" if secret else text_cleaned(value),
                    "message": problem or "",
                    "secret": secret,
                }
            )
    fields += [{"name": name, "file": True} for name in request.FILES]
    return fields


NOT_UTF8 = (
    "The form sent text that is not valid UTF-8 (bytes no browser sends for typed text), "
    "so it was not read."
)
NOT_UTF8_QUERY = (
    "The address holds bytes that are not valid UTF-8 text (such as %FF), which no link or "
    "form of Carewatch writes, so it was not read."
)


def _query_bytes(request) -> bytes:
    """The query string as the client sent it: WSGI hands it over as Latin-1 text (PEP 3333),
    whose code points are the bytes."""
    query = request.META.get("QUERY_STRING", "")
    try:
        return query.encode("iso-8859-1")
    except UnicodeEncodeError:  # decoded already (a server that reads it as UTF-8): text
        return query.encode()


def _urlencoded_not_utf8(raw: bytes) -> str | None:
    """The name of the first pair of an urlencoded text (a query string, a form body) whose
    name or value, once percent-decoded, is not UTF-8, or None. Django would decode it with
    replacement characters ("\ufffd") and a page or the API would read, filter by or store
    them as if sent."""
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        name, value = (unquote_to_bytes(v.replace(b"+", b" ")) for v in (name, value))
        if _not_text(name, "utf-8") or _not_text(value, "utf-8"):
            return name.decode("utf-8", "replace")
    return None


def _not_text(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return True
    return False


def _form_field_not_utf8(request) -> str | None:
    """The name of the first text field of a form body (urlencoded, or multipart: its file
    parts are not text, an upload's importer checks its own encoding) whose bytes do not decode
    as the form's encoding (UTF-8; a multipart body may declare another charset), or None.
    Django would decode them with replacement characters ("\ufffd"), stored as if typed."""
    if request.content_type == "application/x-www-form-urlencoded":
        return _urlencoded_not_utf8(request.body)
    encoding = request.encoding or settings.DEFAULT_CHARSET
    boundary = request.content_params.get("boundary", "").encode("ascii", "replace")
    if not boundary:
        return None  # Django refuses it when the view reads the form
    stream = LazyStream(ChunkIter(BytesIO(request.body), 64 * 1024))
    try:
        for kind, meta, part in Parser(stream, boundary):
            try:
                name = meta["content-disposition"][1]["name"]
            except (KeyError, IndexError):
                name = b""
            if kind == FIELD:
                data = part.read()
                if meta.get("content-transfer-encoding", ("",))[0].strip() == "base64":
                    with contextlib.suppress(binascii.Error):  # read as sent, as Django does
                        data = base64.b64decode(data)
                if _not_text(name, encoding) or _not_text(data, encoding):
                    return name.decode(encoding, "replace") if isinstance(name, bytes) else name
            exhaust(part)
    except MultiPartParserError:
        return None  # Django answers for a malformed body when the view reads the form
    return None


def _resolves(path: str, urlconf) -> bool:
    try:
        resolve(path, urlconf)
    except Resolver404:
        return False
    return True


class ApiPathMiddleware:
    """API paths answer the same with or without their trailing slash, and an unknown API path
    answers the JSON 404 of every other API error, never a page or a redirect (Django's
    APPEND_SLASH redirect cannot carry a POST body). Runs after `ClinicRoutingMiddleware`,
    which chose the request's URLconf. Every API route ends with a slash, so only a path
    without one is resolved here; the usual request is resolved once, by Django."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_path(request):
            return self.get_response(request)
        path = request.path_info
        if not path.endswith("/"):
            urlconf = getattr(request, "urlconf", None)
            if not _resolves(path, urlconf) and _resolves(f"{path}/", urlconf):
                script = request.path[: len(request.path) - len(path)]
                request.path_info = request.META["PATH_INFO"] = f"{path}/"
                request.path = script + request.path_info
        response = self.get_response(request)
        if response.status_code == 404 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return JsonAnswer({"detail": "Not found.", "code": "not_found"}, status=404)
        return response
