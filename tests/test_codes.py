"""api/codes.py: the typed codes (invites, therapist link codes).

normalize_code and new_code are pure and use no database; add_with_fresh_code is tested on the
database, with a collision forced by making new_code draw an existing code first.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api import codes
from api.codes import CODE_ALPHABET, CODE_LENGTH, normalize_code
from api.pairing import service as pairing_service
from api.pairing.models import Invite

# --- normalize_code and new_code (pure) -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ABCDEFGH", "ABCDEFGH"),
        ("abcdefgh", "ABCDEFGH"),
        ("aBcD-eFgH", "ABCDEFGH"),
        ("  ABCD EFGH\n", "ABCDEFGH"),
        ("AB-CD - EF\tGH", "ABCDEFGH"),
        ("ab--cd--ef--gh", "ABCDEFGH"),
        ("23456789", "23456789"),
    ],
)
def test_case_spaces_and_dashes_do_not_matter(raw, expected):
    assert normalize_code(raw) == expected


@pytest.mark.parametrize("look_alike", ["0", "O", "o", "1", "I", "i", "L", "l"])
def test_look_alikes_are_refused(look_alike):
    assert normalize_code("ABCDEFG" + look_alike) is None


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "----", "ABCDEFG", "ABCDEFGHJ", "ABCD-EFG", "ABCDEFG!", "ABCDEFGÄ", "ABCD_EFGH"],
)
def test_wrong_length_or_foreign_characters_are_refused(raw):
    assert normalize_code(raw) is None


def test_none_is_not_a_code():
    assert normalize_code(None) is None  # type: ignore[arg-type]


def test_the_alphabet_has_no_look_alikes():
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) == 31


def test_new_codes_are_eight_characters_of_the_alphabet_and_normal():
    drawn = [codes.new_code() for _ in range(500)]
    for code in drawn:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(CODE_ALPHABET)
        assert normalize_code(code) == code
    # 31^8 codes: 500 draws repeating would mean the draw is not random.
    assert len(set(drawn)) == len(drawn)


# --- add_with_fresh_code (database) -----------------------------------------------------------


def _invite_maker(user, clock):
    def make(code: str) -> Invite:
        return Invite(
            id=uuid.uuid4(),
            code=code,
            inviter_id=user.id,
            status="open",
            created_at=clock(),
            expires_at=clock() + timedelta(hours=72),
        )

    return make


def _draws(monkeypatch, *sequence: str) -> list[str]:
    """Makes new_code return `sequence` in order; returns the list of codes it handed out."""
    handed: list[str] = []
    remaining = list(sequence)

    def fake() -> str:
        handed.append(remaining.pop(0))
        return handed[-1]

    monkeypatch.setattr(codes, "new_code", fake)
    return handed


def test_a_collision_draws_again_and_keeps_the_transaction(factory, session, clock, monkeypatch):
    owner = factory.user()
    taken = pairing_service.create_invite(session=session, user=owner, now=clock()).code
    other = factory.user()
    handed = _draws(monkeypatch, "FIRST234", taken, "FRESH234")
    # A row the same transaction added before the collision: drawing again must not undo it.
    first = codes.add_with_fresh_code(session, _invite_maker(other, clock))
    second = codes.add_with_fresh_code(session, _invite_maker(other, clock))
    session.commit()
    assert handed == ["FIRST234", taken, "FRESH234"]
    assert (first.code, second.code) == ("FIRST234", "FRESH234")
    session.expire_all()
    stored = session.scalars(select(Invite.code).where(Invite.inviter_id == other.id)).all()
    assert sorted(stored) == ["FIRST234", "FRESH234"]
    assert session.scalar(select(func.count()).select_from(Invite)) == 3


def test_without_a_collision_the_first_draw_is_used(factory, session, clock, monkeypatch):
    user = factory.user()
    handed = _draws(monkeypatch, "ABCDEFGH")
    row = codes.add_with_fresh_code(session, _invite_maker(user, clock))
    session.commit()
    assert handed == ["ABCDEFGH"] and row.code == "ABCDEFGH"


def test_it_gives_up_after_five_collisions(factory, session, clock, monkeypatch):
    owner = factory.user()
    taken = pairing_service.create_invite(session=session, user=owner, now=clock()).code
    other = factory.user()
    handed = _draws(monkeypatch, *[taken] * 6)
    with pytest.raises(RuntimeError, match="free code"):
        codes.add_with_fresh_code(session, _invite_maker(other, clock))
    assert len(handed) == 5
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Invite)) == 1
