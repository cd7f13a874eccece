"""The workspace's translations: every string a page shows goes through these.

For now the null translations (English as written). Templates use `{% trans %}` and `_()`
through Jinja's i18n extension, Python code the functions below; both read the same object,
so installing message catalogues later changes this module only.
"""

from __future__ import annotations

import gettext as _gettext

translations: _gettext.NullTranslations = _gettext.NullTranslations()


def gettext(message: str) -> str:
    return translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations.ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext_noop name
    """Marks a string for the catalogues where it is defined; `_()` translates it where it is
    shown (module-level tables are built before any locale is known)."""
    return message


def install(jinja_env) -> None:
    """Gives templates `{% trans %}`, `_()`, `gettext()` and `ngettext()`; autoescaping stays
    on (newstyle gettext escapes its %-arguments)."""
    jinja_env.add_extension("jinja2.ext.i18n")
    jinja_env.install_gettext_translations(translations, newstyle=True)
