"""Encryption at rest and keyed lookup hashes for personal data (citizen ID and phone numbers)."""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet
from django.conf import settings


@lru_cache(maxsize=4)
def _key_material(secret: str) -> bytes:
    return hashlib.sha256(("personal-data:" + secret).encode()).digest()


def _secret() -> str:
    return settings.PERSONAL_DATA_KEY or settings.SECRET_KEY


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_key_material(secret)))


def encrypt(value: str) -> str:
    return _fernet(_secret()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet(_secret()).decrypt(token.encode()).decode()


def digest(value: str) -> str:
    """A keyed hash: equal values give equal digests, so lookups and uniqueness work without storing the value."""
    return hmac.new(_key_material(_secret()), value.encode(), hashlib.sha256).hexdigest()


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
