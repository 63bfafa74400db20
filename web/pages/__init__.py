"""Map pages: the corridor map at ``/``, park profiles, indicators, and the vendored assets.

Each module registers its routes on :data:`web.pages.blueprint.bp`; the views parse, call the
domain (``corridor``), and render a template. Importing this package imports them all, so
that the blueprint carries every route.
"""

from web.pages import assets, compare, indicators, mapview, match, parks, site  # noqa: F401
from web.pages.blueprint import bp
from web.reports import views as reports  # noqa: F401  (/parks/<id>.pdf, /parks.pdf)

__all__ = ["bp"]
