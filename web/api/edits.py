"""Writes: OGC API - Features Part 4 (Create, Replace, Delete) on user layers.

Registered by :func:`web.create_app` only when ``ADMIN_TOKEN`` is set: a read-only
deployment has no write route at all (a write there is a 405 from the catch-all). With a
token, every write needs ``Authorization: Bearer <token>``: none is a 401 with a
``WWW-Authenticate`` challenge, a wrong one a 403. The token is compared in constant time,
and never logged or echoed (the access log records the path, never headers).

- ``POST /api/collections/{cid}/items``: a GeoJSON Feature -> 201, ``Location`` of the new item;
- ``PUT /api/collections/{cid}/items/{fid}``: replace the feature -> 200 with it;
- ``DELETE /api/collections/{cid}/items/{fid}``: -> 204 (``PATCH`` is a 405 saying to PUT).

And a whole layer at once, as ``corridor import`` does it (same reading and checks):

- ``PUT /api/collections/{cid}``: the file as the body (``Content-Type`` says its format:
  ``text/csv``, ``application/geo+json``, ``application/geopackage+sqlite3``,
  ``application/zip`` for a zipped Shapefile); query parameters ``coord-sys``, ``encoding``,
  ``id-field``, ``source-layer``, ``skip-invalid``, ``title_zh``, ``title_en``,
  ``indicator`` -> 201 (new) or 200 (replaced), with what was imported and skipped. Rows that
  fail their checks refuse the file (400 listing them by row) unless ``skip-invalid=true``.
  ``Content-Disposition: attachment; filename="roads.zip"`` names the file in the answer and
  its messages (which never show where the server keeps it). A body over
  ``MAX_UPLOAD_LENGTH``, or a zip whose members declare more than that unpacked, is a 413
  (the zip refused from its directory, before any member is read);
- ``DELETE /api/collections/{cid}``: drop the layer -> 204.

The bundled catalog's collections are read-only (405). A layer name that is not a valid
layer id (``..``, ``a/b``, empty, too long) is a 400 stating the rule, on every write route.
A JSON body nesting deeper than :data:`corridor.geojson_input.MAX_NESTING` levels is a 400
before it is parsed. Writes are never cached.
"""

from __future__ import annotations

import hmac
import json
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.http import parse_options_header

from corridor import checks
from corridor.extras import require
from corridor.gdalsafe import UnpackedTooLarge
from corridor.geojson_input import check_nesting, parse_geometry
from corridor.model import NewLayer
from corridor.store.layerrules import LAYER_ID, check_layer_id
from web.api import errors, params
from web.api.links import url
from web.api.openapi import ERROR_CONTENT, REF, WRITE_RESPONSES, Document, describes
from web.extensions import get_store

edits_bp = Blueprint("api_edits", __name__)
errors.register(edits_bp)
FEATURE_TYPES = ("application/geo+json", "application/json")
#: Media types of an uploaded layer file, and the file suffix the reader expects.
UPLOAD_TYPES = {
    "text/csv": ".csv", "application/geo+json": ".geojson", "application/json": ".geojson",
    "application/geopackage+sqlite3": ".gpkg", "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    # OpenStreetMap extracts (road networks)
    "application/vnd.openstreetmap.data+pbf": ".osm.pbf", "application/x-osm-pbf": ".osm.pbf",
}
_TEXT = {"type": "string"}
#: The query parameters of a layer upload (as ``corridor import`` takes them).
UPLOAD = params.Params(
    params.Param("coord-sys", "Coordinate system of the file's lon/lat: wgs84 (default), gcj02 "
                 "or bd09.", {"type": "string", "enum": list(checks.COORD_SYSTEMS)},
                 checks.coord_sys, default="wgs84", key=None),
    params.Param("encoding", "Text encoding of a CSV, GeoJSON or Shapefile .dbf (default: UTF-8, else GB18030/GBK).", _TEXT, key=None),
    params.Param("id-field", "Column holding the feature ids (default: the GeoJSON ids, else a column id, else the row numbers).",
                 _TEXT, key=None),
    params.Param("source-layer", "The layer of a GeoPackage or zip holding several.", _TEXT, key=None),
    params.Param("skip-invalid", "Import the valid rows and list the others, instead of refusing "
                 "the file.", {"type": "boolean"}, params.parse_bool("skip-invalid"), default=False,
                 key=None),
    params.Param("title_zh", "Chinese title of the layer.", _TEXT, default="", key=None),
    params.Param("title_en", "English title of the layer.", _TEXT, default="", key=None),
    params.Param("indicator", "Id of the plan indicator the layer counts.", _TEXT, key=None),
    params.LANG,
    params.f_param("f-json", ("json",), "JSON only"),
)


class Unauthorized(errors.ApiError):
    """A write without credentials (401)."""

    status = 401
    code = "Unauthorized"


class Forbidden(errors.ApiError):
    """A write with a wrong token (403)."""

    status = 403
    code = "Forbidden"


@edits_bp.before_request
def _authorise() -> None:
    token = str(current_app.config.get("ADMIN_TOKEN") or "")
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if not header:
        raise Unauthorized("this write needs the admin token: send 'Authorization: Bearer <token>'")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("the Authorization header is not a bearer token; expected "
                           "'Authorization: Bearer <token>'")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Forbidden("the admin token is wrong")


@edits_bp.before_request
def _check_layer_name() -> None:
    """Every write route names a layer: one that is not a valid layer id (``..``, ``a/b``,
    empty, too long, a NUL) is answered with the rule, whatever the route (after the token
    is checked: an unauthorised client learns nothing of the names). A path below a known
    collection that is no write route (``PUT .../firms/items``) is a 405."""
    cid = (request.view_args or {}).get("cid")
    if cid is None:
        return
    if "/" in cid and cid.split("/", 1)[0] in get_store().collection_ids():
        # a collection's other resources (items, queryables, tiles) are read-only
        raise errors.MethodNotAllowed(f"{request.method} is not allowed on {request.path!r}; the "
                                      "writes are PUT and DELETE of a layer, POST to its items, "
                                      "PUT and DELETE of an item")
    check_layer_id(cid)


@edits_bp.after_request
def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    if resp.status_code == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="corridor"'
    return resp


def _unsupported(mimetype: str, expected: str) -> errors.ApiError:
    return errors.UnsupportedMediaType(f"Content-Type {mimetype or '(none)'!r} is not accepted; "
                                       f"expected {expected}")


def _feature_body() -> dict[str, Any]:
    """The request body as a GeoJSON object (clear 400/415 otherwise)."""
    if request.mimetype not in FEATURE_TYPES:
        raise _unsupported(request.mimetype, f"{' or '.join(FEATURE_TYPES)} with a GeoJSON Feature")
    data = request.get_data(cache=False) or b"null"
    check_nesting(data, "the body")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.InvalidParameterValue(f"the body is not valid JSON ({exc}); expected a GeoJSON Feature") from None
    if not isinstance(body, dict):
        raise errors.InvalidParameterValue("the body is not a JSON object; expected a GeoJSON Feature")
    return body


def _feature_response(text: bytes, status: int, location: str | None = None) -> Response:
    resp = Response(text, status=status, mimetype="application/geo+json")
    if location:
        resp.headers["Location"] = location
    return resp


def _on_land(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` if its geometry touches Qingdao's land (as an import checks every row)."""
    if isinstance(body.get("geometry"), dict):
        geom = np.array([parse_geometry(body["geometry"])], dtype=object)
        land = _land()
        if not land.intersects(geom)[0]:
            km = land.distance_m(geom)[0] / 1000.0
            raise errors.InvalidParameterValue(
                f"the geometry lies {km:,.1f} km off {land.name} (in the sea or outside the city); "
                "expected a position in Qingdao as WGS84 lon/lat")
    return body


@edits_bp.post("/collections/<path:cid>/items")
@edits_bp.post("/collections//items", defaults={"cid": ""})
def create(cid: str) -> Response:
    feat = get_store().create(cid, _on_land(_feature_body()))
    return _feature_response(feat.json, 201, url("item", cid=cid, fid=feat.id))


@edits_bp.put("/collections/<path:cid>/items/<path:fid>")
def replace(cid: str, fid: str) -> Response:
    feat = get_store().replace(cid, fid, _on_land(_feature_body()))
    return _feature_response(feat.json, 200)


@edits_bp.delete("/collections/<path:cid>/items/<path:fid>")
def delete(cid: str, fid: str) -> Response:
    get_store().delete(cid, fid)
    return Response(status=204)


@edits_bp.route("/collections/<path:cid>/items/<path:fid>", methods=["PATCH"])
def patch(cid: str, fid: str) -> NoReturn:
    raise errors.MethodNotAllowed("PATCH is not supported; replace the feature with PUT (the whole "
                                  "GeoJSON Feature)")


def _land() -> Any:
    """Qingdao's land for the import checks, built once per app."""
    from corridor.region import LandRegion, qingdao_land

    land = current_app.extensions.get("corridor_land")
    if land is None:
        land = current_app.extensions["corridor_land"] = LandRegion(qingdao_land(get_store()))
    return land


@edits_bp.put("/collections/<path:cid>")
@edits_bp.put("/collections/", defaults={"cid": ""})
def put_layer(cid: str) -> Response:
    from corridor.importing import list_problems, read_layer  # pandas, GDAL: only for uploads

    store = get_store()
    store.check_writable(cid)  # refused before the upload is read
    a = UPLOAD.read(request.args)
    if a["f"] not in (None, "json"):
        raise errors.NotAcceptable(f"f={a['f']!r} is not offered here; expected f=json (the "
                                   "answer is JSON)")
    suffix = UPLOAD_TYPES.get(request.mimetype)
    if suffix is None:
        raise _unsupported(request.mimetype, "one of " + ", ".join(sorted(set(UPLOAD_TYPES))))
    if suffix == ".osm.pbf":
        require("osm")  # without pyosmium a 415 naming the extra, before the upload is read
    limit = request.max_content_length = int(current_app.config["MAX_UPLOAD_LENGTH"])
    existed = cid in store.collection_ids()
    with tempfile.TemporaryDirectory(prefix="corridor-upload-") as tmp:
        given = _upload_name(request.headers.get("Content-Disposition", ""))
        path = Path(tmp) / f"{given or 'upload'}{suffix}"
        with path.open("wb") as fh:
            while chunk := request.stream.read(1 << 20):
                fh.write(chunk)
        if path.stat().st_size == 0:
            raise errors.InvalidParameterValue("the body is empty; expected the layer file")
        try:
            result = read_layer(
                path, coord_sys=a["coord-sys"], encoding=a["encoding"], id_field=a["id-field"],
                layer=a["source-layer"], skip_invalid=a["skip-invalid"], region=_land(),
                max_unpacked=limit)
        except UnpackedTooLarge as exc:  # what the zip would become is over the upload limit
            raise errors.PayloadTooLarge(f"{exc}, the upload limit (MAX_UPLOAD_LENGTH)") from None
        upload = f"web upload {path.name}" if given else "web upload"
        source = result.describe().replace(path.name, f"{upload} ({request.mimetype})")
        meta = store.put_layer(NewLayer(
            id=cid, frame=result.frame, title_zh=a["title_zh"], title_en=a["title_en"],
            indicator=a["indicator"] or None, source=source))
    resp = jsonify({
        "id": meta.id, "imported": meta.count, "rowsRead": result.rows_read, "version": meta.version,
        "source": source, "skipped": [{"row": p.row, "line": p.line, "reason": p.reason} for p in result.skipped],
        "skippedSummary": list_problems(result.skipped) if result.skipped else "",
        "renamedColumns": result.renamed,
        "links": [{"href": url("collection", cid=cid), "rel": "collection", "type": "application/json"}],
    })
    resp.status_code = 200 if existed else 201
    resp.headers["Location"] = url("collection", cid=cid)
    return resp


def _upload_name(disposition: str) -> str:
    """The name (without its suffix) of the file a ``Content-Disposition: attachment;
    filename=...`` header gives, made safe as a file name (letters, digits, ``._-`` and
    spaces, at most 100 characters); "" when none is given."""
    _, options = parse_options_header(disposition)
    name = Path(options.get("filename", "").replace("\\", "/")).name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return "".join(c for c in stem if c.isalnum() or c in "._- ").strip(" .")[:100]


@edits_bp.delete("/collections/<path:cid>")
@edits_bp.delete("/collections/", defaults={"cid": ""})
def drop_layer(cid: str) -> Response:
    get_store().drop_layer(cid)
    return Response(status=204)


#: A Feature as a write takes it: its other members (``links``, say) are ignored.
_FEATURE_IN = {"type": "object", "required": ["type", "geometry"], "properties": {
    "type": {"type": "string", "enum": ["Feature"]},
    "id": {"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": True,
           "description": "The new feature's id (absent or null: one is assigned)"},
    "geometry": {"$ref": f"{REF}schemas/geometryGeoJSON"},
    "properties": {"type": "object", "nullable": True}}}
#: The examples of the documented bodies: a position in Qingdao (Laoshan district).
_EXAMPLE_FEATURE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.38, 36.07]},
                    "properties": {}}
_EXAMPLE_CSV = "id,name,lon,lat\nx1,example,120.38,36.07\n"


@describes
def _describe(doc: Document) -> None:
    """Part 4 operations on the user layers (only when an admin token is configured)."""
    if not current_app.config.get("ADMIN_TOKEN"):
        return
    doc.responses.update(WRITE_RESPONSES)
    doc.responses["413"] = {"description": "The body, or what a zip unpacks to, is over the "
                            "limit (MAX_CONTENT_LENGTH; MAX_UPLOAD_LENGTH for a layer file).",
                            "content": ERROR_CONTENT}
    doc.security_schemes["adminToken"] = {"type": "http", "scheme": "bearer"}
    refs = {s: {"$ref": f"{REF}responses/{s}"}
            for s in ("400", "401", "403", "404", "405", "406", "409", "413", "415")}
    errs = {s: refs[s] for s in ("400", "401", "403", "404", "405")}
    body = {"required": True, "content": {t: {"schema": _FEATURE_IN, "example": _EXAMPLE_FEATURE}
                                          for t in FEATURE_TYPES}}
    fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "Feature id"}
    feature = {"content": {"application/geo+json": {"schema": {"$ref": f"{REF}schemas/featureGeoJSON"}}}}
    layer_id = {"name": "collectionId", "in": "path", "required": True,
                "schema": {"type": "string", "pattern": LAYER_ID.pattern},
                "description": "Layer id (not one of the bundled collections)"}
    disposition = {"name": "Content-Disposition", "in": "header", "required": False,
                   "schema": {"type": "string"}, "description": "attachment; filename=\"roads.zip\": "
                   "the file's name, which the answer and its messages use"}
    security: list[dict[str, list[str]]] = [{"adminToken": []}]
    upload_types = ("text/csv", "application/geo+json", "application/geopackage+sqlite3", "application/zip")
    doc.paths["/collections/{collectionId}"] = {
        "put": {"operationId": "putLayer", "summary": "Upload a whole layer file (creates or replaces "
                "the layer atomically; rows that fail the checks refuse it unless skip-invalid=true)",
                "tags": ["Data"], "security": security,
                "parameters": [layer_id, *(doc.parameter(p) for p in UPLOAD), disposition],
                "requestBody": {"required": True, "content": {
                    t: {"schema": {"type": "string", "format": "binary"},
                        **({"example": _EXAMPLE_CSV} if t == "text/csv" else {})} for t in upload_types}},
                "responses": {"200": {"description": "Replaced."}, "201": {"description": "Created."},
                              **{s: refs[s] for s in ("400", "401", "403", "405", "406", "413", "415")}}},
        "delete": {"operationId": "dropLayer", "summary": "Delete a user layer", "tags": ["Data"],
                   "security": security, "parameters": [layer_id],
                   "responses": {"204": {"description": "Deleted."}, **errs}},
    }
    # a layer is read at this path too, as soon as it is uploaded: its GET is every
    # collection's description, for any id (an unknown one is a 404)
    describe = next((p["get"] for k, p in doc.paths.items()
                     if k.count("/") == 2 and "{" not in k and "get" in p), None)
    if describe is not None:
        doc.paths["/collections/{collectionId}"]["get"] = {
            **describe, "operationId": "describeLayer", "summary": "Describe a layer (any "
            "collection, by id)", "tags": ["Data"], "parameters": [layer_id, *describe["parameters"]]}
    for c in doc.store.collections():
        if not c.editable:
            continue
        common = {"tags": [c.id], "security": security}
        doc.paths[f"/collections/{c.id}/items"]["post"] = {
            **common, "operationId": f"create_{c.id}", "summary": f"Add a feature to {c.title_en}",
            "requestBody": body, "responses": {
                "201": {"description": "Created; Location is the new item's URL.", **feature},
                **errs, "409": refs["409"], "415": refs["415"]}}
        item = doc.paths[f"/collections/{c.id}/items/{{featureId}}"]
        item["put"] = {**common, "operationId": f"replace_{c.id}", "summary": f"Replace a feature of {c.title_en}",
                       "parameters": [fid], "requestBody": body,
                       "responses": {"200": {"description": "Replaced.", **feature}, **errs,
                                     "415": refs["415"]}}
        item["delete"] = {**common, "operationId": f"delete_{c.id}", "summary": f"Delete a feature of {c.title_en}",
                          "parameters": [fid], "responses": {"204": {"description": "Deleted."}, **errs}}
