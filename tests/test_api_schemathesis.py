"""Property-based tests of the whole API from its own OpenAPI document (schemathesis):
no server errors, responses conform to the declared schemas, status codes and media types.

The app is built when the module is collected (schemathesis parametrises at collection; its
lazy ``from_fixture`` does not work with this pytest). Bounded: 20 examples per operation.

A second run has writes on (the admin token set and sent) over a SYNTHETIC user layer: every
operation on the layer and the layer path (POST, PUT, DELETE, and their GETs), 25 examples
each, with layer files that are random bytes or hostile (a zip bomb, broken zips and
GeoPackages).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from conftest import MINI_GEODATA
from datafiles import synthetic_frame
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import allow_header_conformance, positive_data_acceptance
from test_hostile_input import crafted_bomb, zip_bytes

from corridor.model import NewLayer
from corridor.store import Engine
from web import create_app

APP = create_app({"TESTING": True})
# schemathesis's rejection statuses, and 414: a schema-violating value too long for the
# service's URL limit (MAX_URL_LENGTH) is refused before any parameter is read. (Hypothesis
# draws string constants from the code under test, so which examples come up changes with
# the code: a long filter may or may not be among them.)
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429", "5xx"]
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REJECTED}}})
schema = schemathesis.openapi.from_wsgi("/api/openapi?f=json", APP, config=CONFIG)


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None,
          derandomize=True)
def test_api_conforms_to_its_openapi(case):
    # the WSGI client does not decompress, so ask for identity encoding
    # positive_data_acceptance: a CQL2 filter or a feature id cannot be described in JSON
    # Schema, so schema-valid strings may rightly be 400/404. allow_header_conformance: the
    # server also answers HEAD and OPTIONS (CORS preflight), which the document leaves out.
    case.call_and_validate(headers={"Accept-Encoding": "identity"},
                           excluded_checks=[positive_data_acceptance, allow_header_conformance])


# --- with writes on ----------------------------------------------------------------------------

TOKEN = "schemathesis-token"
# the binary layer files: random bytes, or one of a few hostile ones (a zip bomb, a zip
# without a Shapefile, a zipped Shapefile of garbage, an empty SQLite file)
_FILES = st.one_of(st.binary(max_size=256), st.sampled_from([
    crafted_bomb(), zip_bytes({"readme.txt": b"SYNTHETIC"}),
    zip_bytes({"a.shp": b"x" * 100, "a.shx": b"y", "a.dbf": b"z"}), b"SQLite format 3\0" + bytes(100)]))
for _media in ("application/zip", "application/geopackage+sqlite3"):
    schemathesis.openapi.media_type(_media, _FILES)
_LAYERS = tempfile.TemporaryDirectory(prefix="corridor-schemathesis-")
Engine.user_layers(Path(_LAYERS.name)).put_layer(NewLayer("firms", synthetic_frame(50), title_en="SYNTHETIC firms"))
WRITE_APP = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "GEODATA_DIR": str(MINI_GEODATA),
                        "LAYERS_DIR": _LAYERS.name})
# every operation on the writable layer and the layer path (all the writes are there)
write_schema = schemathesis.openapi.from_wsgi("/api/openapi?f=json", WRITE_APP, config=CONFIG).include(
    path_regex=r"^/collections/(firms|\{collectionId\})(/|$)")


@write_schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None,
          derandomize=True)
def test_writes_conform_to_the_openapi(case):
    case.call_and_validate(headers={"Accept-Encoding": "identity", "Authorization": f"Bearer {TOKEN}"},
                           excluded_checks=[positive_data_acceptance, allow_header_conformance])
