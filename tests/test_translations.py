"""The interface words' gettext catalogs (web/translations): complete, compiled, extracted
from the source, and read in the language each request negotiated."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

from web.map.words import gettext, speaking

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ROOT / "web" / "translations"
ZH_PO = CATALOGS / "zh" / "LC_MESSAGES" / "messages.po"
ZH_MO = ZH_PO.with_suffix(".mo")
#: The gettext functions whose first argument is a msgid (as pybabel extracts them).
KEYWORDS = {"gettext", "ngettext", "N_", "_"}


def _po():
    with ZH_PO.open("rb") as f:
        return read_po(f, locale="zh")


def _ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _key(text: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    return text if isinstance(text, str) else tuple(text)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """The msgids ``pybabel extract -F babel.cfg`` finds in the source now."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                                "-o", str(out), str(ROOT)])
    with out.open("rb") as f:
        return _ids(read_po(f))


def test_the_shipped_mo_is_the_compiled_po():
    po = _po()
    with ZH_MO.open("rb") as f:
        mo = read_mo(f)
    compiled = {_key(m.id): _key(m.string) for m in po if m.id and not m.fuzzy}
    shipped = {_key(m.id): _key(m.string) for m in mo if m.id}
    # a changed .po not compiled again (pybabel compile -d web/translations) fails here
    assert shipped == compiled
    assert mo.plural_forms == po.plural_forms == "nplurals=1; plural=0;"


def test_every_message_has_its_chinese():
    po = _po()
    assert len(po) > 100
    for m in po:
        if not m.id:
            continue
        forms = (m.string,) if isinstance(m.string, str) else m.string
        assert not m.fuzzy and forms and all(s.strip() for s in forms), m.id
        assert all(s != (m.id if isinstance(m.id, str) else m.id[0]) for s in forms), m.id
    # the same %(name)s fields in msgid and msgstr (Babel's own checkers)
    assert [(m.id, errors) for m, errors in po.check()] == []


def test_extraction_finds_nothing_the_catalogs_lack(extracted):
    with (CATALOGS / "messages.pot").open("rb") as f:
        pot = _ids(read_po(f))
    assert extracted - _ids(_po()) == set(), "run pybabel extract + update, then translate"
    assert extracted == pot, "messages.pot is stale: run pybabel extract"
    assert _ids(_po()) == pot, "messages.po is stale: run pybabel update"


def test_every_gettext_call_in_the_source_is_extracted(extracted):
    """pybabel reads no call inside an f-string (on Python 3.11): each msgid the code asks
    for must be where extraction finds it."""
    asked = {}
    for path in (ROOT / "web").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in KEYWORDS and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                asked[node.args[0].value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    assert len(asked) > 80
    assert {msgid: at for msgid, at in asked.items() if msgid not in extracted} == {}


def test_requests_sharing_an_app_context_each_speak_their_own_language(mini_app):
    """Each request decides its language afresh (web.negotiate), even when one app context
    holds several requests (tests, warm-up)."""
    client = mini_app.test_client()
    with mini_app.app_context():
        for lang, title in [("en", "High-tech zone parks"), ("zh", "高新区园区"),
                            ("en", "High-tech zone parks")]:
            html = client.get(f"/parks?lang={lang}").get_data(as_text=True)
            assert f"<h1>{title}</h1>" in html, lang
        html = client.get("/nowhere", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Page not found" in html


def test_outside_a_request_the_default_language_and_speaking_switches(mini_app):
    with mini_app.app_context():
        assert gettext("Legend") == "图例"  # DEFAULT_LANG
        with speaking("en"):
            assert gettext("Legend") == "Legend"
            with speaking("zh"):
                assert gettext("Legend") == "图例"
            assert gettext("Legend") == "Legend"
        assert gettext("Legend") == "图例"


def test_outside_an_app_only_speaking_gives_the_words_a_language():
    with pytest.raises(RuntimeError, match="need a language: use speaking"):
        gettext("Legend")
    with speaking("zh"):
        assert gettext("Legend") == "图例"
    with speaking("en"):
        assert gettext("Legend") == "Legend"


def test_template_words_are_escaped_like_any_text():
    """Jinja's i18n extension would trust a translation as markup; ours are text."""
    from web.map.words import init_app

    app = Flask("web")
    init_app(app)
    with app.test_request_context("/?lang=en"):
        html = app.jinja_env.from_string(
            '{{ _("About & sources") }}|{{ _("Within %(km)s km", km="<5>") }}|'
            '{{ ngettext("%(num)d park", "%(num)d parks", 1) }}').render()
    assert html == "About &amp; sources|Within &lt;5&gt; km|1 park"



@pytest.mark.parametrize(("lang", "text"), [
    ("en", "imported: 1 feature in layer “SYNTHETIC enterprises (test only)”, target 8000 enterprises"),
    ("zh", "已导入:图层“SYNTHETIC 合成企业(测试)”中 1 个要素,目标 8000 家"),
])
def test_one_imported_feature_is_counted_in_the_singular(one_feature_client, lang, text):
    """A counted word takes its plural form from the catalog (ngettext), not an "s" added by
    hand: one feature is "1 feature" (the many-feature case: tests/test_pages_statistics.py)."""
    html = one_feature_client.get(f"/indicators?lang={lang}").get_data(as_text=True)
    assert text in html


@pytest.fixture(scope="module")
def one_feature_client(tmp_path_factory):
    from datafiles import SYNTHETIC_USER_ENTRY, geodata_with_synthetic, synthetic_points

    from corridor.store import GEODATA_DIR
    from web import create_app

    geodata = geodata_with_synthetic(tmp_path_factory.mktemp("one-feature"), synthetic_points(1),
                                     GEODATA_DIR, SYNTHETIC_USER_ENTRY)
    return create_app({"TESTING": True, "GEODATA_DIR": str(geodata)}).test_client()



def test_the_catalogs_are_kept_one_per_spoken_language_and_no_more():
    # the bound: the languages the service speaks (corridor.checks.LANGS: "zh" and "en"),
    # each read once however often its words are asked for
    from corridor.checks import LANGS
    from web.map.words import catalog

    catalog.cache_clear()
    for _ in range(3):
        for lang in ("zh", "en"):
            with speaking(lang):
                gettext("Map")
    info = catalog.cache_info()
    assert info.maxsize == len(LANGS) == 2
    assert info.currsize == 2
    assert info.misses == 2 and info.hits == 4  # each spoken language's catalog read once
