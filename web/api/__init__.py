"""OGC API - Features blueprint (placeholder until the API issue lands)."""

from flask import Blueprint

bp = Blueprint("api", __name__)
