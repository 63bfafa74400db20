"""Map pages blueprint (placeholder until the map issue lands)."""

from flask import Blueprint

bp = Blueprint("pages", __name__)
