"""A server-rendered SVG bar chart of the plan's indicators: 2020 baseline against 2025
target, one pair of bars per indicator, each scaled to its own target (units differ)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from corridor.model import Indicator
from web.map.words import Lang, gettext, speaking, value_text

BASE_COLOUR = "#9ecae1"
TARGET_COLOUR = "#08519c"


def indicator_svg(indicators: Sequence[Indicator], lang: Lang, width: int = 760) -> str:
    """SVG markup: for each indicator a label, a baseline bar and a target bar with values."""
    with speaking(lang):
        label_w, value_w, row_h, bar_h, top = 300, 90, 58, 16, 34
        bar_w = width - label_w - value_w - 20
        height = top + row_h * len(indicators) + 10
        title = gettext("The plan's main S&T indicators")
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="indicator-chart" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-label="{escape(title)}">'
        )
        legend = (gettext("2020 baseline"), gettext("2025 target"))
        out = [head, _legend(legend, label_w)]
        for i, ind in enumerate(indicators):
            y = top + i * row_h
            name = ind.name_zh if lang == "zh" else ind.name_en
            unit = ind.unit_zh if lang == "zh" else ind.unit_en
            scale = max(ind.target, ind.baseline or 0.0) or 1.0
            out.append(
                f'<text x="0" y="{y + bar_h}" class="ic-label">{ind.number}. {escape(_clip(name, 24 if lang == "zh" else 44))}</text>'
                f'<text x="0" y="{y + 2 * bar_h + 4}" class="ic-unit">{escape(unit)}</text>'
            )
            for j, (value, text, colour) in enumerate(
                ((ind.baseline, value_text(ind.baseline_text, lang), BASE_COLOUR),
                 (ind.target, value_text(ind.target_text, lang), TARGET_COLOUR))
            ):
                by = y + j * (bar_h + 4)
                if value is None:
                    none = gettext("no baseline")
                    out.append(f'<text x="{label_w}" y="{by + bar_h - 3}" class="ic-none">'
                               f'{escape(none)} ({escape(text)})</text>')
                    continue
                w = max(1.0, bar_w * value / scale)
                out.append(
                    f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
                    f'<title>{escape(legend[j])}: {escape(text)}</title></rect>'
                    f'<text x="{label_w + w + 6:.1f}" y="{by + bar_h - 3}" class="ic-value">{escape(text)}</text>'
                )
        out.append("</svg>")
        return "".join(out)


def _legend(words_of: tuple[str, str], x: int) -> str:
    items = []
    for k, (words, colour) in enumerate(zip(words_of, (BASE_COLOUR, TARGET_COLOUR))):
        dx = x + k * 150
        items.append(f'<rect x="{dx}" y="6" width="14" height="14" fill="{colour}"/>'
                     f'<text x="{dx + 20}" y="18" class="ic-legend">{escape(words)}</text>')
    return "".join(items)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def year_svg(rows: Sequence[tuple[int, int, int]], title: str, lang: Lang, width: int = 520) -> str:
    """SVG markup of a layer's features by year (:meth:`corridor.yearcount.YearCounts.span`):
    for each year a bar of the cumulative count and inside it a darker bar of the year's own,
    both scaled to the last cumulative count."""
    with speaking(lang):
        top, chart_h, foot = 34, 120, 24
        height = top + chart_h + foot
        step = (width - 20) / max(1, len(rows))
        scale = max([c for _, _, c in rows] + [1])
        legend = (gettext("cumulative"), gettext("dated in the year"))
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="year-chart" role="img" '
               f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
               f'aria-label="{escape(title)}">', _legend(legend, 10)]
        base = top + chart_h
        for i, (year, added, running) in enumerate(rows):
            x = 10 + i * step
            w = max(2.0, step * 0.7)
            for value, colour in ((running, BASE_COLOUR), (added, TARGET_COLOUR)):
                h = chart_h * value / scale
                out.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
                           f'fill="{colour}"><title>{year}: {escape(legend[0])} {running:,}, '
                           f'{escape(legend[1])} {added:,}</title></rect>')
            out.append(f'<text x="{x + w / 2:.1f}" y="{base - chart_h * running / scale - 3:.1f}" '
                       f'class="ic-value" text-anchor="middle">{running:,}</text>'
                       f'<text x="{x + w / 2:.1f}" y="{base + 16}" class="ic-unit" '
                       f'text-anchor="middle">{year}</text>')
        out.append("</svg>")
        return "".join(out)
