"""Encryption at rest and keyed lookup hashes for personal data (citizen ID and phone numbers).

Values are encrypted with AES-256-GCM (a random 96-bit nonce per value; tokens carry a version prefix so the scheme
or key can be rotated later). Lookups and uniqueness use an HMAC-SHA256 digest under a separate derived key.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_TOKEN_PREFIX = "g1:"


@lru_cache(maxsize=4)
def _key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


@lru_cache(maxsize=1)
def _secret() -> str:
    # Cached: reading two lazy settings on every call was a tenth of a 100k-member import. Tests that override
    # either setting clear it through the setting_changed receiver below.
    return settings.PERSONAL_DATA_KEY or settings.SECRET_KEY


@receiver(setting_changed)
def _forget_secret(*, setting, **kwargs):
    if setting in ("PERSONAL_DATA_KEY", "SECRET_KEY"):
        _secret.cache_clear()


@lru_cache(maxsize=4)
def _aead(secret: str) -> AESGCM:
    return AESGCM(_key(secret, "personal-data-encryption"))


def encrypt(value: str) -> str:
    nonce = os.urandom(12)
    sealed = _aead(_secret()).encrypt(nonce, value.encode(), None)
    return _TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token.startswith(_TOKEN_PREFIX):
        raise ValueError("unknown personal-data token format")
    raw = base64.urlsafe_b64decode(token[len(_TOKEN_PREFIX) :])
    return _aead(_secret()).decrypt(raw[:12], raw[12:], None).decode()


@lru_cache(maxsize=4)
def _hmac(secret: str):
    return hmac.new(_key(secret, "personal-data"), digestmod=hashlib.sha256)


def digest(value: str) -> str:
    """A keyed hash: equal values give equal digests, so lookups and uniqueness work without storing the value."""
    h = _hmac(_secret()).copy()  # the keyed state is set up once; copying it is half the cost of hmac.new
    h.update(value.encode())
    return h.hexdigest()


def mask_id_number(value: str) -> str:
    """4101**********1234: region prefix and last four only."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****0000."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
