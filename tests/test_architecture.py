"""The shape issue 20 asks for, held by tests: two store engines behind one declared contract,
no caller probing the store, the domain never naming the web app (the CLI sits in web/)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import corridor.store
from corridor.errors import ReadOnly
from corridor.store.base import FeatureStore

ROOT = Path(__file__).resolve().parent.parent


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_exactly_two_concrete_store_classes():
    found = set()
    for info in pkgutil.walk_packages(corridor.store.__path__, "corridor.store."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, FeatureStore) and not inspect.isabstract(obj):
                found.add(f"{obj.__module__}.{obj.__name__}")
    assert found == {"corridor.store.engine.engine.Engine", "corridor.store.postgis.PostgisStore"}


def test_the_contract_declares_tiles_provenance_and_transactions():
    abstract = FeatureStore.__abstractmethods__
    assert {"tile", "provenance", "_put_layer", "_drop_layer", "_create", "_replace",
            "_delete", "_read_only"} <= abstract


@pytest.mark.parametrize("package", ["corridor", "web", "benchmarks"])
def test_no_caller_probes_the_store(package):
    probe = re.compile(r"\b(getattr|hasattr)\(\s*(self\.)?(store|catalog|layers|db)\b")
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in _modules(package)
            for n, line in enumerate(p.read_text().splitlines(), 1) if probe.search(line)]
    assert hits == []


def test_the_domain_never_names_the_web_app():
    pattern = re.compile(r"^\s*(from|import)\s+(web|flask)\b", re.M)
    hits = [str(p.relative_to(ROOT)) for p in _modules("corridor") if pattern.search(p.read_text())]
    assert hits == []


def test_one_read_only_error_for_every_write(store):
    """The bundled catalog refuses every kind of write with the same error, whatever the
    write (the API maps it to 405, the command line to exit 1)."""
    cid = store.collection_ids()[0]
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120.4, 36.1]}}
    messages = set()
    for write in (lambda: store.create(cid, point), lambda: store.replace(cid, "x", point),
                  lambda: store.delete(cid, "x"), lambda: store.drop_layer(cid)):
        with pytest.raises(ReadOnly) as info:
            write()
        messages.add(str(info.value))
    assert messages == {f"collection {cid!r} is part of the bundled catalog and read-only; "
                        "only user layers take writes, under a name the catalog does not use"}


#: The most lines a module of the service may have ("a few hundred lines", STYLE.md).
MAX_MODULE_LINES = 500


def _module_lines() -> dict[str, int]:
    return {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
            for package in ("corridor", "web", "geodata", "benchmarks") for p in (ROOT / package).rglob("*.py")}


def test_every_module_is_small():
    lines = _module_lines()
    assert len(lines) > 50 and "corridor/store/postgis.py" in lines  # the walk found the modules
    large = {path: n for path, n in lines.items() if n > MAX_MODULE_LINES}
    assert not large, f"modules over {MAX_MODULE_LINES} lines (split them by concern): {large}"
