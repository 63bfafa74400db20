"""Request negotiation (:mod:`web.negotiate`): language, format, HTML or JSON, gzip, each
decided once per request by one rule, for the API, its error pages and the site's pages."""

from __future__ import annotations

import pytest
from conftest import MINI_GEODATA
from werkzeug.exceptions import NotAcceptable

from corridor.errors import InvalidParameter
from web import negotiate

HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


@pytest.fixture(scope="module")
def english_default():
    """An app whose DEFAULT_LANG is en (the mini data)."""
    from web import create_app

    return create_app({"TESTING": True, "GEODATA_DIR": str(MINI_GEODATA), "DEFAULT_LANG": "en"})


@pytest.mark.parametrize(("url", "headers", "expected"), [
    ("/api?lang=en", {}, "en"),
    ("/api?lang=zh", {"Accept": HTML, "Accept-Language": "en"}, "zh"),  # ?lang= first
    # a JSON answer never takes its language from Accept-Language (it says Vary: Accept)
    ("/api", {"Accept-Language": "en"}, "zh"),
    ("/api?f=json", {"Accept": HTML, "Accept-Language": "en"}, "zh"),
    # an HTML answer does
    ("/api", {"Accept": HTML, "Accept-Language": "en-GB,en;q=0.9"}, "en"),
    ("/api/collections?f=html", {"Accept-Language": "en"}, "en"),
    ("/api", {"Accept": HTML, "Accept-Language": "fr"}, "zh"),  # neither: the default
    # a page always does
    ("/", {"Accept-Language": "en-US"}, "en"),
    ("/parks", {"Accept-Language": "zh-TW,en;q=0.5"}, "zh"),
    ("/", {}, "zh"),
])
def test_language(mini_app, url, headers, expected):
    with mini_app.test_request_context(url, headers=headers):
        assert negotiate.lang() == expected
        assert negotiate.page_lang() == expected
        assert negotiate.unsupported_lang() is None


def test_the_default_language_is_a_setting(english_default):
    with english_default.test_request_context("/api"):
        assert negotiate.lang() == "en"
    with english_default.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert negotiate.page_lang() == "zh"


@pytest.mark.parametrize("value", ["fr", "zh-CN", "EN", " en", "", " ", "x" * 300])
def test_an_unsupported_language(mini_app, value):
    """Exactly zh or en, as the OpenAPI document lists them: the API refuses anything else,
    naming it; a page is shown in the language it would otherwise have, and says what was
    asked."""
    with mini_app.test_request_context("/", query_string={"lang": value},
                                       headers={"Accept-Language": "en"}):
        with pytest.raises(InvalidParameter, match="zh or en") as info:
            negotiate.lang()
        assert repr(value)[:20] in str(info.value)
        assert negotiate.page_lang() == "en"
        assert negotiate.unsupported_lang() == value[:20]


@pytest.mark.parametrize(("url", "accept", "expected"), [
    ("/api?f=html", "application/json", True),
    ("/api?f=HTML%20", "application/json", True),
    ("/api?f=json", HTML, False),
    ("/api?f=geojson", HTML, False),
    ("/api?f=csv", HTML, True),  # f= names neither HTML nor JSON: Accept decides
    ("/api?f=csv", "application/json", False),
    ("/api?f=json&f=html", HTML, True),  # a repeated f= decides nothing
    ("/api", HTML, True),
    ("/api", "*/*", False),
    ("/api", "application/json;q=0.9,text/html", True),
    ("/api", "text/html;q=0.5,application/geo+json", False),
    ("/api", None, False),
])
def test_html_or_json(mini_app, url, accept, expected):
    headers = {"Accept": accept} if accept else {}
    with mini_app.test_request_context(url, headers=headers):
        assert negotiate.wants_html() is expected
        assert negotiate.error_format() == ("html" if expected else "json")


@pytest.mark.parametrize(("url", "accept", "available", "expected"), [
    ("/api?f=json", None, ("geojson", "html"), "geojson"),
    ("/api?f=geojson", None, ("json", "html"), "json"),
    ("/api?f=CSV", None, ("geojson", "csv"), "csv"),
    ("/api", "text/csv", ("geojson", "html", "csv"), "csv"),
    ("/api", "application/json", ("geojson", "html"), "geojson"),
    ("/api", None, ("json", "html"), "json"),
])
def test_format(mini_app, url, accept, available, expected):
    with mini_app.test_request_context(url, headers={"Accept": accept} if accept else {}):
        assert negotiate.negotiate(available) == expected


@pytest.mark.parametrize(("url", "accept", "words"), [
    ("/api?f=xml", None, ["'xml'", "json, html"]),
    ("/api", "text/csv", ["'text/csv'", "application/json, text/html", "f="]),
])
def test_no_acceptable_format_is_406_naming_the_value(mini_app, url, accept, words):
    with mini_app.test_request_context(url, headers={"Accept": accept} if accept else {}):
        with pytest.raises(NotAcceptable) as info:
            negotiate.negotiate(("json", "html"))
    assert info.value.code == 406 and all(w in info.value.description for w in words)


def test_the_answer_is_html_only_in_the_format_negotiated(mini_app):
    """A browser asking for KML gets KML: its names are in the default language, not the
    browser's (the KML says Vary: Accept); before negotiation, the request's rule holds."""
    with mini_app.test_request_context("/api/collections/parks/items?f=kml",
                                       headers={"Accept": HTML, "Accept-Language": "en"}):
        assert negotiate.answers_html()  # f=kml names neither: Accept says HTML
        assert negotiate.negotiate(("geojson", "html", "kml")) == "kml"
        assert not negotiate.answers_html() and negotiate.lang() == "zh"
        assert negotiate.error_format() == "html" and negotiate.lang() == "en"  # its error page


def test_decided_once_per_request_not_per_app_context(mini_app):
    """One Negotiation per request, kept for the request; a second request in the same app
    context (where flask.g would be shared) decides afresh."""
    with mini_app.app_context():
        with mini_app.test_request_context("/?lang=en"):
            first = negotiate.current()
            assert negotiate.current() is first and negotiate.page_lang() == "en"
        with mini_app.test_request_context("/?lang=zh"):
            assert negotiate.current() is not first and negotiate.page_lang() == "zh"


@pytest.mark.parametrize(("accept_encoding", "expected"), [
    ("gzip", True), ("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.8", True), ("*", True),
    ("br", False), ("gzip;q=0", False), ("identity", False), (None, False),
])
def test_gzip(mini_app, accept_encoding, expected):
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    with mini_app.test_request_context("/", headers=headers):
        assert negotiate.accepts_gzip() is expected


def test_an_api_error_page_speaks_the_browser_s_language(mini_client):
    """An error after a successful negotiation (GeoPackage with an offset coord-sys) is still
    an HTML page for a browser, in its language; for a JSON client, the error body."""
    url = "/api/collections/parks/items?f=gpkg&coord-sys=bd09"
    page = mini_client.get(url, headers={"Accept": HTML, "Accept-Language": "en"})
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert '<html lang="en">' in page.get_data(as_text=True)
    body = mini_client.get(url).get_json()
    assert body["code"] == "InvalidParameterValue" and "bd09" in body["description"]


@pytest.mark.parametrize("path", ["/api", "/api/conformance", "/api/openapi",
                                  "/api/collections/parks/tiles/WebMercatorQuad/3/0/0"])
def test_every_api_resource_refuses_an_unsupported_language(mini_client, path):
    resp = mini_client.get(f"{path}?lang=fr")
    assert resp.status_code == 400
    assert resp.get_json()["description"] == "lang='fr' is not supported; expected zh or en"
