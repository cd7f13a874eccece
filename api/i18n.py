"""Languages: which locales Steady speaks, how a user's tag resolves to one, and the message
catalogues every push and inbox text is written from.

The catalogues are Babel gettext `.po` files under `api/translations/<locale>/LC_MESSAGES/`
(the directory uses Babel's identifier, `pt_BR` for the tag `pt-BR`). Each is read and compiled
in memory the first time its locale is used, so a fresh checkout needs no build step; English is
the source language and needs no catalogue.

Text is kept as a `Message` (a msgid and its parameters) until the recipient is known, then
rendered in their locale. Names and other words people wrote are parameters, never part of a
msgid. Mark a msgid with `N_` where it is written, so `pybabel extract` finds it (see `make
messages`); `Message.plural` is found by its own name.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

from babel import Locale
from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SUPPORTED: tuple[str, ...] = ("en", "es", "fr", "de", "pt-BR")
DEFAULT = "en"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
# What `pybabel extract` looks for (Babel's defaults cover `_`, `gettext`, `ngettext` and `N_`);
# `Message.plural(singular, plural, n)` adds one. The Makefile and the catalogue tests use it.
EXTRACT_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "plural": (1, 2)}

# Babel's own aliases send `pt` to Portugal; Steady's Portuguese is Brazil's.
_ALIASES = {"pt": "pt-BR"}
_CANONICAL = {tag.lower(): tag for tag in SUPPORTED}
_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention extraction looks for
    """Marks a msgid for extraction; it is translated later, when it is rendered."""
    return msgid


def babel_identifier(tag: str) -> str:
    """The Babel / gettext name of a supported tag (`pt-BR` → `pt_BR`)."""
    return tag.replace("-", "_")


# Bounded: tags come from users, and each distinct one would otherwise stay for good.
@lru_cache(maxsize=1024)
def effective_locale(tag: str | None) -> str:
    """The supported locale that best serves a BCP 47 tag, by Babel's negotiation: an exact
    match, else the tag's language (`es-MX` → `es`; any Portuguese → `pt-BR`); English for
    anything else, including a missing or malformed tag."""
    if not tag:
        return DEFAULT
    cleaned = tag.strip().replace("_", "-")
    if not _TAG.match(cleaned):
        return DEFAULT
    language = cleaned.split("-", 1)[0]
    found = negotiate_locale([cleaned, language], SUPPORTED, sep="-", aliases=_ALIASES)
    return _CANONICAL[found.lower()] if found else DEFAULT


@cache
def locale_name(tag: str) -> str:
    """A supported locale's name in its own language ("Português (Brasil)"), capitalised as a
    language picker shows it."""
    name = Locale.parse(babel_identifier(tag)).get_display_name() or tag
    return name[:1].upper() + name[1:]


def locales() -> list[dict[str, str]]:
    """Every supported locale as `{tag, name}`, in the order Steady lists them."""
    return [{"tag": tag, "name": locale_name(tag)} for tag in SUPPORTED]


def catalogue_path(tag: str) -> Path:
    return TRANSLATIONS_DIR / babel_identifier(tag) / "LC_MESSAGES" / "messages.po"


def translations(locale: str) -> NullTranslations:
    """The gettext translations of a locale (any tag; it is resolved first). English, the
    source language, has none: its NullTranslations still chooses English plural forms. The
    object has `gettext` and `ngettext`, so a Jinja environment can install it as it is."""
    return _compiled(effective_locale(locale))


@cache
def _compiled(tag: str) -> NullTranslations:
    """A supported locale's catalogue, compiled in memory from its `.po` once per process."""
    path = catalogue_path(tag)
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=babel_identifier(tag))
    compiled = BytesIO()
    # Untranslated and fuzzy entries are left out, so they fall back to the English msgid.
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain="messages")


# --- what is rendered -------------------------------------------------------------------------


class Renderable(Protocol):
    """Text that becomes a string once the reader's locale is known."""

    def render(self, locale: str) -> str: ...


@dataclass(frozen=True, init=False)
class Message:
    """A catalogue message and its parameters, rendered later in the reader's locale.

    `Message(N_("{name} sent you a thank-you"), name=author.display_name)`;
    `Message.plural("About {minutes} minute.", "About {minutes} minutes.", n, minutes=n)`.
    Placeholders are `str.format` fields; parameter values are inserted as they are.
    """

    msgid: str
    msgid_plural: str | None
    n: int | None
    params: tuple[tuple[str, Any], ...]

    def __init__(self, msgid: str, /, **params: Any) -> None:
        object.__setattr__(self, "msgid", msgid)
        object.__setattr__(self, "msgid_plural", None)
        object.__setattr__(self, "n", None)
        object.__setattr__(self, "params", tuple(sorted(params.items())))

    @classmethod
    def plural(cls, singular: str, plural: str, n: int, /, **params: Any) -> Message:
        """The form for `n` in the reader's language (some have more than two)."""
        message = cls(singular, **params)
        object.__setattr__(message, "msgid_plural", plural)
        object.__setattr__(message, "n", n)
        return message

    def render(self, locale: str) -> str:
        catalogue = translations(locale)
        if self.msgid_plural is None:
            text = catalogue.gettext(self.msgid)
        else:
            text = catalogue.ngettext(self.msgid, self.msgid_plural, self.n)
        return text.format_map(dict(self.params))


@dataclass(frozen=True)
class Verbatim:
    """Words shown as they were written (a commitment's title): the same in every locale."""

    text: str

    def render(self, locale: str) -> str:
        return self.text


@dataclass(frozen=True)
class ByLocale:
    """Text that exists per locale (a library prompt): the reader's, else `default`."""

    texts: Mapping[str, str]
    default: str

    def render(self, locale: str) -> str:
        return self.texts.get(effective_locale(locale), self.default)


def render(text: Renderable, locale: str) -> str:
    return text.render(effective_locale(locale))


_PRINTF = re.compile(r"%\((\w+)\)[sdif]")


def placeholders(text: str) -> frozenset[str]:
    """The named fields of a message: `{name}` (Python) and `%(name)s` (Jinja's newstyle
    gettext), so a translation can be checked against its msgid."""
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    return frozenset(fields | set(_PRINTF.findall(text)))
