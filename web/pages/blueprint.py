"""The pages' blueprint, in a module of its own so that the page modules register their
routes on :data:`bp` without importing :mod:`web.pages`, whose ``__init__`` imports them
(no import cycle)."""

from flask import Blueprint

bp = Blueprint("pages", __name__)
