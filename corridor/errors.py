"""Domain errors. Each carries a message for the user that names the bad value and what
was expected; the web layer maps the class to an HTTP status and an OGC exception code."""

from __future__ import annotations


class CorridorError(Exception):
    """Base class of every error the domain raises on purpose."""


class InvalidParameter(CorridorError, ValueError):
    """A caller-supplied value (distance, coordinate, k, GeoJSON...) is not acceptable."""


class NotFound(CorridorError, LookupError):
    """An unknown collection or feature id."""


class DataError(CorridorError):
    """A geodata file is malformed. The message names the file, the feature and the field."""

    def __init__(self, path: str, feature: str | None, field: str | None, problem: str):
        self.path = path
        self.feature = feature
        self.field = field
        self.problem = problem
        where = path
        if feature:
            where += f": feature {feature!r}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}")


class Conflict(CorridorError):
    """A write that contradicts the stored data (e.g. creating a feature whose id exists)."""


class ReadOnly(CorridorError):
    """A write to a collection that takes none (the bundled catalog, or no writable store)."""


class Unavailable(CorridorError):
    """The store cannot answer now (its database is down, restarting or every connection is
    busy); the request may succeed if retried shortly."""


class MissingExtra(CorridorError):
    """A feature needs an optional part of the install (an extra of ``pyproject.toml``) whose
    packages are not installed; the message names them and the ``pip install`` that adds
    them (:func:`corridor.extras.require`)."""

    def __init__(self, extra: str, message: str):
        self.extra = extra
        super().__init__(message)
