"""The PDF reports, read back with poppler (pdfinfo, pdftotext, pdffonts, pdftoppm) and zbar
(zbarimg): every report opens, is A4, has the park's names and the plan's words as text, embeds
its CJK font, and carries a QR code that decodes to the view's address. Expectations come from
the data files (FileCatalog), not from the code that made the report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from catalog import word

TOOLS = ("pdfinfo", "pdftotext", "pdffonts", "pdftoppm", "zbarimg")
MISSING = [t for t in TOOLS if shutil.which(t) is None]
if MISSING:
    reason = f"{', '.join(MISSING)} not installed (apt-get install poppler-utils zbar-tools)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytestmark = pytest.mark.skip(reason=reason)

A4_PT = (595.276, 841.89)


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout


def save(tmp_path: Path, resp, name: str) -> Path:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/pdf"
    path = tmp_path / name
    path.write_bytes(resp.data)
    return path


def info(pdf: Path) -> dict[str, str]:
    out = run("pdfinfo", str(pdf))
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)


def pages_are_a4(pdf: Path) -> int:
    """The page count, after checking every page is A4."""
    n = int(info(pdf)["Pages"])
    out = run("pdfinfo", "-f", "1", "-l", str(n), str(pdf))
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out)
    assert len(sizes) == n
    assert all(abs(float(w) - A4_PT[0]) < 0.5 and abs(float(h) - A4_PT[1]) < 0.5 for w, h in sizes)
    return n


def text(pdf: Path, page: int | None = None) -> str:
    """The text of the PDF (or one page) with every blank removed, so that line breaks the
    layout chose do not matter."""
    pages = [] if page is None else ["-f", str(page), "-l", str(page)]
    return re.sub(r"\s+", "", run("pdftotext", *pages, str(pdf), "-"))


def squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


def fonts(pdf: Path) -> list[list[str]]:
    lines = run("pdffonts", str(pdf)).splitlines()[2:]
    return [line.split() for line in lines if line.strip()]


def qr(pdf: Path, page: int, tmp_path: Path) -> str:
    """What the QR code of ``page`` decodes to (rendered at 200 dpi)."""
    stem = tmp_path / f"{pdf.stem}-p{page}"
    run("pdftoppm", "-r", "200", "-png", "-f", str(page), "-l", str(page), "-singlefile",
        str(pdf), str(stem))
    out = subprocess.run(["zbarimg", "--raw", "-q", f"{stem}.png"], capture_output=True,
                         text=True, timeout=60).stdout.strip().splitlines()
    assert len(out) == 1, out
    return out[0]


def check_fonts(pdf: Path) -> None:
    rows = fonts(pdf)
    assert rows and any("WenQuanYiMicroHei" in r[0] for r in rows)
    # columns: name type encoding emb sub uni object ID (the type may be two words)
    assert all(r[-5] == "yes" for r in rows), rows  # every font embedded


@pytest.fixture(scope="module")
def web(any_app):
    return any_app.test_client()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_profile_report_has_the_names_plan_words_font_and_qr(web, catalog, tmp_path, lang):
    parks = catalog.collection("parks").gdf
    for pid in ("park-blue-silicon-valley", "park-qingdao-future-tech-park"):
        row = parks.loc[pid]
        pdf = save(tmp_path, web.get(f"/parks/{pid}.pdf?lang={lang}"), f"{pid}-{lang}.pdf")
        assert pages_are_a4(pdf) == 1
        words = text(pdf)
        assert squeeze(row["name_zh"]) in words and squeeze(row["name_en"]) in words
        assert squeeze(row["plan_text"]) in words
        if lang == "en":
            assert squeeze(row["plan_text_en"]) in words
        check_fonts(pdf)
        assert qr(pdf, 1, tmp_path) == f"http://localhost/parks/{pid}?lang={lang}"
        if row.geometry is None:
            unplaced = "Location not published: this item is listed, not placed on the map."
            assert squeeze(word(lang, unplaced)) in words
        else:
            assert squeeze(word(lang, "Within %(km)s km", km="5")) in words
            assert squeeze(word(lang, "Research near the park (from its boundary, geodesic)")) in words
        assert squeeze(word(lang, "Park profile")) in info(pdf)["Title"].replace(" ", "")


def test_the_comparison_report_has_a_page_per_park(web, catalog, tmp_path):
    parks = catalog.collection("parks").gdf
    pdf = save(tmp_path, web.get("/parks.pdf?lang=en"), "parks-en.pdf")
    assert pages_are_a4(pdf) == 1 + len(parks)
    first = text(pdf, 1)
    assert all(squeeze(name) in first for name in parks["name_en"])
    for i, (pid, row) in enumerate(parks.iterrows(), start=2):
        page = text(pdf, i)
        assert squeeze(row["name_zh"]) in page and squeeze(row["name_en"]) in page, pid
        assert squeeze(row["plan_text"]) in page, pid
    check_fonts(pdf)
    assert qr(pdf, 1, tmp_path) == "http://localhost/parks?lang=en"
    assert qr(pdf, 3, tmp_path) == f"http://localhost/parks/{parks.index[1]}?lang=en"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_match_report_summarises_then_a_page_per_park(web, catalog, tmp_path, lang):
    query = "industry=semiconductor,%E6%B5%B7%E6%B4%8B%E7%94%9F%E7%89%A9%E5%8C%BB%E8%8D%AF&km=8&w-area=0.5"
    doc = web.get(f"/api/match?{query}").get_json()
    pdf = save(tmp_path, web.get(f"/api/match?{query}&f=pdf&lang={lang}"), f"match-{lang}.pdf")
    assert pages_are_a4(pdf) == 1 + len(doc["matches"])
    summary = text(pdf, 1)
    names = [squeeze(m["park"][f"name_{lang}"]) for m in doc["matches"]]
    at = [summary.index(n) for n in names]
    assert at == sorted(at)  # in rank order
    parks = catalog.collection("parks").gdf
    for i, m in enumerate(doc["matches"], start=2):
        page = text(pdf, i)
        row = parks.loc[m["park"]["id"]]
        assert squeeze(row["name_zh"]) in page and squeeze(row["name_en"]) in page
        assert squeeze(row["plan_text"]) in page
    check_fonts(pdf)
    view = urlsplit(qr(pdf, 1, tmp_path))
    asked = parse_qs(view.query)
    assert asked["industry"] == ["semiconductor,海洋生物医药"] and asked["km"] == ["8"]
    assert asked["w-area"] == ["0.5"] and asked["lang"] == [lang]
    first = doc["matches"][0]["park"]["id"]
    assert qr(pdf, 2, tmp_path) == f"http://localhost/parks/{first}?lang={lang}"


def test_an_unknown_park_has_no_report(client):
    assert client.get("/parks/no-such-park.pdf").status_code == 404


def test_the_wheel_carries_the_font_and_its_licence(tmp_path):
    """``pip install .`` on a fresh machine gets the font the reports embed, with its licence."""
    import sys
    import zipfile

    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(root)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("WenQuanYiMicroHei-subset.ttf", "LICENSE-Apache-2.0.txt", "README.md"):
        assert f"web/reports/fonts/{name}" in names


def test_reports_give_each_user_layer_count_per_park(user_client, catalog, tmp_path):
    """With a SYNTHETIC user layer loaded, the profile and match reports give its count in
    the park, as brute force counts it from the files."""
    from datafiles import SYNTHETIC_USER_ENTRY, brute_zones, synthetic_user_layer

    expected = brute_zones(synthetic_user_layer(), catalog.collection("parks"))
    pid = "park-blue-silicon-valley"
    title = squeeze(SYNTHETIC_USER_ENTRY["title_en"])
    pdf = save(tmp_path, user_client.get(f"/parks/{pid}.pdf?lang=en"), "layer.pdf")
    assert f"{title}:{len(expected[pid])}" in text(pdf)
    pdf = save(tmp_path, user_client.get("/api/match?layer=synthetic&research=&f=pdf&lang=en"),
               "layer-match.pdf")
    doc = user_client.get("/api/match?layer=synthetic&research=").get_json()
    for i, m in enumerate(doc["matches"], start=2):
        want = expected[m["park"]["id"]]
        got = "locationnotpublished:notmeasured" if want is None else f"{len(want)}·{len(want)}pts"
        assert f"{title}:{got}" in text(pdf, i), m["park"]["id"]
