"""The `settings` a source of each kind takes: its keys, their JSON types, what each means. One
table (`SOURCE_SETTINGS`) that the services check every settings sent by a person against (the
API, the Sources page: `source_settings_problems`) and the OpenAPI document is written from
(`source_settings_schemas`), so that a key mistyped (`pageid`) is refused by name instead of
stored, where the rule "one platform account, one clinic" (`feeds.selectors.ACCOUNT_SETTING`)
would never see it. The connectors read the same keys (feeds/connectors/*.py)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.text import control_problem, printable, text_problem
from feeds.models import SourceKind

MAX_SETTING_TEXT = 500


@dataclass(frozen=True)
class Key:
    """One setting: its JSON type ("string", "integer", "number" or "boolean"), what it means,
    and for a number the values it may take."""

    type: str
    help: str
    low: float | None = None
    high: float | None = None
    zone: bool = False  # a string that names a time zone (IANA)


_ACCOUNT = " The account is read by one clinic only."
SOURCE_SETTINGS: dict[str, dict[str, Key]] = {
    SourceKind.GOOGLE: {
        "account_id": Key("string", "The Business Profile account: `123` or `accounts/123`."),
        "location_id": Key(
            "string",
            "The location read: `456`, `locations/456` or `accounts/123/locations/456`." + _ACCOUNT,
        ),
        "page_size": Key("integer", "Reviews asked for per page, 1 to 50 (default 50).", 1, 50),
        "profile_url": Key("string", "The profile's public address, each review's link."),
    },
    SourceKind.FACEBOOK: {
        "page_id": Key("string", "The id of the Facebook page read." + _ACCOUNT),
        "api_version": Key("string", "The Graph API version (default `v21.0`)."),
        "lookback_days": Key(
            "number",
            "Posts this many days old or newer are watched for comments (default 30).",
            0,
            3650,
        ),  # fmt: skip
        "limit": Key("integer", "Items asked for per page, 1 to 100 (default 50).", 1, 100),
        "include_ratings": Key("boolean", "Read the page's recommendations (default true)."),
        "include_posts": Key("boolean", "Read the comments on its posts (default true)."),
    },
    SourceKind.INSTAGRAM: {
        "instagram_account_id": Key("string", "The Instagram account read." + _ACCOUNT),
        "username": Key("string", "Its @name, without the @."),
        "page_id": Key("string", "The Facebook page it is connected through."),
    },
    SourceKind.YELP: {
        "business_id": Key("string", "The Yelp business read: its id or alias." + _ACCOUNT),
        "locale": Key("string", "The language of the reviews asked for, as `en_US`."),
        "limit": Key("integer", "Reviews asked for per page, 1 to 50 (default 20).", 1, 50),
        "time_zone": Key(
            "string",
            "The time zone Yelp's review times are in (default `America/Los_Angeles`).",
            zone=True,
        ),
    },
}
# Healthgrades, X, CSV, the inbound webhook and the API push take no settings.


def _kind_words(kind: str) -> str:
    label = SourceKind(kind).label if kind in SourceKind.values else kind
    an = label[0].lower() in "aeiou" or label == "X"
    return f"{'an' if an else 'a'} {label} source"


def _value_problem(key: Key, value) -> str | None:
    if key.type == "string":
        if not isinstance(value, str):
            return "Must be a string."
        if problem := text_problem(value) or control_problem(value, one_line=True):
            return problem
        if len(value) > MAX_SETTING_TEXT:
            return f"At most {MAX_SETTING_TEXT} characters (got {len(value):,})."
        if key.zone and value.strip():
            try:
                ZoneInfo(value.strip())
            except (ZoneInfoNotFoundError, ValueError):
                return f"Not a time zone name: {value.strip()[:60]!r} (as America/New_York)."
        return None
    if key.type == "boolean":
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "Must be a number." if key.type == "number" else "Must be an integer."
    if key.type == "integer" and not float(value).is_integer():
        return "Must be an integer."
    if not key.low <= value <= key.high:
        return f"Must be between {key.low:g} and {key.high:g}."
    return None


def source_settings_problems(kind: str, settings) -> dict[str, list[str]]:
    """What is wrong with `settings` for a source of `kind`, per field as the API names it
    (`settings.pageid`: ["Unknown setting ... Allowed: page_id, ..."]); {} when nothing is.
    A key the kind does not take is refused with the keys it takes; a value of the wrong JSON
    type, or out of range, with what it must be. Every key may be left out."""
    if not isinstance(settings, dict):
        return {"settings": ["Must be a JSON object."]}
    allowed = SOURCE_SETTINGS.get(kind, {})
    problems: dict[str, list[str]] = {}
    for name, value in settings.items():
        field = f"settings.{printable(str(name))}"
        key = allowed.get(name)
        if key is None:
            takes = (
                f"Allowed: {', '.join(allowed)}." if allowed else "It takes no settings: send {}."
            )
            problems[field] = [f"Unknown setting for {_kind_words(kind)}. {takes}"]
        elif problem := _value_problem(key, value):
            problems[field] = [problem]
    return problems


def source_settings_schemas() -> dict[str, dict]:
    """The OpenAPI component of each kind's settings ("GoogleSourceSettings": an object with
    its keys, no other), and "NoSourceSettings" for the kinds that take none."""
    schemas = {}
    for kind, keys in SOURCE_SETTINGS.items():
        properties = {}
        for name, key in keys.items():
            prop: dict = {"type": key.type, "description": key.help}
            if key.type == "string":
                prop["maxLength"] = MAX_SETTING_TEXT
            if key.low is not None:
                prop |= {"minimum": key.low, "maximum": key.high}
            properties[name] = prop
        schemas[f"{kind.capitalize()}SourceSettings"] = {
            "type": "object",
            "description": f"The settings of {_kind_words(kind)} (`kind`: `{kind}`).",
            "properties": properties,
            "additionalProperties": False,
        }
    others = [kind for kind in SourceKind.values if kind not in SOURCE_SETTINGS]
    schemas["NoSourceSettings"] = {
        "type": "object",
        "description": f"The kinds that take no settings ({', '.join(others)}): `{{}}`.",
        "properties": {},
        "additionalProperties": False,
    }
    return schemas
