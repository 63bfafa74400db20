"""The frame every report shares: A4 pages, the embedded CJK font, the styles, the footer
(date, data version, the page's QR code and address) and the build.

Every text is set in WenQuanYi Micro Hei (a subset shipped in ``fonts/``, Apache-2.0, see
``fonts/README.md``), which reportlab embeds as subsets of the glyphs a report uses, so the
PDF shows the same on any machine. Chinese lines break between any two characters
(``wordWrap="CJK"``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, TableStyle

from web.map.words import Lang, gettext, speaking

FONT_FILE = Path(__file__).resolve().parent / "fonts" / "WenQuanYiMicroHei-subset.ttf"
FONT = "WenQuanYiMicroHei"
MARGIN = 14 * mm
#: Height kept free at the foot of each page for the footer and its QR code.
FOOTER_H = 30 * mm
QR_SIZE = 24 * mm
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#5f6b7a")


@cache
def font() -> str:
    """Register the CJK font with reportlab (once) and return its name."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    return FONT


@cache
def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles, by name: title, subtitle, h2, body, small, cell."""
    f = font()
    base = ParagraphStyle("body", fontName=f, fontSize=8.6, leading=11.6, textColor=INK,
                          wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=21, spaceAfter=1),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, leading=13,
                                   textColor=MUTED, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=10.5, leading=14, spaceBefore=5,
                             spaceAfter=2, textColor=colors.HexColor("#0b5394")),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.4, leading=9.6, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.6, leading=9.6),
    }


def table_style(*commands: tuple[Any, ...]) -> TableStyle:
    """A table style whose cells' own font is the embedded one (reportlab's default,
    Helvetica, would be named in the file unembedded even under Paragraph cells)."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), font()), *commands])


#: A run of Chinese too long to stay on one line: such a text breaks between characters.
_LONG_CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]{10,}")


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain ``text`` (escaped; line breaks kept). Lines break between any two
    characters where the text has long runs of Chinese, else between words (so English
    words stay whole)."""
    st = styles()[style]
    if not _LONG_CJK.search(text):
        st = ParagraphStyle(f"{style}-words", parent=st, wordWrap=None)
    return Paragraph(escape(text).replace("\n", "<br/>"), st)


class PageLink(Flowable):
    """Invisible: says which address the QR code of the page it lands on opens (the first
    one on a page wins)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.width = self.height = 0

    def draw(self) -> None:
        page = self.canv.getPageNumber()
        links: dict[int, str] = getattr(self.canv, "_report_links", {})
        links.setdefault(page, self.url)
        self.canv._report_links = links  # type: ignore[attr-defined]


def draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """``url`` as a QR code (error correction M, 4-module quiet zone) drawn as vector
    squares with its lower left corner at ``x, y``."""
    qr = segno.make(url, error="m", micro=False)
    rows = [list(r) for r in qr.matrix]
    n = len(rows) + 8
    cell = size / n
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    path = canvas.beginPath()
    for i, row in enumerate(rows):  # one rectangle per run of dark modules in a row
        j = 0
        while j < len(row):
            if not row[j]:
                j += 1
                continue
            start = j
            while j < len(row) and row[j]:
                j += 1
            path.rect(x + (start + 4) * cell, y + size - (i + 5) * cell, (j - start) * cell, cell)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


@dataclass(frozen=True)
class Footer:
    """What every page's foot says."""

    lang: Lang
    date: str
    version: str
    sources: str
    #: The address the QR code opens on a page with no :class:`PageLink`.
    url: str

    def draw(self, canvas: Canvas, doc: Any) -> None:
        page = canvas.getPageNumber()
        url = getattr(canvas, "_report_links", {}).get(page, self.url)
        width, _ = A4
        qx = width - MARGIN - QR_SIZE
        draw_qr(canvas, url, qx, MARGIN - 2 * mm, QR_SIZE)
        canvas.saveState()
        canvas.setStrokeColor(MUTED)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, MARGIN + QR_SIZE, width - MARGIN, MARGIN + QR_SIZE)
        text_w = qx - MARGIN - 4 * mm
        with speaking(self.lang):
            lines = [gettext("Made %(date)s (UTC) · data version %(version)s", date=self.date,
                             version=self.version),
                     gettext("Scan to open online") + ": " + url,
                     self.sources,
                     gettext("Page %(page)d", page=page)]
        top = MARGIN + QR_SIZE - 3.5 * mm
        for i, line in enumerate(lines):
            p = Paragraph(escape(line), styles()["small"])
            _, h = p.wrap(text_w, 20 * mm)
            p.drawOn(canvas, MARGIN, top - h)
            top -= h + (1 * mm if i < len(lines) - 1 else 0)
        canvas.restoreState()


def build(story: Sequence[Flowable], footer: Footer, title: str) -> bytes:
    """The PDF of ``story`` on A4 pages with ``footer`` on each."""
    out = io.BytesIO()
    width, height = A4
    doc = BaseDocTemplate(out, pagesize=A4, title=title, author="Qingdao corridor map service",
                          leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=MARGIN + FOOTER_H)
    frame = Frame(MARGIN, MARGIN + FOOTER_H, width - 2 * MARGIN, height - 2 * MARGIN - FOOTER_H,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.initialFontName = font()  # no base-14 font in the file: every text is embedded
    doc.addPageTemplates([PageTemplate("page", [frame], onPageEnd=footer.draw)])
    doc.build(list(story))
    return out.getvalue()


#: Size of the text frame, for tables, the map and pages kept whole.
FRAME_W = A4[0] - 2 * MARGIN
FRAME_H = A4[1] - 2 * MARGIN - FOOTER_H - 1
