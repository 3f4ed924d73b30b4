"""Domain errors. Services raise these; the API's exception handler turns them into
`{"detail": ..., "code": ...}` responses and commands print them."""

# The `fields` key of an error about the body as a whole (not JSON, not an object, a
# serializer's or a model's non-field error), as the ingest and the input checks name it.
BODY = "body"


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.fields = fields or {}

    def text(self) -> str:
        """The detail and every field's message, in one line (for a page); a message two
        fields share (either of them is enough) is said once."""
        parts = [str(self.detail)]
        for errors in self.fields.values():
            parts.extend(str(e) for e in (errors if isinstance(errors, list | tuple) else [errors]))
        return " ".join(dict.fromkeys(parts))


class ValidationFailed(DomainError):
    code = "invalid"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"


class TooLarge(ValidationFailed):
    """A body, a file or a batch over its documented size."""

    status_code = 413
    code = "too_large"


# Every `code` an error answer can carry, with the status it comes with and what it means: the
# one list the OpenAPI document's `Error.code` is written from (`core.openapi.ERROR_SCHEMA`).
# tests/api/test_error_codes.py fails when a code raised anywhere is missing here, or when one
# here is raised nowhere any more.
ERROR_CODES: dict[str, str] = {
    # the input
    "invalid": "400: invalid input; `fields` says what, per field.",
    "bad_request": "400: the request itself cannot be read (such as a body with too many "
    "fields); nothing was done.",
    "host_not_allowed": "400: the Host header names a host this server does not serve.",
    "parse_error": "400: the body is not JSON or not UTF-8; `fields.body` says where.",
    "bad_signature": "400: an inbound webhook's signature header is missing or does not match.",
    "stale_signature": "400: an inbound webhook's signature timestamp is over 5 minutes off.",
    "too_long": "400: a reply's text is longer than its platform takes.",
    "unfilled_variables": "400: a text still holds template variables with no value.",
    "unfilled_default": "400: a default fact still reads as its suggested wording.",
    "invalid_transition": "400: an incident cannot take that status from the one it has now.",
    "otp_required": "400: the action needs a current two-factor code; 403: a session signed "
    "in without its second factor.",
    "password_required": "400: the action needs your password, entered again.",
    "password_invalid": "400: the password entered again is wrong.",
    "name_mismatch": "400: the clinic's name typed to confirm does not match.",
    "not_confirmed": "400: deleting a clinic needs `confirm: true`.",
    "month_in_progress": "400: the month is not over yet in the clinic's time zone.",
    "no_recipients": "400: nobody of the clinic to send it to.",
    "no_private_channel": "400: no private channel reaches this reviewer.",
    "channel_unavailable": "400: the private channel chosen cannot reach this reviewer.",
    "connect_failed": "400: connecting or disconnecting a platform could not go on.",
    # who you are
    "not_authenticated": "401: no credential.",
    "authentication_failed": "401: an invalid, expired or revoked credential, or a wrong "
    "e-mail or password.",
    "otp_invalid": "401: a wrong or already used two-factor code.",
    # what you may do
    "permission_denied": "403: the credential's role or scopes do not allow this.",
    "csrf_failed": "403: a signed-in browser's form or call came without its CSRF token (an "
    "expired form, an old tab); nothing was done. API keys and tokens are not checked for it.",
    "otp_not_set_up": "403: the person must use two-factor sign-in and has no authenticator "
    "app yet (the message has the set-up page's address).",
    "separation_of_duties": "403: nobody approves what they wrote, nor gives two steps of one "
    "version (a key counts as its creator).",
    "owner_only": "403: only an agency owner, in person, switches an approval step off.",
    "clinic_paused": "403: the agency paused this clinic's portal.",
    "clinic_deactivated": "403: the clinic is deactivated (its keys are refused); 409 for a "
    "change to a deactivated clinic, which is read-only.",
    # what is there
    "not_found": "404: no such thing, or another clinic's, which the credential cannot reach.",
    "review_not_sent": "404: an incident's review not sent to the clinic yet (clinic callers).",
    "method_not_allowed": "405: the path does not take this method.",
    "not_acceptable": "406: the API cannot answer in the format asked for (`Accept`).",
    # the state
    "conflict": "409: it is not in the state the action needs (the message says which).",
    "stale": "409: it changed since you read it (`expected_version`, `expected_status` or "
    "`If-Match`): re-read it.",
    "stale_version": "409: the fact changed since you read it (`expected_version`).",
    "idempotency_key_reused": "409: an `Idempotency-Key` reused with another body.",
    "replayed": "409: an inbound webhook delivery already received.",
    "draft_exists": "409: the review has an open reply draft already.",
    "statement_exists": "409: you created a statement with this title and body less than 10 "
    "minutes ago (`fields.statement_id` names it): it was sent twice.",
    "subscription_exists": "409: a webhook subscription with the same URL and events exists "
    "already (`fields.subscription_id` names it): change that one.",
    "in_batch": "409: the draft is part of an open batch: act on the batch.",
    "not_taken_back": "409: the approval cannot be taken back (the message says why): it is not "
    "yours, something happened since, or the text is approved or published.",
    "mentions_settled": "409: some mentions of the batch need no reply any more.",
    "legal_asked": "409: legal was already asked about this version.",
    "not_waiting": "409: it waits for nobody's action.",
    "nobody_to_remind": "409: nobody can give the step it waits for.",
    "nobody_to_ask": "409: no person of the clinic may confirm its facts.",
    "reminded_recently": "409: a reminder was sent less than 30 minutes ago.",
    "already_posted": "409: the outbox item was posted already.",
    "already_acknowledged": "409: the incident was acknowledged already (naming by whom and "
    "when); nothing changed.",
    "already_resolved": "409: the incident was resolved already; nothing changed.",
    "already_answered": "409: the question on the post-crisis review was answered already "
    "(naming by whom and when); an answer is never replaced, nothing changed.",
    "checklist_open": "409: the incident's resolve checklist is not clear (give "
    "`override_reason` to resolve anyway).",
    "not_resolved": "409: the incident is not resolved yet.",
    "already_revoked": "409: the key or token was revoked already.",
    "already_rotated": "409: the key was rotated already (the message names its successor).",
    "rotation_in_progress": "409: another call is rotating this webhook's signing secret at "
    "this very moment, or rotated it less than 10 seconds ago; its answer holds the new secret, "
    "and nothing was changed by this one.",
    "already_deactivated": "409: the clinic is deactivated already.",
    "not_deactivated": "409: the clinic is active.",
    "reactivation_expired": "409: the time to reactivate the clinic is over.",
    "already_deleted": "409: the clinic was deleted already.",
    "duplicate_slug": "409: a fact with this slug exists already.",
    "follow_up_open": "409: the review has an open private follow-up already.",
    "closed": "409: the private follow-up is closed: reopen it to write.",
    "awaiting_answer": "409: Facebook lets the page write again only after the person answers.",
    "not_failed": "409: only a failed message is retried.",
    "revoked": "409: the consent was withdrawn already.",
    "exists": "409: a chat webhook of this kind is saved already.",
    "source_exists": "409: the clinic has this source already (the same kind, name and "
    "settings); the message names its id.",
    "clinic_exists": "409: a clinic with this slug exists already with other values (`fields` "
    "names them); the same values again answer the clinic.",
    "changed": "409: the chat webhook was changed or removed meanwhile.",
    "subscription_inactive": "409: the webhook subscription is paused.",
    "too_many_subscriptions": "409: the clinic has the most webhook subscriptions it may.",
    # the size, the guard, the rate
    "too_large": "413: the body, file or batch is over its documented size.",
    "unsupported_media_type": "415: the body is not in the content type the operation takes.",
    "guard_blocked": "422: the compliance guard blocks the text (findings in `fields`).",
    "throttled": "429: over the rate limit: retry after `Retry-After` seconds.",
    "retry_cannot_work": "409: a retry of a delivery that cannot work yet (its channel is still "
    "not connected, or its connection expired or lacks a permission and was not reconnected "
    "since it failed): (re)connect the channel (the reply is then sent by itself; `detail` "
    "says who can) or post it by hand; nothing changed.",
    "too_soon": "429: sent again too soon (a chat webhook's test, an incident review's "
    "questions): retry after `Retry-After` seconds.",
    # our side
    "error": "An unexpected error (the status says which).",
    "server_error": "500: something went wrong on Carewatch's side; it has been logged.",
    "unavailable": "503: briefly unavailable; nothing was stored: retry after `Retry-After`.",
}
