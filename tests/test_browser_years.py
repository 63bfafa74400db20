"""The indicators page's counts by year in headless Chromium, both languages: a SYNTHETIC
tagged layer with a date column shows its table and chart, one with two date columns says
why not; screenshots for a person to look at."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from corridor.model import NewLayer
from corridor.store import Engine


@pytest.fixture(scope="module")
def layers_dir(tmp_path_factory, store):
    root = tmp_path_factory.mktemp("browser-years") / "layers"
    rng = np.random.default_rng(5)
    n = 240
    years = rng.integers(2018, 2026, n)
    dates = ["" if i % 12 == 0 else f"{y}-{1 + i % 12:02d}-15" for i, y in enumerate(years)]

    def frame(cols):
        return gpd.GeoDataFrame({"id": [f"f{i}" for i in range(n)], **cols},
                                geometry=gpd.points_from_xy(rng.uniform(120.0, 120.6, n),
                                                            rng.uniform(35.9, 36.4, n)), crs="EPSG:4326")

    layers = Engine.user_layers(root, store.indicators())
    layers.put_layer(NewLayer("firms", frame({"name": [f"SYNTHETIC firm {i}" for i in range(n)],
                                              "certified": dates}),
                              title_en="SYNTHETIC firms", title_zh="SYNTHETIC 合成企业",
                              indicator="high-tech-enterprises"))
    layers.put_layer(NewLayer("twice", frame({"founded": dates, "certified": dates}),
                              title_en="SYNTHETIC two dates", title_zh="SYNTHETIC 两个日期",
                              indicator="high-tech-enterprises"))
    return root


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_counts_by_year_render(chromium, layers_dir, monkeypatch, lang, artifacts):
    from browser import Visit
    from conftest import serving

    monkeypatch.setenv("CORRIDOR_LAYERS_DIR", str(layers_dir))
    with serving() as base:
        v = Visit(chromium, base, "zh-CN" if lang == "zh" else "en-US")
        try:
            v.open(f"/indicators?lang={lang}")
            block = v.page.locator("#by-year-firms")
            assert block.locator("table.by-year-table tr[data-year]").count() >= 9  # 2018..2025 + no date
            assert block.locator("svg.year-chart rect").count() > 0
            box = block.locator("svg.year-chart").bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100
            why = v.page.locator("#by-year-twice .why").inner_text()
            assert ("founded" in why) and ("certified" in why)
            v.page.locator("#by-year").screenshot(path=f"/tmp/indyear-{lang}.png")
            v.page.screenshot(path=str(artifacts / f"indicators-by-year-{lang}.png"), full_page=True)
        finally:
            v.close()
