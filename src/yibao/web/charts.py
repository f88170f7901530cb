"""Server-drawn inline SVG charts: no JavaScript, no CDN, nothing to vendor. Amounts are fen;
labels show yuan (or 万元 on axes) with the project's formatting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from yibao.money import format_yuan

PALETTE = ("#1f5fa8", "#d9822b", "#2e8b57", "#8e44ad", "#c0392b", "#7f8c8d", "#16a085")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]  # fen, one per category
    color: str


def _axis_label(fen: int) -> str:
    """Axis ticks in 万元 once amounts are large (an axis needs no fen precision)."""
    yuan = fen / 100
    if abs(yuan) >= 10_000:
        return f"{yuan / 10_000:,.1f}万"
    return f"{yuan:,.0f}"


def _nice_max(value: int) -> int:
    if value <= 0:
        return 100
    magnitude: int = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return 10 * magnitude


def _legend(series: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    out = []
    for name, color in series:
        out.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + 16:.1f}" y="{y:.1f}" class="lg">{escape(name)}</text>')
        x += 24 + 14 * len(name)
    return out


def grouped_bars(
    title: str, categories: Sequence[str], series: Sequence[Series], height: int = 280
) -> Markup:
    """Vertical grouped bars (e.g. revenue vs expenditure by month)."""
    width = max(520, 60 + 56 * len(categories) * max(1, len(series)) // 2 + 40)
    left, right, top, bottom = 70, 20, 40, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((v for s in series for v in s.values), default=0))
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        value = peak * i // 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
            f"{_axis_label(value)}</text>"
        )
    slot = plot_w / max(1, len(categories))
    bar = min(28.0, slot * 0.8 / max(1, len(series)))
    for ci, cat in enumerate(categories):
        x0 = left + slot * ci + (slot - bar * len(series)) / 2
        for si, s in enumerate(series):
            v = s.values[ci]
            h = plot_h * max(v, 0) / peak
            x = x0 + si * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 2:.1f}" '
                f'height="{h:.1f}" fill="{s.color}"><title>{escape(cat)} {escape(s.name)}：'
                f"{format_yuan(v)}元</title></rect>"
            )
        parts.append(
            f'<text x="{left + slot * ci + slot / 2:.1f}" y="{top + plot_h + 18}" '
            f'class="tick" text-anchor="middle">{escape(cat)}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" class="axis"/>'
    )
    parts.append(f'<text x="{left}" y="16" class="unit">单位：元</text>')
    parts += _legend([(s.name, s.color) for s in series], left + 90, 18)
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(
    title: str, items: Sequence[tuple[str, int]], color: str = PALETTE[0]
) -> Markup:
    """One bar per item, labelled with its amount (e.g. expenditure by med_type)."""
    row, left, right = 28, 110, 110
    width = 470
    height = 16 + row * max(1, len(items))
    peak = max((v for _, v in items), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(items):
        y = 8 + i * row
        w = (width - left - right) * max(value, 0) / peak
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" class="tick" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="18" fill="{color}" rx="2"/>'
        )
        parts.append(
            f'<text x="{left + w + 6:.1f}" y="{y + 16}" class="val">{format_yuan(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar(title: str, layers: Sequence[tuple[str, int, str]]) -> Markup:
    """One horizontal bar split into layers (基本医保 / 大病保险 / 医疗救助 / 个人自付), each
    segment's width its share of the total, with a legend giving the amounts."""
    width, height, left, bar_h = 760, 84, 0, 34
    total = sum(max(v, 0) for _, v, _ in layers)
    parts = [
        f'<svg class="chart layers" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    x = float(left)
    for label, value, color in layers:
        if total <= 0 or value <= 0:
            continue
        w = width * value / total
        parts.append(
            f'<rect x="{x:.2f}" y="4" width="{w:.2f}" height="{bar_h}" fill="{color}" '
            f'data-layer="{escape(label)}"><title>{escape(label)}：{format_yuan(value)}元</title>'
            "</rect>"
        )
        if w > 70:
            share = 100 * value / total
            parts.append(
                f'<text x="{x + w / 2:.2f}" y="{4 + bar_h / 2 + 5}" class="seg" '
                f'text-anchor="middle">{share:.1f}%</text>'
            )
        x += w
    y = 4 + bar_h + 30
    lx = 0.0
    for label, value, color in layers:
        parts.append(f'<rect x="{lx:.1f}" y="{y - 11}" width="12" height="12" fill="{color}"/>')
        text = f"{label} {format_yuan(value)}元"
        parts.append(f'<text x="{lx + 16:.1f}" y="{y}" class="lg">{escape(text)}</text>')
        lx += 30 + 9.5 * len(text)
    parts.append("</svg>")
    return Markup("".join(parts))
