"""Who acts: the one type every app uses for "who did this" — a person (by session or personal
token), an API key, or Carewatch itself (a named part of the system, such as the outbox or the
crisis detectors). Rows and timelines store its `label` (stable) and `name` (to show)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import ApiKey, PersonalToken, User


@dataclass(frozen=True)
class Actor:
    user: User | None = None
    api_key: ApiKey | None = None
    via_session: bool = False
    system: str = ""  # Carewatch acting on its own: "outbox", "detectors", ...
    system_name: str = ""

    @classmethod
    def of_system(cls, part: str, name: str) -> Actor:
        return cls(system=part, system_name=name)

    @classmethod
    def from_credential(cls, credential: ApiKey | PersonalToken) -> Actor:
        if isinstance(credential, ApiKey):
            return cls(api_key=credential)
        return cls(user=credential.user)

    @property
    def is_authenticated(self) -> bool:
        """A person or a key: Carewatch's own parts never pass an access check."""
        return self.user is not None or self.api_key is not None

    @property
    def label(self) -> str:
        """Stable: `user:5`, `api-key:cwk_ab12`, `system:outbox`, `anonymous`."""
        if self.api_key is not None:
            return f"api-key:{self.api_key.prefix}"
        if self.user is not None:
            return f"user:{self.user.pk}"
        return f"system:{self.system}" if self.system else "anonymous"

    @property
    def name(self) -> str:
        """To show: the person's name (or e-mail), "API key <name>", or the system part's name."""
        if self.api_key is not None:
            return f"API key {self.api_key.name}"
        if self.user is not None:
            return self.user.full_name or self.user.email
        return self.system_name or self.label


ANONYMOUS = Actor()


def user_id_of(label: str) -> int | None:
    """The id of the person an actor's stored `label` names ("user:5" → 5); None for an API
    key, a part of Carewatch or anything else."""
    kind, _, pk = label.partition(":")
    return int(pk) if kind == "user" and pk.isdigit() else None


def with_key_creators(labels: set[str]) -> set[str]:
    """`labels` (stored actor labels) and, for each API key among them, the person who created
    it ("user:5"): a key acts for its creator, so whoever a rule refuses for what a key did is
    refused for what the key's creator does too (separation of duties). One query, and none
    when no key is among them."""
    prefixes = [label.partition(":")[2] for label in labels if label.startswith("api-key:")]
    if not prefixes:
        return set(labels)
    creators = ApiKey.objects.filter(prefix__in=prefixes, created_by__isnull=False).values_list(
        "created_by_id", flat=True
    )
    return set(labels) | {f"user:{pk}" for pk in creators}
