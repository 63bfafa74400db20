"""User layers: an embedded store of GeoPackage files that takes imports and edits.

Each layer is one GeoPackage file ``<root>/<layer id>.gpkg`` (:mod:`corridor.store.gpkg`).
A process holds every layer in memory, ready to answer as fast as the bundled data: each
feature's GeoJSON bytes, and an :class:`~corridor.editindex.EditableIndex` (an R*-tree that
takes inserts and deletes) for the spatial questions. Attribute questions (equality, name,
industry, CQL2) use :class:`~corridor.store.attributes.Attributes`, built on the first such
question after a change.

Writes, and how other processes see them:

- **Importing** (:meth:`LayerStore.put_layer`) writes a complete new file beside the old one
  and renames it over it (``os.replace``): a reader sees the old version or the new one,
  never half of either; a failed import leaves the old file untouched.
- **Editing** one feature (:meth:`~LayerStore.create`, :meth:`~LayerStore.replace`,
  :meth:`~LayerStore.delete`) is one SQLite transaction that changes the row and appends to
  the file's change log; the writing process updates its index in place.
- :meth:`LayerStore.refresh` (once a request) lists the directory, notices replaced, new or
  removed files by inode, and asks each file's connection whether another connection
  committed (``PRAGMA data_version``); it then replays just the logged rows.
- Writes from several processes are serialised by an exclusive lock on ``<root>/.lock``.

Every layer's version is ``<uuid of its import>.<last change number>``; caches and ETags key
on it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from corridor import checks
from corridor.editindex import EditableIndex
from corridor.errors import Conflict, InvalidParameter, NotFound
from corridor.geoindex import Probe, probe
from corridor.geojson_input import parse_geometry
from corridor.indicators import check_indicator
from corridor.model import (
    USER_GROUP,
    CollectionMeta,
    Feature,
    Indicator,
    ItemsPage,
    ItemsQuery,
    NewLayer,
)
from corridor.store import gpkg
from corridor.store.attributes import Attributes, geometry_queryable
from corridor.store.base import FeatureStore

#: What a layer id may look like (it is a file name and a URL path segment).
LAYER_ID = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
IntArray = NDArray[np.int64]
_GEOMETRY_TYPES = {
    "POINT": ("Point",), "MULTIPOINT": ("MultiPoint",), "LINESTRING": ("LineString",),
    "MULTILINESTRING": ("MultiLineString",), "POLYGON": ("Polygon",),
    "MULTIPOLYGON": ("MultiPolygon",),
}


SCHEMA_OF_TYPE: dict[str, dict[str, str]] = {
    "TEXT": {"type": "string"}, "REAL": {"type": "number"}, "FLOAT": {"type": "number"},
    "DOUBLE": {"type": "number"}, "BOOLEAN": {"type": "boolean"},
    "DATE": {"type": "string", "format": "date"}, "DATETIME": {"type": "string", "format": "date-time"},
}


def column_queryables(types: Mapping[str, str], geometry_types: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A layer's queryables from its columns' declared SQL types, ``geometry`` last."""
    out: dict[str, dict[str, Any]] = {}
    for name, typ in types.items():
        schema = SCHEMA_OF_TYPE.get(typ) or ({"type": "integer"} if "INT" in typ else {"type": "string"})
        out[name] = {"title": name, **schema}
    out["geometry"] = geometry_queryable(geometry_types)
    return out


def check_layer_id(value: str) -> str:
    """``value`` if it is a valid layer id.

    Raises
    ------
    InvalidParameter
        Naming the value and the pattern expected.
    """
    if not isinstance(value, str) or not LAYER_ID.match(value):
        raise InvalidParameter(
            f"layer id {checks.shown(value)} is not valid; expected a lower-case letter, then up "
            "to 62 lower-case letters, digits, '_' or '-'"
        )
    return value


def feature_bytes(fid: str, geojson: str, props: dict[str, Any]) -> bytes:
    """The GeoJSON Feature text in the layout :class:`~corridor.model.Feature` documents."""
    return (
        '{"type":"Feature","id":' + json.dumps(fid, ensure_ascii=False) + ',"geometry":' + geojson
        + ',"properties":' + json.dumps(props, ensure_ascii=False, separators=(",", ":")) + "}"
    ).encode()


@dataclass(eq=False)
class _Layer:
    """One layer as this process holds it."""

    id: str
    path: Path
    inode: int
    conn: sqlite3.Connection
    pid: int
    meta: dict[str, str]
    types: dict[str, str]
    geometry_types: tuple[str, ...]
    index: EditableIndex
    feats: dict[int, Feature]
    slot_of: dict[str, int]
    seq: int
    data_version: int
    _attrs: tuple[int, Attributes, IntArray] | None = field(default=None)

    @property
    def version(self) -> str:
        return f"{self.meta['uuid'][:12]}.{self.seq}"

    @property
    def queryables(self) -> dict[str, dict[str, Any]]:
        """The layer's columns as JSON-schema snippets, from its table's declared types (so
        they hold whatever edits come), ``geometry`` last."""
        return column_queryables(self.types, self.geometry_types)

    def attributes(self) -> tuple[Attributes, IntArray]:
        """Attribute lookups over the features in slot order, and that order (built once per
        change)."""
        if self._attrs is None or self._attrs[0] != self.seq:
            slots = np.array(sorted(self.feats), dtype=np.int64)
            feats = [self.feats[int(s)] for s in slots]
            self._attrs = (self.seq, Attributes.build(feats, self.geometry_types), slots)
        return self._attrs[1], self._attrs[2]

    def collection_meta(self) -> CollectionMeta:
        m = self.meta
        return CollectionMeta(
            id=self.id, group=USER_GROUP, title_zh=m.get("title_zh") or self.id,
            title_en=m.get("title_en") or self.id, description_zh=m.get("description_zh", ""),
            description_en=m.get("description_en", ""), geometry_types=self.geometry_types,
            roles=frozenset(), count=len(self.feats), extent=self.index.bounds,
            version=self.version, editable=True, indicator=m.get("indicator") or None,
        )


class LayerStore(FeatureStore):
    """The user layers stored under ``root`` (created on the first import).

    Parameters
    ----------
    root
        Directory of the layer files.
    indicators
        The plan's indicators, which a layer may be tagged with (an unknown tag is refused).
    """

    def __init__(self, root: Path | str, indicators: Sequence[Indicator] = (), lazy: bool = False) -> None:
        self.root = Path(root)
        self._indicators = tuple(indicators)
        self._layers: dict[str, _Layer] = {}
        #: Layer files seen by the last refresh: name -> (path, inode).
        self._files_seen: dict[str, tuple[Path, int]] = {}
        #: The version, with the per-layer versions it was hashed from.
        self._version: tuple[tuple[str, ...] | None, str] = (None, "")
        #: A lazy store (for writers such as ``corridor import``) loads a layer only when it
        #: is read; a serving store loads every layer at once.
        self._lazy = lazy
        self._lock = threading.RLock()
        self.refresh()

    # --- keeping up with the files --------------------------------------------------------

    def refresh(self) -> None:
        stale: list[tuple[str, Path, int]] = []
        with self._lock:
            files = self._files_seen = self._files()
            for name in [n for n in self._layers if n not in files]:
                self._layers.pop(name).conn.close()
            for name, (path, inode) in files.items():
                layer = self._layers.get(name)
                if layer is None and self._lazy:
                    continue
                if layer is None or layer.inode != inode:
                    stale.append((name, path, inode))
                    continue
                if layer.pid != os.getpid():
                    # A forked worker: SQLite connections must not cross a fork. Keep the
                    # features loaded before it; open our own connection and replay the log.
                    layer.conn = gpkg.connect(path)
                    layer.pid = os.getpid()
                    layer.data_version = -1
                if layer.conn.execute("PRAGMA data_version").fetchone()[0] != layer.data_version:
                    self._catch_up(layer)
        # A new or replaced file is read without holding the lock (reads of the other layers,
        # and of the old version of this one, go on meanwhile), then swapped in.
        for name, path, inode in stale:
            try:
                fresh = self._read(name, path, inode)
            except (sqlite3.Error, FileNotFoundError):
                continue  # replaced or removed again while we read it: the next refresh sees it
            with self._lock:
                if self._files_seen.get(name) != (path, inode):
                    fresh.conn.close()
                    continue
                old = self._layers.get(name)
                self._layers[name] = fresh
                if old is not None:
                    old.conn.close()

    def _files(self) -> dict[str, tuple[Path, int]]:
        out: dict[str, tuple[Path, int]] = {}
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return out
        for e in entries:
            stem = e.name[:-5]
            if e.name.endswith(".gpkg") and LAYER_ID.match(stem):
                try:
                    out[stem] = (Path(e.path), e.inode())
                except FileNotFoundError:  # removed while we listed
                    continue
        return out

    def _load(self, name: str, path: Path, inode: int) -> None:
        old = self._layers.pop(name, None)
        if old is not None:
            old.conn.close()
        self._layers[name] = self._read(name, path, inode)

    def _read(self, name: str, path: Path, inode: int) -> _Layer:
        """Layer ``name`` as its file holds it now (one read transaction: rows, metadata
        and the change log's position agree)."""
        conn = gpkg.connect(path)
        try:
            conn.execute("BEGIN")
            types = gpkg.columns(conn)
            gtype = gpkg.geometry_type(conn)
            cols = [c for c in types if c != "id"]
            rows = conn.execute(
                f'SELECT fid, "{gpkg.GEOM}", id' + "".join(f', "{c}"' for c in cols)
                + f' FROM "{gpkg.TABLE}" ORDER BY fid').fetchall()
            meta, seq = gpkg.read_meta(conn), gpkg.last_seq(conn)
            data_version = conn.execute("PRAGMA data_version").fetchone()[0]
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        geoms = gpkg.decode_all([r[1] for r in rows])
        slots = np.array([r[0] for r in rows], dtype=np.int64)
        feats: dict[int, Feature] = {}
        texts = shapely.to_geojson(geoms) if len(rows) else []
        for r, g, text in zip(rows, geoms, texts):
            feats[r[0]] = self._feature(name, str(r[2]), g, text, cols, r[3:], types)
        placed = np.array([g is not None for g in geoms], dtype=bool)
        index = EditableIndex(slots[placed], geoms[placed] if len(geoms) else geoms)
        return _Layer(
            id=name, path=path, inode=inode, conn=conn, pid=os.getpid(), meta=meta,
            types=types, geometry_types=_GEOMETRY_TYPES.get(gtype, ("Point", "LineString", "Polygon")),
            index=index, feats=feats, slot_of={f.id: s for s, f in feats.items()},
            seq=seq, data_version=data_version,
        )

    @staticmethod
    def _feature(cid: str, fid: str, geom: shapely.Geometry | None, geojson: str | None,
                 cols: Sequence[str], values: Sequence[Any], types: Mapping[str, str]) -> Feature:
        props: dict[str, Any] = {"id": fid}
        for c, v in zip(cols, values):
            if v is None:
                continue
            props[c] = bool(v) if types[c] == "BOOLEAN" else v
        return Feature(cid, fid, props, geom, feature_bytes(fid, geojson or "null", props))

    def _catch_up(self, layer: _Layer) -> None:
        """Replay the rows other connections changed since ``layer.seq``."""
        layer.data_version = layer.conn.execute("PRAGMA data_version").fetchone()[0]
        changed = layer.conn.execute(
            "SELECT seq, fid FROM corridor_changes WHERE seq > ? ORDER BY seq", (layer.seq,)).fetchall()
        if not changed:
            return
        for slot in dict.fromkeys(fid for _, fid in changed):
            self._reread(layer, slot)
        layer.seq = changed[-1][0]

    def _reread(self, layer: _Layer, slot: int) -> None:
        cols = [c for c in layer.types if c != "id"]
        row = layer.conn.execute(
            f'SELECT "{gpkg.GEOM}", id' + "".join(f', "{c}"' for c in cols)
            + f' FROM "{gpkg.TABLE}" WHERE fid = ?', (slot,)).fetchone()
        old = layer.feats.pop(slot, None)
        if old is not None:
            layer.slot_of.pop(old.id, None)
        layer.index.delete(slot)
        if row is None:
            return
        geom = gpkg.decode(row[0])
        text = None if geom is None else shapely.to_geojson(geom)
        feat = self._feature(layer.id, str(row[1]), geom, text, cols, row[2:], layer.types)
        layer.feats[slot] = feat
        layer.slot_of[feat.id] = slot
        if geom is not None:
            layer.index.insert(slot, geom)

    # --- metadata -------------------------------------------------------------------------

    @property
    def version(self) -> str:
        with self._lock:
            parts = tuple(sorted(f"{n}={self._get(n).version}" for n in self._files_seen))
            if self._version[0] != parts:  # hashed once per change, not on every request
                self._version = (parts, hashlib.sha256("|".join(parts).encode()).hexdigest()[:16])
            return self._version[1]

    def check(self) -> None:
        with self._lock:
            for layer in self._layers.values():
                layer.conn.execute("SELECT 1").fetchone()

    def collections(self) -> list[CollectionMeta]:
        with self._lock:
            return [self._get(n).collection_meta() for n in sorted(self._files_seen)]

    def collection(self, cid: str) -> CollectionMeta:
        with self._lock:
            return self._get(cid).collection_meta()

    def indicators(self) -> tuple[Indicator, ...]:
        return self._indicators

    def provenance(self, cid: str) -> dict[str, str]:
        """What the import of layer ``cid`` recorded: ``source`` (file, format, encoding,
        coordinate system) and ``imported`` (UTC time, ISO 8601).

        Raises
        ------
        NotFound
            If there is no such layer.
        """
        with self._lock:
            meta = self._get(cid).meta
            return {key: meta.get(key, "") for key in ("source", "imported")}

    def queryables(self, cid: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return self._get(cid).queryables

    def _get(self, cid: str) -> _Layer:
        layer = self._layers.get(cid)
        if layer is None and cid in self._files_seen:  # a lazy store loads on first use
            self._load(cid, *self._files_seen[cid])
            layer = self._layers[cid]
        if layer is None:
            raise NotFound(f"collection {checks.shown(cid)} not found; expected one of the layers "
                           f"{', '.join(sorted(self._layers)) or '(none stored)'}")
        return layer

    # --- features -------------------------------------------------------------------------

    def get(self, cid: str, fid: str) -> Feature:
        with self._lock:
            layer = self._get(cid)
            slot = layer.slot_of.get(fid)
            if slot is None:
                raise NotFound(f"feature {checks.shown(fid)} not found in collection {cid!r}; "
                               f"expected one of its {len(layer.feats)} feature ids")
            return layer.feats[slot]

    def locate(self, fid: str) -> Feature:
        with self._lock:
            for layer in self._layers.values():
                slot = layer.slot_of.get(fid)
                if slot is not None:
                    return layer.feats[slot]
        raise NotFound(f"feature id {checks.shown(fid)} not found in any layer")

    def features(self, cid: str, ids: Sequence[str] | None = None) -> list[Feature]:
        with self._lock:
            layer = self._get(cid)
            if ids is None:
                return [layer.feats[s] for s in sorted(layer.feats)]
            return [layer.feats[layer.slot_of[i]] for i in ids if i in layer.slot_of]

    def items(self, cid: str, query: ItemsQuery) -> ItemsPage:
        with self._lock:
            layer = self._get(cid)
            lo, hi = query.offset, query.offset + query.limit
            sel = self._select(layer, query)
            if query.near is not None:
                assert query.near_m is not None
                slots, d = layer.index.within(query.near, query.near_m)
                own = layer.slot_of.get(query.near_id or "", -1)
                keep = slots != own
                if sel is not None:
                    keep &= np.isin(slots, sel)
                slots, d = slots[keep], d[keep]
                return ItemsPage(len(slots), [layer.feats[int(s)] for s in slots[lo:hi]],
                                 [float(x) / 1000.0 for x in d[lo:hi]])
            if sel is None:
                page = [layer.feats[s] for s in sorted(layer.feats)[lo:hi]] if lo < len(layer.feats) else []
                return ItemsPage(len(layer.feats), page)
            return ItemsPage(len(sel), [layer.feats[int(s)] for s in sel[lo:hi]])

    def _select(self, layer: _Layer, q: ItemsQuery) -> IntArray | None:
        """Slots, ascending, matching every criterion but ``near`` (None: all of them)."""
        if not q.asks_attributes:
            return None if q.bbox is None else layer.index.in_box(*q.bbox)
        attrs, slots = layer.attributes()

        def in_box(box: tuple[float, float, float, float]) -> NDArray[np.intp]:
            return np.searchsorted(slots, layer.index.in_box(*box)).astype(np.intp)

        pos = attrs.select(q, in_box)
        return None if pos is None else slots[pos]

    # --- spatial and text primitives ------------------------------------------------------

    def within(self, cid: str, origin: shapely.Geometry | Probe, meters: float) -> list[tuple[Feature, float]]:
        with self._lock:
            layer = self._get(cid)
            slots, d = layer.index.within(origin, meters)
            return [(layer.feats[int(s)], float(x)) for s, x in zip(slots, d)]

    def within_each(self, cids: Sequence[str], origin: shapely.Geometry, meters: float
                    ) -> dict[str, list[tuple[Feature, float]]]:
        prepared = probe(origin)
        return {cid: self.within(cid, prepared, meters) for cid in cids}

    def nearest(self, cid: str, origin: shapely.Geometry, k: int) -> list[tuple[Feature, float]]:
        with self._lock:
            layer = self._get(cid)
            slots, d = layer.index.nearest(origin, k)
            return [(layer.feats[int(s)], float(x)) for s, x in zip(slots, d)]

    def intersecting(self, cid: str, geom: shapely.Geometry, areal_only: bool = False) -> list[Feature]:
        with self._lock:
            layer = self._get(cid)
            feats = [layer.feats[int(s)] for s in layer.index.intersecting(geom)]
            if areal_only:
                feats = [f for f in feats if shapely.get_dimensions(f.geometry) == 2]
            return feats

    def matching_industry(self, cid: str, terms: frozenset[str]) -> list[Feature]:
        with self._lock:
            attrs, _ = self._get(cid).attributes()
            return [attrs.features[p] for p in attrs.industry_positions(terms)]

    def matching_name(self, cid: str, query: str) -> list[tuple[Feature, float]]:
        with self._lock:
            attrs, _ = self._get(cid).attributes()
            return [(attrs.features[i], s) for i, s in attrs.matching_name(query)]

    # --- writes ---------------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        return True

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """This thread and process alone write (other processes wait on the lock file), and
        the layers are current when the write begins."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self.refresh()
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def put_layer(self, layer: NewLayer) -> CollectionMeta:
        check_layer_id(layer.id)
        # a tag may name the indicator by id or by its Chinese or English name; the id is kept
        tag = check_indicator(self._indicators, layer.indicator).id if layer.indicator else ""
        frame = layer.frame
        if "id" not in frame.columns:
            raise InvalidParameter("the layer has no 'id' column; expected one id per feature")
        ids = frame["id"]
        dup = ids[ids.duplicated()]
        if len(dup):
            raise Conflict(f"feature id {str(dup.iloc[0])!r} is used twice; expected unique ids")
        meta = {
            "uuid": uuid.uuid4().hex, "title_zh": layer.title_zh, "title_en": layer.title_en,
            "description_zh": layer.description_zh, "description_en": layer.description_en,
            "indicator": tag, "source": layer.source,
            "imported": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / f"{layer.id}.gpkg"
        tmp = self.root / f".{layer.id}.{meta['uuid']}.tmp.gpkg"
        try:
            gpkg.write(tmp, frame, meta)  # a new file: no lock needed, readers go on
            with self._writing():
                os.replace(tmp, final)
                _fsync_dir(self.root)
        finally:
            tmp.unlink(missing_ok=True)
        self.refresh()
        with self._lock:
            if self._lazy:  # describe the new layer without loading it back
                frame = layer.frame
                x0, y0, x1, y1 = (float(v) for v in frame.total_bounds)
                return CollectionMeta(
                    id=layer.id, group=USER_GROUP, title_zh=layer.title_zh or layer.id,
                    title_en=layer.title_en or layer.id, description_zh=layer.description_zh,
                    description_en=layer.description_en,
                    geometry_types=tuple(sorted(set(frame.geom_type.dropna()))), count=len(frame),
                    extent=(x0, y0, x1, y1) if len(frame) else None, version=f"{meta['uuid'][:12]}.0",
                    editable=True, indicator=tag or None)
            return self._get(layer.id).collection_meta()

    def drop_layer(self, cid: str) -> None:
        with self._writing():
            layer = self._get(cid)
            layer.path.unlink()
            _fsync_dir(self.root)
            self.refresh()

    def create(self, cid: str, feature: Mapping[str, Any]) -> Feature:
        with self._writing():
            layer = self._get(cid)
            fid = feature_id(feature) or uuid.uuid4().hex[:12]
            if fid in layer.slot_of:
                raise Conflict(f"feature {fid!r} exists in collection {cid!r}; replace it with PUT "
                               "or create it without an id")
            geom, values = check_feature(layer.id, layer.types, layer.geometry_types, feature)
            names = ["id", gpkg.GEOM, *values]
            cur = self._write(layer, "put",
                              f'INSERT INTO "{gpkg.TABLE}" ({", ".join(map(_q, names))}) '
                              f'VALUES ({", ".join("?" * len(names))})',
                              [fid, gpkg.encode(geom), *values.values()])
            return layer.feats[cur]

    def replace(self, cid: str, fid: str, feature: Mapping[str, Any]) -> Feature:
        with self._writing():
            layer = self._get(cid)
            slot = layer.slot_of.get(fid)
            if slot is None:
                raise NotFound(f"feature {checks.shown(fid)} not found in collection {cid!r}")
            given = feature_id(feature)
            if given is not None and given != fid:
                raise InvalidParameter(f"the body's id {given!r} differs from the URL's {fid!r}; "
                                       "expected the same id or none")
            geom, values = check_feature(layer.id, layer.types, layer.geometry_types, feature)
            for c in layer.types:  # properties not given are cleared: a replace is whole
                if c != "id":
                    values.setdefault(c, None)
            sets = ", ".join(f"{_q(c)} = ?" for c in [gpkg.GEOM, *values])
            self._write(layer, "put", f'UPDATE "{gpkg.TABLE}" SET {sets} WHERE fid = ?',
                        [gpkg.encode(geom), *values.values(), slot], slot)
            return layer.feats[slot]

    def delete(self, cid: str, fid: str) -> None:
        with self._writing():
            layer = self._get(cid)
            slot = layer.slot_of.get(fid)
            if slot is None:
                raise NotFound(f"feature {checks.shown(fid)} not found in collection {cid!r}")
            self._write(layer, "del", f'DELETE FROM "{gpkg.TABLE}" WHERE fid = ?', [slot], slot)

    def _write(self, layer: _Layer, op: str, sql: str, params: list[Any], slot: int | None = None) -> int:
        """Run one row change and log it in one transaction; then update this process."""
        conn = layer.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(sql, params)
            slot = int(cur.lastrowid) if slot is None else slot  # type: ignore[arg-type]
            seq = conn.execute("INSERT INTO corridor_changes (op, fid) VALUES (?, ?)", (op, slot)).lastrowid
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._reread(layer, slot)
        layer.seq = int(seq)  # type: ignore[arg-type]
        return slot


def check_feature(layer_id: str, types: Mapping[str, str], geometry_types: Sequence[str],
                  feature: Mapping[str, Any]) -> tuple[shapely.Geometry, dict[str, Any]]:
    """The geometry and column values of a GeoJSON Feature checked against a layer: its id,
    its columns' declared SQL types and its geometry types (every store that takes edits
    applies these rules, with these messages).

    Raises
    ------
    InvalidParameter
        Naming what does not fit and what was expected.
    """
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise InvalidParameter("expected a GeoJSON Feature object ({\"type\": \"Feature\", ...})")
    if feature.get("geometry") is None:
        raise InvalidParameter("the feature has no geometry; expected a GeoJSON geometry in lon/lat")
    geom = parse_geometry(feature["geometry"])
    if geom.geom_type not in geometry_types:
        raise InvalidParameter(f"geometry type {geom.geom_type} does not fit collection "
                               f"{layer_id!r}; expected {' or '.join(geometry_types)}")
    props = feature.get("properties") or {}
    if not isinstance(props, Mapping):
        raise InvalidParameter("properties must be a JSON object")
    values: dict[str, Any] = {}
    for name, value in props.items():
        if name == "id":
            continue
        typ = types.get(name)
        if typ is None:
            raise InvalidParameter(
                f"property {checks.shown(name)} is not in collection {layer_id!r}; expected "
                f"some of {', '.join(c for c in types if c != 'id') or '(no properties)'}")
        values[name] = _column_value(name, value, typ)
    return geom, values


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def feature_id(feature: Mapping[str, Any]) -> str | None:
    """The id a client gave a feature (``id``, else ``properties.id``), as text."""
    fid = feature.get("id") if isinstance(feature, Mapping) else None
    if fid is None and isinstance(feature, Mapping) and isinstance(feature.get("properties"), Mapping):
        fid = feature["properties"].get("id")
    if fid is None:
        return None
    if isinstance(fid, bool) or not isinstance(fid, (str, int)) or not str(fid).strip():
        raise InvalidParameter(f"feature id {checks.shown(fid)} is not valid; expected a non-empty "
                               "string or an integer")
    return checks.text(str(fid), "id", checks.MAX_ID)


def _column_value(name: str, value: Any, typ: str) -> Any:
    """``value`` for a column of SQL type ``typ``, or an error naming both."""
    if value is None:
        return None
    ok: bool
    if typ == "BOOLEAN":
        ok = isinstance(value, bool)
    elif typ in ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif typ in ("REAL", "FLOAT", "DOUBLE"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
    else:  # TEXT, DATE, DATETIME
        ok = isinstance(value, str)
    if not ok:
        expected = {"BOOLEAN": "true or false", "REAL": "a finite number"}.get(
            typ, "an integer" if "INT" in typ else "a string")
        raise InvalidParameter(f"property {name!r} = {checks.shown(value)}; expected {expected}")
    return int(value) if typ == "BOOLEAN" else value


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
