"""What a user's layer file may make GDAL do, and what GDAL may say back about it.

- A zip is refused from its central directory, before any member is read, when its members
  declare more bytes than a limit (a zip bomb expands a small upload to gigabytes):
  :func:`check_unpacked`.
- A layer in a CRS that PROJ cannot convert to WGS84 lon/lat is refused, with PROJ's reason:
  :func:`to_lonlat`.
- GDAL's and pyogrio's messages name the paths they were given (``/vsizip//tmp/...``,
  ``/vsimem/pyogrio_...``): :func:`gdal_message` names the user's file instead, so that no
  message shows where the file was kept.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pyproj

from corridor.errors import InvalidParameter

#: Most bytes the members of a zip may declare they unpack to, unless the caller says
#: otherwise (the web upload says its upload limit).
MAX_UNPACKED = 4 << 30
#: GDAL's virtual file system prefixes (``/vsizip/``, ``/vsimem/``, ...).
_VSI = re.compile(r"/vsi[a-z0-9_]+/+")
#: The in-memory file pyogrio hands GDAL for bytes.
_PYOGRIO_MEMORY = re.compile(r"pyogrio_[0-9a-f]+")
#: GDAL's advice on naming a driver, which a user of the service cannot take.
_DRIVER_HINT = re.compile(r";?\s*It might help to specify the correct driver.*", re.DOTALL)
#: Anything else that still looks like an absolute path with at least two parts.
_ABSOLUTE = re.compile(r"(?<![\w.])/(?:[\w.+-]+/)+[\w.+-]*")


class UnpackedTooLarge(InvalidParameter):
    """A zip whose members declare more bytes than allowed: ``declared`` and ``limit``."""

    def __init__(self, message: str, declared: int, limit: int) -> None:
        super().__init__(message)
        self.declared = declared
        self.limit = limit


def size_text(n: int) -> str:
    """``n`` bytes in binary units and as the exact count: ``5.0 GiB (5368709120 bytes)``."""
    value, unit = float(n), "bytes"
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit} ({n} bytes)"


def check_unpacked(zf: zipfile.ZipFile, name: str, limit: int) -> None:
    """Refuse the zip ``zf`` (the user's file ``name``) if its members declare more than
    ``limit`` bytes in all, from its central directory alone.

    Raises
    ------
    UnpackedTooLarge
        Naming the declared total, the largest member and the limit.
    """
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if total <= limit:
        return
    largest = max(infos, key=lambda i: i.file_size)
    raise UnpackedTooLarge(
        f"{name}: its {len(infos)} member(s) unpack to {size_text(total)}, the largest "
        f"({largest.filename!r}) to {size_text(largest.file_size)}; expected at most "
        f"{size_text(limit)} unpacked", total, limit)


def gdal_message(exc: BaseException, path: Path) -> str:
    """The message of an error GDAL (or pyogrio) raised reading ``path``, naming the file by
    its name only: the directories it was kept in and GDAL's virtual file prefixes are left
    out, and so is advice to name a GDAL driver."""
    text = str(exc)
    for where in sorted({str(path.resolve()), str(path.absolute()), str(path)}, key=len, reverse=True):
        text = text.replace(where, path.name)
    for folder in sorted({str(path.parent.resolve()), str(path.parent.absolute())}, key=len, reverse=True):
        text = text.replace(folder + "/", "")
    text = _PYOGRIO_MEMORY.sub(path.name, _VSI.sub("", text))
    text = _ABSOLUTE.sub(lambda m: m.group(0).rsplit("/", 1)[-1] or "(a path)", text)
    return _DRIVER_HINT.sub("", text).strip()


def _lonlat_crs(crs: Any) -> bool:
    """Whether ``crs`` is lon/lat on a WGS84-sized ellipsoid (WGS84, CGCS2000)."""
    c = pyproj.CRS.from_user_input(crs)
    return bool(c.is_geographic and c.ellipsoid is not None
                and abs(c.ellipsoid.semi_major_metre - 6378137.0) < 1.0)


def to_lonlat(frame: Any, path: Path) -> tuple[Any, str | None]:
    """The GeoDataFrame ``frame`` (read from ``path``) in WGS84 lon/lat, and the CRS it was
    reprojected from (None: it was lon/lat on WGS84 or CGCS2000, or declared no CRS).

    Raises
    ------
    InvalidParameter
        If PROJ cannot convert its CRS (a local engineering CRS, another celestial body).
    """
    if frame.crs is None:
        return frame, None
    try:
        if _lonlat_crs(frame.crs):
            return frame, None
        return frame.to_crs("EPSG:4326"), frame.crs.to_string()
    except (pyproj.exceptions.CRSError, pyproj.exceptions.ProjError) as exc:
        raise InvalidParameter(f"{path.name}: its CRS ({frame.crs.name}) cannot be converted to "
                               f"WGS84 lon/lat: {gdal_message(exc, path)}") from None
