"""Languages: the UI and the outgoing mail in English, Swedish and Portuguese.

Strings are marked in the source with `_()` (translated where they are used) or
`N_()` (only marked: class-level texts such as key bindings, translated when shown or
when the app starts). The catalogues are gettext's: `locale/<lang>/LC_MESSAGES/
helpdesk_tui.po`, compiled to `.mo` beside them by `scripts/i18n.py compile`; a test
fails when a marked string has no translation, or a `.mo` is older than its `.po`.

The language comes from `[ui] language` in the config, else from the environment's
locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as gettext reads them), else English.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

from ..domain.text import N_ as N_  # marked in the domain, re-exported for the outer rings

DOMAIN = "helpdesk_tui"
LOCALE_DIR = Path(__file__).parents[1] / "locale"
LANGUAGES = {"en": "English", "sv": "Svenska", "pt": "Português"}
DEFAULT = "en"

_ENV_ORDER = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = DEFAULT


class LanguageError(ValueError):
    """A language this app has no catalogue for."""


def from_environment(environ: dict[str, str] | None = None) -> str:
    """The first supported language the locale variables name (`sv_SE.UTF-8` → sv)."""
    env = os.environ if environ is None else environ
    for name in _ENV_ORDER:
        value = env.get(name, "")
        # LANGUAGE may list several, "sv:en"; the others hold one, "pt_BR.UTF-8".
        for item in value.split(":"):
            code = item.split(".")[0].split("@")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
        if value and name != "LANGUAGE":
            break  # the first variable that is set decides, as in gettext
    return DEFAULT


def choose(configured: str | None, environ: dict[str, str] | None = None) -> str:
    """The config's language if it names one, else the environment's."""
    if configured:
        code = configured.strip().lower()
        if code not in LANGUAGES:
            known = ", ".join(sorted(LANGUAGES))
            raise LanguageError(f"ui.language: no catalogue for {configured!r} (have {known})")
        return code
    return from_environment(environ)


def install(language: str) -> None:
    """Use `language` from now on (English needs no catalogue: it is the source)."""
    global _translations, _language
    if language not in LANGUAGES:
        raise LanguageError(f"no catalogue for {language!r}")
    _translations = translations(language)
    _language = language


def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of `language`, apart from the one installed (mail has its own)."""
    if language not in LANGUAGES:
        raise LanguageError(f"no catalogue for {language!r}")
    if language == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, [language])


def current() -> str:
    return _language


def _(message: str) -> str:
    """`message` in the current language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def label(text: str) -> str:
    """`text`, marked with `N_()` where it is defined, in the current language: the UI's
    names for stored values (status "open", view "My open"). Text with no translation,
    a custom view's title, comes back as it is. Not a marker: the extraction skips it."""
    return _translations.gettext(text)
