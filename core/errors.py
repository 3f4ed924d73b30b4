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
        """The detail and every field's message, in one line (for a page)."""
        parts = [str(self.detail)]
        for errors in self.fields.values():
            parts.extend(str(e) for e in (errors if isinstance(errors, list | tuple) else [errors]))
        return " ".join(parts)


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
