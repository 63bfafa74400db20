"""User layers of the in-process engine: a directory of GeoPackage files that take imports and
edits.

Each layer is one GeoPackage file ``<root>/<layer id>.gpkg`` (:mod:`corridor.store.gpkg`).
A process holds every layer in memory: each feature's GeoJSON bytes under its row id (slot),
and a :class:`~corridor.store.engine.snapshot.Snapshot` of the layer (index and attribute
lookups) built on the first read after each change, so user layers answer every question
exactly as the bundled collections do.

Writes, and how other processes see them:

- **Importing** (:meth:`LayerDir.put_layer`) writes a complete new file beside the old one
  and renames it over it (``os.replace``): a reader sees the old version or the new one,
  never half of either; a failed import leaves the old file untouched.
- **Editing** one feature (:meth:`~LayerDir.create`, :meth:`~LayerDir.replace`,
  :meth:`~LayerDir.delete`) is one SQLite transaction that changes the row and appends to
  the file's change log; the writing process updates its features in place.
- :meth:`LayerDir.refresh` (once a request) lists the directory, notices replaced, new or
  removed files by inode, and asks each file's connection whether another connection
  committed (``PRAGMA data_version``); it then replays just the logged rows.
- Writes from several processes are serialised by an exclusive lock on ``<root>/.lock``.

Every layer's version is ``<uuid of its import>.<last change number>``; caches and ETags key
on it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shapely

from corridor import checks
from corridor.errors import Conflict, InvalidParameter, NotFound
from corridor.indicators import check_indicator
from corridor.model import USER_GROUP, CollectionMeta, Feature, Indicator, NewLayer
from corridor.roads import is_network
from corridor.store import gpkg
from corridor.store.engine.snapshot import Snapshot
from corridor.store.layerrules import (
    LAYER_ID,
    check_feature,
    check_layer_id,
    column_queryables,
    feature_bytes,
    feature_id,
)

_GEOMETRY_TYPES = {
    "POINT": ("Point",), "MULTIPOINT": ("MultiPoint",), "LINESTRING": ("LineString",),
    "MULTILINESTRING": ("MultiLineString",), "POLYGON": ("Polygon",),
    "MULTIPOLYGON": ("MultiPolygon",),
}


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
    feats: dict[int, Feature]
    slot_of: dict[str, int]
    seq: int
    data_version: int
    _snap: tuple[int, Snapshot] | None = field(default=None)

    @property
    def version(self) -> str:
        return f"{self.meta['uuid'][:12]}.{self.seq}"

    def snapshot(self) -> Snapshot:
        """The layer as it is now, indexed (built once per change, on the first read)."""
        if self._snap is None or self._snap[0] != self.seq:
            feats = [self.feats[s] for s in sorted(self.feats)]
            queryables = column_queryables(self.types, self.geometry_types)
            self._snap = (self.seq, Snapshot(self.collection_meta(), feats, queryables))
        return self._snap[1]

    def collection_meta(self) -> CollectionMeta:
        """The layer's metadata (count and extent are those of its snapshot)."""
        m = self.meta
        return CollectionMeta(
            id=self.id, group=USER_GROUP, title_zh=m.get("title_zh") or self.id,
            title_en=m.get("title_en") or self.id, description_zh=m.get("description_zh", ""),
            description_en=m.get("description_en", ""), geometry_types=self.geometry_types,
            roles=frozenset(), count=len(self.feats), version=self.version, editable=True,
            indicator=m.get("indicator") or None,
            network=is_network(self.geometry_types, user_layer=True),
        )


class LayerDir:
    """The user layers stored under ``root`` (created on the first import).

    Parameters
    ----------
    root
        Directory of the layer files.
    indicators
        The plan's indicators, which a layer may be tagged with (an unknown tag is refused).
    lazy
        Load a layer only when it is read (writers such as ``corridor import``); a serving
        engine loads every layer at once.
    """

    def __init__(self, root: Path | str, indicators: Sequence[Indicator] = (), lazy: bool = False) -> None:
        self.root = Path(root)
        self._indicators = tuple(indicators)
        self._layers: dict[str, _Layer] = {}
        #: Layer files seen by the last refresh: name -> (path, inode).
        self._files_seen: dict[str, tuple[Path, int]] = {}
        #: The version, with the per-layer versions it was hashed from.
        self._version: tuple[tuple[str, ...] | None, str] = (None, "")
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
        feats: dict[int, Feature] = {}
        texts = shapely.to_geojson(geoms) if len(rows) else []
        for r, g, text in zip(rows, geoms, texts):
            feats[r[0]] = self._feature(name, str(r[2]), g, text, cols, r[3:], types)
        return _Layer(
            id=name, path=path, inode=inode, conn=conn, pid=os.getpid(), meta=meta,
            types=types, geometry_types=_GEOMETRY_TYPES.get(gtype, ("Point", "LineString", "Polygon")),
            feats=feats, slot_of={f.id: s for s, f in feats.items()},
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
        if row is None:
            return
        geom = gpkg.decode(row[0])
        text = None if geom is None else shapely.to_geojson(geom)
        feat = self._feature(layer.id, str(row[1]), geom, text, cols, row[2:], layer.types)
        layer.feats[slot] = feat
        layer.slot_of[feat.id] = slot

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

    def names(self) -> list[str]:
        """Ids of the stored layers, sorted."""
        with self._lock:
            return sorted(self._files_seen)

    def __contains__(self, cid: object) -> bool:
        with self._lock:
            return cid in self._files_seen

    def snapshot(self, cid: str) -> Snapshot:
        """Layer ``cid`` as it is now.

        Raises
        ------
        NotFound
            If there is no such layer.
        """
        with self._lock:
            return self._get(cid).snapshot()

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

    def _get(self, cid: str) -> _Layer:
        layer = self._layers.get(cid)
        if layer is None and cid in self._files_seen:  # a lazy store loads on first use
            self._load(cid, *self._files_seen[cid])
            layer = self._layers[cid]
        if layer is None:
            raise NotFound(f"collection {checks.shown(cid)} not found; expected one of the layers "
                           f"{', '.join(sorted(self._layers)) or '(none stored)'}")
        return layer

    # --- writes ---

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
                    editable=True, indicator=tag or None,
                    network=is_network(tuple(sorted(set(frame.geom_type.dropna()))), user_layer=True))
            return self._get(layer.id).snapshot().meta

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



def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
