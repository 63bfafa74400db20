"""Connections to PostgreSQL for the PostGIS store: a psycopg-pool per process, and database
failures turned into :class:`~corridor.errors.Unavailable` quickly.

- **One pool a process, opened on first use.** gunicorn builds the app in its master and
  forks the workers (``--preload``); a connection must never cross a fork (two processes
  would talk over one socket), so every pool is closed just before any ``os.fork`` and each
  process opens its own when it first needs one.
- **A busy pool** (every connection in use for ``timeout`` seconds) raises Unavailable,
  saying so: the request is answered 503 rather than queued without end.
- **A dead server.** A connection that breaks (the server restarted or went away) makes the
  whole pool suspect, as its idle connections died with it: it is replaced by a new one,
  and a read is retried once on it. If the server cannot be reached within the connect
  timeout, the database is marked *down*: requests then fail at once (no waiting for the
  pool's timeout), except one probe connection every :data:`PROBE_INTERVAL` seconds; the
  first probe that connects brings a fresh pool back. No restart of the app is needed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from corridor.errors import Unavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds between two probes of a database marked down.
PROBE_INTERVAL = 0.5
_open: weakref.WeakSet[Database] = weakref.WeakSet()


class _Busy(Unavailable):
    """No connection came free in time (Unavailable, as the client sees it)."""


def _close_before_fork() -> None:
    for db in list(_open):
        db.close()


os.register_at_fork(before=_close_before_fork)


class _Pool(ConnectionPool):
    """A ConnectionPool that is safe to drop without :meth:`close`.

    psycopg-pool's own ``__del__`` joins the pool's worker threads. The garbage collector
    may run it *in one of those workers* (any thread that allocates can trigger a
    collection), and a thread cannot join itself: the pool is then left half-stopped, its
    connections open, and Python reports an ignored exception. Here a dropped open pool is
    closed properly (connections returned to the server) from a thread of its own.
    """

    def __del__(self) -> None:
        if getattr(self, "_closed", True):  # closed already, or __init__ failed
            return
        # the new thread holds the pool until it is closed; __del__ is not called again
        threading.Thread(target=self.close, kwargs={"timeout": 1.0}, daemon=True,
                         name="corridor-pool-close").start()


def _broken(conn: psycopg.Connection[Any] | None) -> bool:
    """Whether the connection died (the server went away or restarted), rather than a query
    failing on a live connection."""
    return conn is not None and (conn.broken or conn.closed)


class Database:
    """A PostgreSQL database reached through a per-process pool (see the module docstring).

    Parameters
    ----------
    url
        libpq connection string or URL (``postgresql://user:pass@host:5432/db``).
    pool_size
        Connections each process keeps (and at most opens).
    timeout
        Seconds a request waits for a free connection before Unavailable.
    connect_timeout
        Seconds a new connection may take before the server is deemed unreachable.
    """

    def __init__(self, url: str, pool_size: int = 4, timeout: float = 2.0,
                 connect_timeout: float = 2.0) -> None:
        if pool_size < 1:
            raise ValueError(f"pool size {pool_size!r}; expected an integer >= 1")
        self.url = url
        self.pool_size = int(pool_size)
        self.timeout = float(timeout)
        self.connect_timeout = max(1, round(connect_timeout))
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._pid = 0
        self._down_since: float | None = None
        self._last_probe = 0.0
        #: Connections this process holds now (a timeout with none held means no connection
        #: could be made at all: the database is unreachable, not busy).
        self._in_use = 0

    def _new_pool(self) -> ConnectionPool:
        pool = _Pool(
            self.url, min_size=self.pool_size, max_size=self.pool_size, open=False,
            timeout=self.timeout, name="corridor",
            # a replacement connection is retried for a few seconds, then left to the next
            # request (the pool's default, five minutes of backoff, would delay recovery)
            reconnect_timeout=max(2.0, 2 * self.connect_timeout),
            kwargs={"autocommit": True, "connect_timeout": self.connect_timeout,
                    "application_name": "corridor"},
            configure=_configure,
        )
        pool.open(wait=False)
        _open.add(self)
        return pool

    def pool(self) -> ConnectionPool:
        """This process's pool (opened on first use)."""
        pool = self._pool
        if pool is not None and self._pid == os.getpid():
            return pool
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = self._new_pool()  # a pool inherited through fork is dropped
                self._pid = os.getpid()
            return self._pool

    def _replace_pool(self, old: ConnectionPool) -> None:
        with self._lock:
            if self._pool is not old:
                return  # another thread did it
            self._pool = self._new_pool()
        threading.Thread(target=old.close, kwargs={"timeout": 1.0}, daemon=True).start()

    def close(self) -> None:
        """Close this process's pool (a later use opens a new one)."""
        with self._lock:
            pool, self._pool = self._pool, None
            if pool is not None and self._pid == os.getpid():
                pool.close(timeout=1.0)

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def _check_down(self) -> None:
        """Fail at once while the database is marked down, but let one probe through every
        :data:`PROBE_INTERVAL` seconds; a probe that connects clears the mark."""
        since = self._down_since
        if since is None:
            return
        now = time.monotonic()
        with self._lock:
            probe = now - self._last_probe >= PROBE_INTERVAL
            if probe:
                self._last_probe = now
        if not probe:
            raise Unavailable(f"the database is unreachable (for {now - since:.1f} s); "
                              "retry shortly")
        try:
            psycopg.connect(self.url, connect_timeout=self.connect_timeout,
                            application_name="corridor-probe").close()
        except psycopg.Error as exc:
            raise Unavailable(f"the database is unreachable: {_first_line(exc)}") from None
        log.warning("database reachable again after %.1f s", now - since)
        old = self._pool
        if old is not None and self._pid == os.getpid():
            self._replace_pool(old)
        self._down_since = None

    def _mark_down(self, exc: BaseException) -> None:
        if self._down_since is None:
            log.warning("database unreachable: %s", _first_line(exc))
            self._down_since = time.monotonic()
            self._last_probe = self._down_since

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection[Any]]:
        """A connection from the pool, for one unit of work.

        Raises
        ------
        Unavailable
            If the database is down, or no connection frees up within the timeout.
        """
        self._check_down()
        pool = self.pool()
        try:
            conn = pool.getconn(self.timeout if timeout is None else timeout)
        except PoolTimeout:
            if self._in_use == 0:
                exc = Unavailable("the database is unreachable (no connection could be made); "
                                  "retry shortly")
                self._mark_down(exc)
                raise exc from None
            raise _Busy(
                f"all {self.pool_size} database connections of this process stayed busy for "
                f"{self.timeout:g} s; retry shortly") from None
        except PoolClosed:
            raise Unavailable("the database pool is closing; retry shortly") from None
        with self._lock:
            self._in_use += 1
        try:
            yield conn
        finally:
            with self._lock:
                self._in_use -= 1
            pool.putconn(conn)  # a broken connection is discarded by the pool

    def run(self, fn: Callable[[psycopg.Connection[Any]], T], retry: bool = True) -> T:
        """``fn(conn)`` on a pooled connection. If the connection turns out dead, the pool is
        replaced and, with ``retry`` (reads: safe to repeat), ``fn`` runs once more on a new
        connection, waiting at most the connect timeout for it.

        Raises
        ------
        Unavailable
            If the database cannot be reached (then it is marked down), a statement timed
            out, or no connection is free.
        """
        for attempt in (1, 2):
            pool = self.pool()
            conn = None
            try:
                with self.connection(timeout=None if attempt == 1 else
                                     max(self.timeout, float(self.connect_timeout))) as conn:
                    return fn(conn)
            except _Busy as exc:
                if attempt == 2:  # a new pool could not make a single connection
                    self._mark_down(exc)
                    raise Unavailable("the database is unreachable; retry shortly") from None
                raise
            except psycopg.Error as exc:
                if not _broken(conn):
                    if isinstance(exc, psycopg.errors.QueryCanceled):
                        raise Unavailable("the database query took too long (statement_timeout); "
                                          "retry or narrow the request") from None
                    if isinstance(exc, psycopg.errors.LockNotAvailable):
                        raise Unavailable("the collection is being read by long queries, so it "
                                          "could not be replaced now; retry shortly") from None
                    raise
                self._replace_pool(pool)
                if attempt == 2 or not retry:
                    self._mark_down(exc)
                    raise Unavailable(f"the database connection failed: {_first_line(exc)}; "
                                      "retry shortly") from None
                log.info("database connection lost (%s); retrying on a new one", _first_line(exc))
        raise AssertionError("unreachable")

    def fetch_all(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        """The rows of one read query (:meth:`run`, retried on a lost connection)."""
        return self.run(lambda c: c.execute(sql, params).fetchall())


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Session settings of every pooled connection: no parallel workers and no JIT (their
    start-up costs more than the short queries of a request take, and the app's own
    processes already use the cores)."""
    conn.execute("SET max_parallel_workers_per_gather = 0")
    conn.execute("SET jit = off")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
