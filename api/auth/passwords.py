"""Argon2id password hashing."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_dummy_hash: str | None = None


def configure(*, memory_kib: int, time_cost: int, parallelism: int) -> None:
    global _hasher, _dummy_hash
    if (
        _hasher.memory_cost == memory_kib
        and _hasher.time_cost == time_cost
        and _hasher.parallelism == parallelism
    ):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Checks a password; with no stored hash it still spends the same time."""
    global _dummy_hash
    if stored_hash is None:
        # An unknown email must cost as much as a wrong password, or timing reveals accounts.
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash("not-a-real-password")
        stored_hash = _dummy_hash
        try:
            _hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
