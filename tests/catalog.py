"""The interface words as the shipped gettext catalog has them, for the tests' expectations.

English is the msgid itself; Chinese is read from ``web/translations`` with Babel, apart from
the app's own reading (the standard library's gettext), so a page test fails if a page is not
in the words its language's catalog gives.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import Translations

TRANSLATIONS = Path(__file__).resolve().parents[1] / "web" / "translations"


@cache
def _zh() -> Translations:
    found = Translations.load(str(TRANSLATIONS), ["zh"])
    assert isinstance(found, Translations), f"no compiled zh catalog under {TRANSLATIONS}"
    return found


def word(lang: str, msgid: str, **fields: object) -> str:
    """``msgid`` in ``lang`` with its ``%(name)s`` fields filled in."""
    text = _zh().gettext(msgid) if lang == "zh" else msgid
    return text % fields if fields else text


def words_n(lang: str, singular: str, plural: str, n: int, **fields: object) -> str:
    """The plural message for ``n`` in ``lang`` (``%(num)d`` is ``n``)."""
    text = _zh().ngettext(singular, plural, n) if lang == "zh" else (singular if n == 1 else plural)
    return text % {"num": n, **fields}
