"""Languages: locale negotiation, the message catalogues against the code, and rendering.

The catalogue checks extract every msgid from the code with Babel (as `make messages` does) and
compare it with each locale's `.po`: a message the code uses that a catalogue lacks, leaves
untranslated or marks fuzzy fails, and so does a translation that drops or renames a
`{placeholder}`. The checker itself is tested on catalogues broken on purpose.

The therapist workspace (`api/web/`) still renders in English: its messages must be in every
catalogue, and be correct where translated, but may wait for their translation.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from api import i18n
from api.i18n import (
    SUPPORTED,
    ByLocale,
    Message,
    Verbatim,
    catalogue_path,
    effective_locale,
    placeholders,
    render,
    translations,
)
from api.notifications import service as notifications_service

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [tag for tag in SUPPORTED if tag != i18n.DEFAULT]
# Messages only the workspace uses: not yet required to be translated.
UNTRANSLATED_YET = "api/web/"


# --- negotiation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("es", "es"),
        ("es-MX", "es"),
        ("es-419", "es"),
        ("ES-mx", "es"),
        ("es_MX", "es"),
        ("fr-CA", "fr"),
        ("de-AT", "de"),
        ("de-CH-1996", "de"),
        ("pt", "pt-BR"),
        ("pt-BR", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("en-GB", "en"),
        ("xx", "en"),
        ("zh-Hant-TW", "en"),
        ("sr-Latn", "en"),
        ("", "en"),
        (None, "en"),
        ("not a tag!", "en"),
    ],
)
def test_any_tag_resolves_to_the_best_supported_locale(tag, expected):
    assert effective_locale(tag) == expected


def test_every_supported_locale_has_a_name_in_itself():
    assert i18n.locales() == [
        {"tag": "en", "name": "English"},
        {"tag": "es", "name": "Español"},
        {"tag": "fr", "name": "Français"},
        {"tag": "de", "name": "Deutsch"},
        {"tag": "pt-BR", "name": "Português (Brasil)"},
    ]


# --- the catalogues against the code ----------------------------------------------------------


def extract() -> Catalog:
    """Every msgid the code uses, extracted as `make messages` does."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, **i18n.EXTRACT_KEYWORDS}
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalogue(path: Path, tag: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=i18n.babel_identifier(tag) if tag else None)


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return extract()


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _may_wait(message) -> bool:
    return bool(message.locations) and all(
        str(path).startswith(UNTRANSLATED_YET) for path, _ in message.locations
    )


def catalogue_problems(source: Catalog, translated: Catalog) -> list[str]:
    """What is wrong with a locale's catalogue for the msgids in `source`: missing,
    untranslated or fuzzy entries, plural forms that do not fit, placeholders dropped or
    renamed, and entries the code no longer uses."""
    problems = []
    for message in source:
        if not message.id:
            continue
        may_wait = _may_wait(message)
        key = message.id if isinstance(message.id, str) else message.id[0]
        entry = translated.get(message.id)
        if entry is None:
            problems.append(f"missing: {key!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        if message.pluralizable != entry.pluralizable or entry.id != message.id:
            problems.append(f"plural msgid differs: {key!r}")
            continue
        forms = list(entry.string) if entry.pluralizable else [entry.string]
        if (
            entry.pluralizable
            and len(forms) != translated.num_plurals
            and not (may_wait and not any(forms))
        ):
            problems.append(f"{len(forms)} forms, {translated.num_plurals} expected: {key!r}")
        ids = list(message.id) if message.pluralizable else [message.id]
        expected = frozenset().union(*(placeholders(i) for i in ids))
        for form in forms:
            if not form:
                if not may_wait:
                    problems.append(f"untranslated: {key!r}")
            elif placeholders(form) != expected:
                problems.append(
                    f"placeholders {sorted(placeholders(form))} instead of {sorted(expected)}: "
                    f"{key!r}"
                )
    for stale in sorted(_ids(translated) - _ids(source)):
        problems.append(f"not used by the code: {stale!r}")
    return problems


def test_extraction_finds_the_messages_of_every_domain(extracted):
    ids = _ids(extracted)
    for msgid in (
        "{name} sent you a thank-you",  # gratitude
        "{name} kept a promise",  # commitments
        "{name} is running late",  # agreements
        "{name} could use some reassurance",  # reassurance
        "You're paired",  # pairing
        "A therapist awaits your approval",  # therapists
        "A question for you both",  # prompts
        "About {minutes} minute. They wanted you to know.",  # a plural
    ):
        assert msgid in ids
    plural = extracted.get(("About {minutes} minute. They wanted you to know.", ""))
    assert plural.id[1] == "About {minutes} minutes. They wanted you to know."


def test_the_template_matches_the_code(extracted):
    template = read_catalogue(ROOT / "api" / "translations" / "messages.pot")
    assert _ids(template) == _ids(extracted), "run `make messages`"


@pytest.mark.parametrize("tag", TRANSLATED)
def test_each_catalogue_translates_every_message_the_code_uses(extracted, tag):
    path = catalogue_path(tag)
    assert path.is_file()
    assert catalogue_problems(extracted, read_catalogue(path, tag)) == []


@pytest.mark.parametrize("tag", TRANSLATED)
def test_each_catalogue_declares_its_languages_plural_rule(tag):
    catalogue = read_catalogue(catalogue_path(tag), tag)
    assert catalogue.num_plurals == Catalog(locale=i18n.babel_identifier(tag)).num_plurals


def test_the_checker_finds_a_missing_message(extracted):
    spanish = read_catalogue(catalogue_path("es"), "es")
    del spanish["{name} sent you a thank-you"]
    assert catalogue_problems(extracted, spanish) == ["missing: '{name} sent you a thank-you'"]


def test_the_checker_finds_a_message_the_code_uses_but_no_catalogue_has(extracted):
    grown = copy.deepcopy(extracted)
    grown.add("{name} planted a tree")
    german = read_catalogue(catalogue_path("de"), "de")
    assert catalogue_problems(grown, german) == ["missing: '{name} planted a tree'"]


@pytest.mark.parametrize(
    ("msgid", "broken"),
    [
        ("{name} sent you a thank-you", "{nombre} te envió un agradecimiento"),  # renamed
        ("{name} sent you a thank-you", "Te enviaron un agradecimiento"),  # dropped
        ("{title}: a few words are all it takes.", "{title} {name}: unas palabras bastan."),
    ],
)
def test_the_checker_finds_a_translation_that_breaks_a_placeholder(extracted, msgid, broken):
    spanish = read_catalogue(catalogue_path("es"), "es")
    spanish[msgid].string = broken
    [problem] = catalogue_problems(extracted, spanish)
    assert problem.startswith("placeholders") and problem.endswith(repr(msgid))


def test_the_checker_finds_a_broken_plural_form(extracted):
    msgid = ("About {minutes} minute. They wanted you to know.", "")
    french = read_catalogue(catalogue_path("fr"), "fr")
    entry = french.get(msgid)
    entry.string = (entry.string[0], "Environ des minutes.", entry.string[2])
    [problem] = catalogue_problems(extracted, french)
    assert problem.startswith("placeholders []")


def test_the_checker_finds_untranslated_fuzzy_and_stale_entries(extracted):
    german = read_catalogue(catalogue_path("de"), "de")
    german["You're paired"].string = ""
    german["Your note landed."].flags.add("fuzzy")
    german.add("An old message", "Eine alte Nachricht")
    assert sorted(catalogue_problems(extracted, german)) == [
        "fuzzy: 'Your note landed.'",
        "not used by the code: 'An old message'",
        'untranslated: "You\'re paired"',
    ]


# --- rendering --------------------------------------------------------------------------------


def test_messages_render_in_the_readers_locale():
    thanks = Message("{name} sent you a thank-you", name="Maya")
    assert render(thanks, "en") == "Maya sent you a thank-you"
    assert render(thanks, "xx-YY") == "Maya sent you a thank-you"
    for tag in ("es-MX", "fr", "de", "pt"):
        text = render(thanks, tag)
        assert "Maya" in text and text != "Maya sent you a thank-you"
    # Parameters are inserted as they are, never read as placeholders.
    assert render(Message("{name} sent you a thank-you", name="{x}"), "de").startswith("{x}")


@pytest.mark.parametrize(
    ("tag", "n", "expected"),
    [
        ("en", 1, "About 1 minute. They wanted you to know."),
        ("en", 15, "About 15 minutes. They wanted you to know."),
        ("de", 1, "Etwa 1 Minute – damit du Bescheid weißt."),
        ("de", 15, "Etwa 15 Minuten – damit du Bescheid weißt."),
        ("es-MX", 1, "Cerca de 1 minuto. Quería que lo supieras."),
        ("es-MX", 15, "Cerca de 15 minutos. Quería que lo supieras."),
        # French and Brazilian Portuguese use the singular for 0 as for 1.
        ("fr", 0, "Environ 0 minute. Un petit mot pour que tu sois au courant."),
        ("pt-BR", 0, "Cerca de 0 minuto. Era importante te avisar."),
        ("pt-BR", 2, "Cerca de 2 minutos. Era importante te avisar."),
    ],
)
def test_plural_forms_follow_each_language(tag, n, expected):
    message = Message.plural(
        "About {minutes} minute. They wanted you to know.",
        "About {minutes} minutes. They wanted you to know.",
        n,
        minutes=n,
    )
    assert render(message, tag) == expected


def test_words_people_wrote_and_library_texts():
    assert render(Verbatim("Dinner on Friday"), "de") == "Dinner on Friday"
    texts = ByLocale({"en": "Hello", "es": "Hola"}, default="Hello")
    assert (render(texts, "es-MX"), render(texts, "fr"), render(texts, "xx")) == (
        "Hola",
        "Hello",
        "Hello",
    )


def test_translations_are_compiled_once_per_supported_locale():
    assert translations("es-MX") is translations("es") is translations("es-419")
    assert translations("xx").gettext("You're paired") == "You're paired"
    assert translations("de").gettext("You're paired") != "You're paired"


def test_a_finished_string_is_refused_by_the_outbox(session, factory, clock):
    user = factory.user()
    with pytest.raises(TypeError):
        notifications_service.enqueue(
            session=session,
            recipient_id=user.id,
            kind="pairing",
            title="You're paired",  # type: ignore[arg-type]
            body=Verbatim("b"),
            now=clock(),
        )


_TIME_OF_DAY = re.compile(
    r"tonight|this (morning|evening|afternoon)|heute (abend|morgen)|esta (noche|mañana|tarde)"
    r"|ce soir|ce matin|hoje à noite|esta noite|\bnoite\b|\babend\b|\bsoir\b|\bnoche\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("tag", SUPPORTED)
def test_no_message_names_a_time_of_day(extracted, tag):
    """A partner asked at 20:00 their own time may read it at any hour of the other's day."""
    catalogue = translations(tag)
    for message in extracted:
        if not message.id:
            continue
        if message.pluralizable:
            texts = [catalogue.ngettext(*message.id, n) for n in (1, 2, 5)]
        else:
            texts = [catalogue.gettext(message.id)]
        for text in texts:
            assert not _TIME_OF_DAY.search(text), (tag, text)
