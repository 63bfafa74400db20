"""The report routes on the pages' blueprint: ``/parks/<id>.pdf`` (a park's profile) and
``/parks.pdf`` (the comparison), each in ``?lang=zh|en`` (else the page's language). The
match report is a format of ``/api/match`` (:mod:`web.api.match`)."""

from __future__ import annotations

import time

from flask import Response, url_for

from corridor.errors import NotFound
from corridor.stats import zone_collection
from web.extensions import get_store
from web.map.words import gettext
from web.negotiate import page_lang
from web.pages.blueprint import bp
from web.pages.parks import industry_matrix, layer_columns, no_such_park
from web.reports.park import parks_pdf, profile_pdf


def pdf_response(data: bytes, filename: str) -> Response:
    """A PDF answer, shown in the browser, saved as ``filename``."""
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def today() -> str:
    """The report's date: UTC now, to the minute."""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime())


@bp.get("/parks/<park_id>.pdf")
def park_pdf(park_id: str) -> Response:
    lang = page_lang()
    store = get_store()
    try:
        park = store.get(zone_collection(store, "park"), park_id)
    except NotFound:
        raise no_such_park(park_id, lang) from None
    url = url_for("pages.park", park_id=park_id, lang=lang, _external=True)
    return pdf_response(profile_pdf(store, park, lang, url, today()), f"{park_id}-{lang}.pdf")


@bp.get("/parks.pdf")
def comparison_pdf() -> Response:
    lang = page_lang()
    store = get_store()
    parks = store.features(zone_collection(store, "park"))
    columns, rows = industry_matrix(parks, lang)
    titles = {c["key"]: c["title"] for c in columns}
    layers = layer_columns(store, lang)
    matrix = [[gettext("Park"), gettext("Industry focus"), *(la["title"] for la in layers)]]
    for r in rows:
        groups = [f'{titles[k]}: {", ".join(terms)}' for k, terms in r["cells"].items()]
        counts = [la["counts"].get(r["id"]) for la in layers]
        matrix.append([r["row"][f"name_{lang}"], "\n".join(groups),
                       *("–" if n is None else str(n) for n in counts)])
    urls = {p.id: url_for("pages.park", park_id=p.id, lang=lang, _external=True) for p in parks}
    url = url_for("pages.parks", lang=lang, _external=True)
    return pdf_response(parks_pdf(store, parks, matrix, lang, url, urls, today()),
                        f"parks-{lang}.pdf")
