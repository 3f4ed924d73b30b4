"""The OpenAPI document of each operation, written for integrators: one tag per resource, a
readable operationId and summary, the view's own docstring as description, every error it can
answer (in the common error shape), and the credentials as alternatives."""

from __future__ import annotations

import inspect
import json
import re

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

from core.api import MAX_PAGE_SIZE
from core.errors import ERROR_CODES

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a message, a machine-readable code and, for invalid input, "
    "the messages of each field.",
    "properties": {
        "detail": {"type": "string"},
        "code": {
            "type": "string",
            "description": "Every code an answer can carry (`status: meaning`); new codes "
            "may be added, so treat one you do not know by its HTTP status.\n\n"
            + "\n".join(f"- `{code}`: {meaning}" for code, meaning in ERROR_CODES.items()),
            # an open set: a client generated from the document must not refuse a new code
            "x-extensible-enum": list(ERROR_CODES),
        },
        "fields": {
            "type": "object",
            "description": "The messages of each field, the field named by its path in the "
            "body: `scopes[0]`, `items[2].review_id`; `body` for the body as a whole.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"items[2].review_id": ["This field is required."]},
        },
    },
    "required": ["detail", "code"],
}

# The resource (tag) of each first path segment after /api/v1/; actions on a draft or a statement
# that decide its fate are grouped under "approvals".
_TAG_OF_SEGMENT = {
    "api-keys": "api-keys",
    "auth": "tokens",
    "chat-webhooks": "chat-webhooks",
    "clinics": "clinics",
    "me": "clinics",
    "audit": "audit",
    "approvals-log": "audit",
    "compliance": "compliance",
    "contact-consents": "conversations",
    "crisis": "crisis-settings",
    "deactivate": "leaving",
    "delete": "leaving",
    "exports": "leaving",
    "drafts": "replies",
    "facts": "facts",
    "imports": "imports",
    "incidents": "incidents",
    "outbox": "outbox",
    "privacy-requests": "privacy-requests",
    "private-conversations": "conversations",
    "reactivate": "leaving",
    "reply-batches": "replies",
    "claims": "reviews",
    "reply-settings": "replies",
    "reply-templates": "templates",
    "reports": "reports",
    "reviews": "reviews",
    "scores": "scores",
    "settings-history": "settings-history",
    "sources": "sources",
    "statements": "statements",
    "webhooks": "webhooks",
}
_APPROVAL_ACTIONS = {"submit", "approve", "reject", "override", "remind"}

TAGS = [
    {"name": "tokens", "description": "Personal tokens: obtain, list and revoke your own."},
    {"name": "api-keys", "description": "Clinic and agency API keys: create, rotate, revoke."},
    {"name": "clinics", "description": "The clinics a credential reaches, and who you are."},
    {"name": "sources", "description": "Where a clinic's reviews come from."},
    {"name": "reviews", "description": "Push reviews and mentions; read them with their score."},
    {"name": "imports", "description": "CSV imports of reviews, run by a worker."},
    {"name": "scores", "description": "The scores feed: every stored score, oldest first."},
    {"name": "incidents", "description": "Incidents the detectors open, and running them."},
    {"name": "replies", "description": "Reply drafts to reviews and the clinic's reply settings."},
    {"name": "statements", "description": "Public statements, mostly drafted for incidents."},
    {
        "name": "approvals",
        "description": "Submit, approve, reject or override a draft or a statement; remind "
        "whom it waits for.",
    },  # fmt: skip
    {"name": "compliance", "description": "The HIPAA guard's verdict on a text."},
    {"name": "outbox", "description": "Approved replies and statements on their way out."},
    {"name": "conversations", "description": "Private follow-ups with a reviewer."},
    {"name": "facts", "description": "The fact sheet replies may quote."},
    {"name": "templates", "description": "Reply templates."},
    {"name": "audit", "description": "The append-only audit trail and the approvals log."},
    {"name": "crisis-settings", "description": "Detector settings and the response plan."},
    {
        "name": "chat-webhooks",
        "description": "The clinic's Slack and Microsoft Teams channels for incident alerts "
        "and delivery failures, and their test message.",
    },
    {
        "name": "settings-history",
        "description": "Who changed which setting, when, from what to what.",
    },
    {"name": "webhooks", "description": "Outbound webhook subscriptions and their deliveries."},
    {"name": "reports", "description": "Monthly reports."},
    {
        "name": "privacy-requests",
        "description": "A person asks the agency to remove what they wrote: find their items "
        "in every clinic, redact or delete them, read the log (agency-wide: owners and "
        "managers, or an agency key with `write`).",
    },
    {
        "name": "leaving",
        "description": "When a client leaves: export the clinic's data, deactivate, reactivate "
        "or delete the clinic (the agency's owners; exports also its managers).",
    },
]

ERROR_RESPONSES = {
    400: "Invalid input: `fields` has the messages of each field (`parse_error`: the body "
    "is not JSON, `fields.body` says where).",
    401: "No credential, or an invalid, expired or revoked one.",
    403: "The credential's role or scopes do not allow this.",
    404: "Not found (also another clinic's data, which this credential cannot reach).",
    409: "Conflicts with the current state (or an `Idempotency-Key` reused with another body).",
    413: "The body or the batch is too large.",
    415: "The body is not in the content type this operation takes (`unsupported_media_type`): "
    "JSON everywhere (a form is refused), multipart/form-data for the CSV import.",
    422: "The compliance guard blocks this text (`code`: `guard_blocked`).",
    429: "Over the rate limit: retry after `Retry-After` seconds.",
}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_CONFLICT_APPS = {"responses", "webhooks", "feeds", "crisis", "clinics", "facts"}


def _own_doc(obj) -> str:
    """A docstring written on `obj` itself: a base class's docstring is about the machinery,
    not about the operation."""
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if doc else ""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema of one operation, written for integrators: one tag per resource,
    a readable operationId and summary, the view's own docstring as description, every error
    it can answer, and the credentials as alternatives."""

    def _segments(self) -> list[str]:
        path = self.path.split("/api/v1/", 1)[-1]
        return [part for part in path.split("/") if part]

    def get_tags(self) -> list[str]:
        segments = self._segments()
        tag = _TAG_OF_SEGMENT.get(segments[0], segments[0])
        if tag in ("replies", "statements") and segments[-1] in _APPROVAL_ACTIONS:
            return ["approvals"]
        if segments[0] == "incidents" and "statements" in segments:
            return ["statements"]
        if segments[0] == "reviews" and segments[-1] in (
            "private-conversations",
            "follow-up-channels",
            "contact-consents",
        ):
            return ["conversations"]
        if segments[0] == "reviews" and segments[-1] == "suggestion":
            return ["replies"]
        if segments[0] == "drafts" and segments[-1] == "audit":
            return ["audit"]
        return [tag]

    def _view_methods(self) -> list[str]:
        return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(self.view, m)]

    def get_operation_id(self) -> str:
        operation_id = self._default_operation_id()
        return _RENAMED.get(operation_id, (operation_id,))[0]

    def _default_operation_id(self) -> str:
        base = _snake(self.view.__class__.__name__.removesuffix("Api"))
        method = self.method.upper()
        if base.endswith("_list"):
            return base if method == "GET" else f"{base.removesuffix('_list')}_create"
        verbs = {"GET": "retrieve", "PUT": "replace", "PATCH": "update", "DELETE": "delete"}
        if base.endswith("_detail"):
            return f"{base.removesuffix('_detail')}_{verbs.get(method, method.lower())}"
        if len(self._view_methods()) > 1:
            return f"{base}_{verbs.get(method, method.lower())}"
        return base

    def get_description(self) -> str:
        method = getattr(self.view, self.method.lower(), None)
        return _own_doc(method) or _own_doc(self.view.__class__)

    def get_summary(self) -> str:
        default = self._default_operation_id()
        if default in _RENAMED:
            return _RENAMED[default][1]
        method = getattr(self.view, self.method.lower(), None)
        doc = _own_doc(method) or (
            _own_doc(self.view.__class__) if len(self._view_methods()) == 1 else ""
        )
        first = re.split(r"(?<=[a-z)])[.:;](?:\s|$)|\n\n", doc, maxsplit=1)[0].replace("\n", " ")
        if doc and len(first) <= 72 and "(" not in first:
            return first.rstrip(".")
        return _humanized(default)

    def get_auth(self):
        if getattr(self.view, "anonymous", False):
            return []
        return [{name: scopes} for scheme in super().get_auth() for name, scopes in scheme.items()]

    def _error_statuses(self, operation: dict) -> list[int]:
        method = self.method.upper()
        app = self.view.__class__.__module__.split(".", 1)[0]
        has_body = "requestBody" in operation
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        found = {401, 429}
        if has_body or has_query or method in _WRITES:
            found.add(400)
        if not getattr(self.view, "anonymous", False):
            found.add(403)
        if "{" in self.path:
            found.add(404)
        if (method in _WRITES and app in _CONFLICT_APPS) or getattr(
            self.view, "may_conflict", False
        ):
            found.add(409)
        if has_body:
            found |= {413, 415}
        if method in _WRITES and app == "responses":
            found.add(422)
        return sorted(found)

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        self.registry.register_on_missing(
            ResolvedComponent(
                name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
            )
        )
        for parameter in operation.get("parameters", []):
            if parameter.get("description", "").startswith("Deprecated"):
                parameter["deprecated"] = True
            if parameter["name"] == "page_size" and parameter["in"] == "query":
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
                parameter["description"] = (
                    f"Items per page, 1 to {MAX_PAGE_SIZE} (anything else is a 400)."
                )
        responses = operation.setdefault("responses", {})
        for code in self._error_statuses(operation):
            answer = responses.setdefault(str(code), {})
            answer["description"] = ERROR_RESPONSES[code]
            declared = answer.get("content", {}).get("application/json", {})
            answer["content"] = {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"},
                    # an example the view declared for this status stays
                    **({"examples": declared["examples"]} if "examples" in declared else {}),
                }
            }
            if code == 429:
                answer["headers"] = {
                    "Retry-After": {
                        "description": "Seconds to wait before the next request.",
                        "schema": {"type": "integer"},
                    }
                }
        return operation


_VERBS = {"list": "List", "create": "Create", "retrieve": "Get", "update": "Update",
          "replace": "Replace", "delete": "Delete"}  # fmt: skip

# Where the rule of `get_operation_id` / `_humanized` does not read well: id -> (id, summary).
_RENAMED = {
    "report_months_across": (
        "report_month_across_clinics_list",
        "List every clinic's monthly report figures for one month",
    ),
    "review_apply_to_plan": (
        "incident_review_apply_to_plan",
        "Apply an incident review's lessons to the response plan",
    ),
    "review_private_conversation_retrieve": (
        "review_private_conversation_list",
        "List a review's private follow-ups",
    ),
    "review_private_conversation_post": (
        "review_private_conversation_create",
        "Start a private follow-up with a reviewer",
    ),
    "review_follow_up_channels": (
        "review_follow_up_channel_list",
        "List the private channels that reach a reviewer",
    ),
    "review_contact_consent_list": (
        "review_contact_consent_list",
        "List a reviewer's consents to be contacted",
    ),
    "review_contact_consent_create": (
        "review_contact_consent_create",
        "Record a reviewer's consent to be contacted",
    ),
    "contact_consent_revoke": ("contact_consent_revoke", "Withdraw a consent to be contacted"),
    "follow_up_message_list": (
        "follow_up_message_create",
        "Send a message in a private follow-up",
    ),
    "follow_up_message_create": (
        "follow_up_message_create",
        "Send a message in a private follow-up",
    ),
    "follow_up_message_retry": ("follow_up_message_retry", "Retry a failed follow-up message"),
    "follow_up_note": ("follow_up_note_create", "Note a follow-up conversation held elsewhere"),
    "review_suggestion": ("review_suggestion", "Suggest a reply to a review"),
    "outbox_list": ("outbox_list", "List outbox items"),
    "outbox_retrieve": ("outbox_retrieve", "Get an outbox item"),
    "outbox_mark_posted": ("outbox_mark_posted", "Mark an outbox item as posted by hand"),
    "audit_list": ("audit_list", "List audit entries"),
    "draft_audit": ("draft_audit_list", "List a draft's audit entries"),
    "webhook_delivery_list": ("webhook_delivery_list", "List a webhook's deliveries"),
    "response_plan_version": ("response_plan_version", "Get a version of the response plan"),
    "compliance_check": ("compliance_check", "Check a text with the compliance guard"),
    "token_obtain": ("token_obtain", "Obtain a personal token"),
    "import_create": ("import_create", "Upload a CSV import"),
    "incident_status": ("incident_status", "Change an incident's status"),
    "draft_approve": ("draft_approve", "Approve a draft's current step"),
    "statement_approve": ("statement_approve", "Approve a statement's current step"),
    "response_settings_retrieve": ("reply_settings_retrieve", "Get the reply settings"),
    "response_settings_update": ("reply_settings_update", "Update the reply settings"),
    "incident_review_retrieve": ("incident_review_retrieve", "Get an incident's review"),
    "incident_review_update": ("incident_review_update", "Update an incident's review"),
    "incident_review_export": ("incident_review_export", "Export an incident's review"),
    "webhook_rotate_secret": ("webhook_rotate_secret", "Rotate a webhook's signing secret"),
    "me": ("me", "What the caller may do in this clinic"),
    "export_list": ("export_list", "List the clinic's data exports"),
    "export_create": ("export_create", "Export the clinic's data (a ZIP of CSV files)"),
    "export_retrieve": ("export_retrieve", "Get a data export's progress"),
    "export_download": ("export_download", "Download a data export's ZIP"),
    "privacy_request_create": ("privacy_request_create", "Carry out a privacy request"),
    "privacy_request_list": ("privacy_request_list", "List the agency's privacy requests"),
    "privacy_request_retrieve": ("privacy_request_retrieve", "Get a privacy request"),
    "privacy_matches": ("privacy_matches_find", "Find a person's items in every clinic"),
    "settings_history": ("settings_history_list", "List the changes of settings"),
}


def _plural(noun: str) -> str:
    if noun.endswith("y") and not noun.endswith(("ay", "ey", "oy")):
        return f"{noun[:-1]}ies"
    return f"{noun}es" if noun.endswith(("x", "s")) else f"{noun}s"


def _humanized(operation_id: str) -> str:
    """`source_create` -> "Create a source", `review_list` -> "List reviews",
    `incident_acknowledge` -> "Acknowledge an incident"."""
    *words, verb = operation_id.split("_")
    thing = " ".join(words).replace("api key", "API key")
    if verb == "list":
        return f"List {_plural(thing)}"
    article = "an" if thing[:1] in "aeiouAEIOU" else "a"
    if thing.endswith(("settings", "plan")):
        article = "the"  # one per clinic
    return (
        f"{_VERBS.get(verb, verb.capitalize())} {article} {thing}" if words else verb.capitalize()
    )


def tags_add(result, generator, request, public):
    """drf-spectacular postprocessing hook: the resources, in the order an integrator meets
    them, as Redoc's sections (only those the document uses)."""
    used = {tag for item in result.get("paths", {}).values() for op in item.values()
            if isinstance(op, dict) for tag in op.get("tags", [])}  # fmt: skip
    result["tags"] = [tag for tag in TAGS if tag["name"] in used]
    return result


def deprecated_mark(result, generator, request, public):
    """drf-spectacular postprocessing hook: a field whose description starts with
    "Deprecated" (a name still sent for one release, CHANGELOG.md) is marked `deprecated`, so
    generated clients and Redoc flag it."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for field in component.get("properties", {}).values():
            if field.get("description", "").startswith("Deprecated"):
                field["deprecated"] = True
    return result


def unused_components_drop(result, generator, request, public):
    """drf-spectacular postprocessing hook: a schema nothing refers to any more is left out
    (an error serializer a view declares is answered as the one `Error`, `get_operation`), so
    a client generated from the document has one error type."""
    schemas = result.get("components", {}).get("schemas", {})
    while True:
        text = json.dumps(result, default=str)
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return result
        for name in unused:
            del schemas[name]
