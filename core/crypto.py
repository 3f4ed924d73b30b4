"""Encryption at rest for secrets we must be able to use again (platform credentials,
webhook secrets). Fernet (AES-128-CBC + HMAC-SHA256); several keys for rotation, the first
one encrypts."""

from __future__ import annotations

import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.CREDENTIALS_KEYS])


def encrypt_json(value: dict) -> str:
    if not value:
        return ""
    return _fernet().encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()


def decrypt_json(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise ValueError("Stored credentials cannot be decrypted with CREDENTIALS_KEY.") from None


def reencrypt(token: str) -> str:
    """`token` encrypted again with the newest key (the first of CREDENTIALS_KEY), so that an
    older key can be dropped; "" stays "". ValueError when no configured key can read it."""
    if not token:
        return ""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise ValueError("Stored credentials cannot be decrypted with CREDENTIALS_KEY.") from None
