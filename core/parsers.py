"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES). A module of its own:
DRF reads the setting while `rest_framework.views` is being imported, so this one may not
import it (core.api does)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.parsers import JSONParser

from core.errors import BODY, ValidationFailed
from core.text import JsonUnreadable, json_decoded


class JsonParser(JSONParser):
    """DRF's JSON parser, except that a body it cannot read is a 400 `parse_error` saying in
    words where the JSON breaks or that it is not UTF-8, in `fields.body` as well (DRF's
    passes on the decoder's own message: "'utf-8' codec can't decode byte 0xff …")."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json_decoded(stream.read(), encoding=encoding)
        except JsonUnreadable as exc:
            raise ValidationFailed(
                str(exc), code="parse_error", fields={BODY: [str(exc)]}
            ) from None
