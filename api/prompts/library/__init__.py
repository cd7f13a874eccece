"""The prompt library shipped with Steady: data files beside this module, loaded into the
database by migrations.

One directory per kind (`gratitude/`, `check_in/`), one YAML file per locale in it:
`en.yaml` is the library itself, in order — a list of `{key, category, text}` — and every other
locale maps each key to its text, written natively rather than word for word.

Keys are stable forever: a prompt's id is derived from its key, a migration inserts by key,
rotation orders by position, and rounds refer to the rows. Never change a key or reuse one; edit
a text freely (rounds keep the words they were asked with); to add prompts or a locale, add them
to the files and call `sync_library` from a new migration; to retire one, stop shipping it in a
new migration.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import sqlalchemy as sa
import yaml

from api.db import UTCDateTime
from api.i18n import SUPPORTED

# The library's ids derive from its keys, so every database agrees on them.
LIBRARY_NAMESPACE = uuid.UUID("0b6f1c1e-5d0b-4c8e-9a55-7f6c2b1d9e10")
KINDS = ("gratitude", "check_in")
CATEGORIES = ("appreciation", "reassurance", "everyday", "memories", "dreams", "repair", "fun")
SOURCE_LOCALE = "en"
MAX_TEXT = 500
DATA_DIR = Path(__file__).resolve().parent
_KEY_PREFIX = {"gratitude": "gratitude-", "check_in": "check-in-"}


@dataclass(frozen=True)
class LibraryPrompt:
    key: str  # e.g. "gratitude-001"
    kind: str  # "gratitude" | "check_in"
    category: str
    texts: dict[str, str]  # every supported locale → its text

    @property
    def id(self) -> uuid.UUID:
        return library_id(self.key)

    @property
    def text(self) -> str:
        """The English text: what a round stores when it asks this prompt."""
        return self.texts[SOURCE_LOCALE]


def library_id(key: str) -> uuid.UUID:
    return uuid.uuid5(LIBRARY_NAMESPACE, key)


class LibraryError(ValueError):
    """The data files are inconsistent; nothing is loaded from them."""


def _read(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _check_text(where: str, text: object) -> str:
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise LibraryError(f"{where}: a text of 1–{MAX_TEXT} characters is required")
    return text


def _load_kind(kind: str) -> list[LibraryPrompt]:
    folder = DATA_DIR / kind
    entries = _read(folder / f"{SOURCE_LOCALE}.yaml")
    keys = [entry["key"] for entry in entries]
    if len(set(keys)) != len(keys):
        raise LibraryError(f"{kind}: a key appears twice")
    others = {locale: _read(folder / f"{locale}.yaml") for locale in SUPPORTED if locale != "en"}
    for locale, texts in others.items():
        if set(texts) != set(keys):
            missing = sorted(set(keys) - set(texts))[:3]
            extra = sorted(set(texts) - set(keys))[:3]
            raise LibraryError(f"{kind}/{locale}: keys differ (missing {missing}, extra {extra})")
    prompts = []
    for entry in entries:
        key, category = entry["key"], entry["category"]
        if not key.startswith(_KEY_PREFIX[kind]) or len(key) > 40:
            raise LibraryError(f"{kind}: {key!r} is not a {kind} key")
        if category not in CATEGORIES:
            raise LibraryError(f"{key}: unknown category {category!r}")
        texts = {SOURCE_LOCALE: _check_text(f"{key}/en", entry["text"])}
        for locale, translated in others.items():
            texts[locale] = _check_text(f"{key}/{locale}", translated[key])
        prompts.append(LibraryPrompt(key=key, kind=kind, category=category, texts=texts))
    return prompts


@cache
def library() -> tuple[LibraryPrompt, ...]:
    """Every library prompt in library order (gratitude, then check-in), with its texts in
    every supported locale; read from the data files once per process."""
    return tuple(prompt for kind in KINDS for prompt in _load_kind(kind))


def of_kind(kind: str) -> list[LibraryPrompt]:
    return [prompt for prompt in library() if prompt.kind == kind]


# The tables as revision 0015 left them: the loader writes these columns only.
_PROMPTS = sa.table(
    "prompts",
    sa.column("id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("text", sa.String()),
    sa.column("source", sa.String()),
    sa.column("library_key", sa.String()),
    sa.column("position", sa.Integer()),
    sa.column("category", sa.String()),
    sa.column("created_at", UTCDateTime()),
)
_TRANSLATIONS = sa.table(
    "prompt_translations",
    sa.column("prompt_id", sa.Uuid()),
    sa.column("locale", sa.String()),
    sa.column("text", sa.String()),
)


def sync_library(conn: sa.Connection) -> None:
    """Makes the database's library what the data files say, for migrations: inserts prompts
    missing by key, refreshes the text, order and category of the others, and replaces their
    translations. Idempotent; it never deletes a prompt (rounds may refer to it)."""
    prompts, translations = _PROMPTS, _TRANSLATIONS
    existing = set(
        conn.scalars(sa.select(prompts.c.library_key).where(prompts.c.library_key.is_not(None)))
    )
    now = datetime.now(UTC)
    rows = []
    for position, item in enumerate(library(), start=1):
        values = {
            "text": item.text,
            "position": position,
            "kind": item.kind,
            "category": item.category,
        }
        if item.key in existing:
            conn.execute(prompts.update().where(prompts.c.library_key == item.key).values(**values))
        else:
            conn.execute(
                prompts.insert().values(
                    id=item.id, source="library", library_key=item.key, created_at=now, **values
                )
            )
        rows.extend(
            {"prompt_id": item.id, "locale": locale, "text": text}
            for locale, text in item.texts.items()
            if locale != SOURCE_LOCALE
        )
    ids = [item.id for item in library()]
    conn.execute(translations.delete().where(translations.c.prompt_id.in_(ids)))
    conn.execute(translations.insert(), rows)
