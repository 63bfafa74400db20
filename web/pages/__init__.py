"""Map pages: the corridor map at ``/``, park profiles, indicators, and the vendored assets.

Each module registers its routes on :data:`bp`; the views parse, call the domain
(``corridor``), and render a template.
"""

from flask import Blueprint

bp = Blueprint("pages", __name__)


@bp.record_once
def _no_compressed_streams(state) -> None:
    # Flask-Compress (set up by the API) compresses streamed responses such as the static
    # files by iterating them without closing the file (a ResourceWarning per request).
    # Static files are small and cached; send them as they are.
    state.app.config["COMPRESS_STREAMS"] = False

from web.pages import assets, indicators, mapview, parks, site  # noqa: F401
