"""What a request asks for, decided once per request: its language, its format, HTML or
JSON, and whether it takes gzip. Every view, error handler and page asks here.

- **Language**: ``?lang=zh|en``; else, for a page (and an API resource asked for as HTML),
  the browser's ``Accept-Language``; else the ``DEFAULT_LANG`` setting. A JSON answer never
  takes its language from Accept-Language: it says ``Vary: Accept``, so that a shared cache
  keeps one copy per format, not one per browser language. An unsupported ``?lang=`` is a
  400 from the API (:func:`lang`); a page shows itself in the language it would otherwise
  have, with a notice (:func:`page_lang`, :func:`unsupported_lang`). The check itself is
  :func:`corridor.checks.lang`, the one place that knows zh and en.
- **Format**: ``f=`` wins, else the ``Accept`` header (:func:`negotiate`).
- **HTML or JSON** (:func:`wants_html`), for views and error handlers alike:
  ``f=html|json|geojson`` when given once, else whether ``Accept`` prefers ``text/html``
  to the JSON types. Whether the answer *is* HTML (:func:`answers_html`, which decides
  whether Accept-Language counts) follows the format the view negotiated, or the error's.
- **gzip**: whether ``Accept-Encoding`` takes it (:func:`accepts_gzip`).

Each part is worked out on first use and kept for the rest of the request in the request's
environ (not in ``flask.g``, which lives as long as the app context, and one app context
may hold several requests).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from flask import current_app, request
from werkzeug.datastructures import LanguageAccept, MIMEAccept
from werkzeug.exceptions import NotAcceptable
from werkzeug.http import parse_accept_header

from corridor import checks
from corridor.checks import Lang
from corridor.errors import InvalidParameter

#: f= value -> media type, for every format the service answers in.
MEDIA_TYPES = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "html": "text/html",
    "csv": "text/csv",
    "gpkg": "application/geopackage+sqlite3",
    "kml": "application/vnd.google-earth.kml+xml",
    "mvt": "application/vnd.mapbox-vector-tile",
    "pdf": "application/pdf",
}
#: More media types that select a format in Accept.
_ACCEPT_ALSO = {"geojson": ("application/json",)}
#: The f= values that choose between the HTML and the JSON form of a resource or an error.
_HTML_OR_JSON = ("html", "json", "geojson")
_KEY = "corridor.negotiation"


class Negotiation:
    """What one request asks for; each attribute worked out on first use."""

    def __init__(self) -> None:
        self.format: str | None = None  # set by negotiate()
        self._html_by_request: bool | None = None
        self._asked: tuple[Lang | None, str | None, InvalidParameter | None] | None = None

    def asked_lang(self) -> tuple[Lang | None, str | None, InvalidParameter | None]:
        """The ``?lang=`` language (None when absent or unsupported); the value when
        unsupported, and the error saying so (from :func:`corridor.checks.lang`: exactly zh
        or en, as the OpenAPI document lists them)."""
        if self._asked is None:
            value = request.args.get("lang")
            try:
                self._asked = (None if value is None else checks.lang(value, exact=True), None, None)
            except InvalidParameter as exc:
                self._asked = (None, value, exc)
        return self._asked

    def html_by_request(self) -> bool:
        """HTML or JSON as ``f=`` (once, naming one of the two) or else ``Accept`` says."""
        if self._html_by_request is None:
            fs = request.args.getlist("f") if "f" in request.args else []
            f = fs[0].strip().lower() if len(fs) == 1 else None
            if f in _HTML_OR_JSON:
                self._html_by_request = f == "html"
            else:
                self._html_by_request = _html_first(request.environ.get("HTTP_ACCEPT", ""))
        return self._html_by_request



def current() -> Negotiation:
    """This request's :class:`Negotiation` (made on first use)."""
    env = request.environ
    found: Negotiation | None = env.get(_KEY)
    if found is None:
        found = env[_KEY] = Negotiation()
    return found


def is_api_path() -> bool:
    """Whether the current request is for the API (``/api`` and below)."""
    path = request.path
    return path == "/api" or path.startswith("/api/")


def wants_html() -> bool:
    """Whether this request asks for HTML rather than JSON: ``f=html|json|geojson`` when
    given once, else whether ``Accept`` prefers ``text/html`` to the JSON types. The one
    rule for views and error handlers alike."""
    return current().html_by_request()


def error_format() -> str:
    """The format of an error answer, html or json (:func:`wants_html`), kept as this
    request's format: an error page speaks the language a page would."""
    n = current()
    n.format = "html" if n.html_by_request() else "json"
    return n.format


def answers_html() -> bool:
    """Whether this request is answered in HTML: a page (anything outside the API), or an
    API resource whose negotiated format is html (before negotiation: :func:`wants_html`)."""
    if not is_api_path():
        return True
    n = current()
    return n.format == "html" if n.format is not None else n.html_by_request()


def _default() -> Lang:
    return checks.lang(current_app.config.get("DEFAULT_LANG"), "zh")


def page_lang() -> Lang:
    """The language of this request, an unsupported ``?lang=`` ignored (a page in a language
    it has beats an error page; :func:`unsupported_lang` says it was asked)."""
    asked, _, _ = current().asked_lang()
    if asked is not None:
        return asked
    if answers_html():
        best = preferred_language(request.environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        if best is not None:
            return best
    return _default()


def lang() -> Lang:
    """The language of this API request (see the module's docstring).

    Raises
    ------
    corridor.errors.InvalidParameter
        If ``?lang=`` names a language other than zh or en (the API answers 400).
    """
    _, _, error = current().asked_lang()
    if error is not None:
        raise error
    return page_lang()


def unsupported_lang() -> str | None:
    """The ``?lang=`` of this request if it names a language the service does not have
    (cut to 20 characters, for a page's notice)."""
    _, unsupported, _ = current().asked_lang()
    return None if unsupported is None else unsupported[:20]


@lru_cache(maxsize=256)
def preferred_language(accept_language: str) -> Lang | None:
    """zh or en, as an Accept-Language value prefers them (None: neither), remembered per
    value (clients send few distinct ones)."""
    best = parse_accept_header(accept_language, LanguageAccept).best_match(
        ["zh", "zh-CN", "zh-TW", "zh-HK", "en"])
    if not best:
        return None
    return "zh" if best.lower().startswith("zh") else "en"


@lru_cache(maxsize=256)
def _html_first(accept: str) -> bool:
    """Whether the Accept header value ``accept`` prefers HTML to JSON (remembered per value)."""
    parsed = parse_accept_header(accept, MIMEAccept)
    return parsed.quality("text/html") > max(parsed.quality("application/json"),
                                              parsed.quality("application/geo+json"))


def negotiate(available: Sequence[str]) -> str:
    """Pick the response format among ``available`` from ``f=`` or the Accept header, and
    keep it as this request's format (:func:`answers_html` follows it).

    ``f=json`` on a feature resource means GeoJSON, ``f=geojson`` on a document JSON.

    Raises
    ------
    werkzeug.exceptions.NotAcceptable
        If ``f`` names another format or nothing in ``Accept`` is available (the API
        answers 406 with its error body).
    """
    f = request.args.get("f")
    if f is not None:
        key = f.strip().lower()
        if key == "json" and "geojson" in available:
            key = "geojson"
        if key == "geojson" and "geojson" not in available:
            key = "json"
        if key not in available:
            raise NotAcceptable(f"f={checks.shown(f)} is not offered here; expected one of {', '.join(available)}")
    else:
        found = best_by_accept(request.environ.get("HTTP_ACCEPT", ""), tuple(available))
        if found is None:
            raise NotAcceptable(
                f"none of the media types in Accept: {checks.shown(request.headers.get('Accept'))} "
                f"is offered; expected one of {', '.join(MEDIA_TYPES[k] for k in available)} (or use f=)"
            )
        key = found
    current().format = key
    return key


@lru_cache(maxsize=256)
def best_by_accept(accept: str, available: tuple[str, ...]) -> str | None:
    """The format of ``available`` that the Accept header value ``accept`` prefers (the
    first on a tie; the first when there is no header), or None when it accepts none.

    A pure function of the header's text, so it is remembered: clients send few distinct
    Accept values, and parsing one costs more than the rest of a small response."""
    parsed = parse_accept_header(accept, MIMEAccept)
    if not parsed:
        return available[0]
    best, best_q = None, 0.0
    for key in available:
        for mt in (MEDIA_TYPES[key], *_ACCEPT_ALSO.get(key, ())):
            q = parsed.quality(mt)
            if q > best_q:
                best, best_q = key, q
    return best


def accepts_gzip() -> bool:
    """Whether this request's ``Accept-Encoding`` takes gzip."""
    return _takes_gzip(request.environ.get("HTTP_ACCEPT_ENCODING", ""))


@lru_cache(maxsize=64)
def _takes_gzip(accept_encoding: str) -> bool:
    # quality, not membership: "gzip;q=0" refuses it. Clients send a handful of distinct
    # headers, so each is parsed once (64 entries of at most a request line's 8 KiB)
    return parse_accept_header(accept_encoding)["gzip"] > 0
