"""Short codes a person types in: invite codes and therapist link codes.

Both are drawn from one alphabet without look-alikes and compared ignoring case, spaces and
dashes, so a code read aloud or copied from a message still matches.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L look-alikes
CODE_LENGTH = 8
_SEPARATORS = re.compile(r"[\s-]+")
_DRAWS = 5

T = TypeVar("T")


def normalize_code(raw: str) -> str | None:
    """The code in its stored form, or None when the input cannot be a code."""
    code = _SEPARATORS.sub("", raw or "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def add_with_fresh_code(session: Session, make: Callable[[str], T]) -> T:
    """Adds `make(code)` with a newly drawn code, drawing again on a unique-code collision
    (31^8 makes one rare, not impossible). No commit: the caller's use case commits."""
    for _ in range(_DRAWS):
        row = make(new_code())
        try:
            with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a free code")
