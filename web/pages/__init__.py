"""Map pages: the corridor map at ``/``, park profiles, indicators, and the vendored assets.

Each module registers its routes on :data:`bp`; the views parse, call the domain
(``corridor``), and render a template.
"""

from flask import Blueprint

bp = Blueprint("pages", __name__)


from web.pages import assets, indicators, mapview, parks, site  # noqa: F401
