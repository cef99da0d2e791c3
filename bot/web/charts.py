"""Small bar charts as inline SVG, drawn on the server (no script, no external library)."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Sequence

from markupsafe import Markup

BAR_COLOR = "#2f6fb0"
AXIS_COLOR = "#9aa3ad"
TEXT_COLOR = "#333"
FONT = 'font-family="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    title_text = escape(title)
    return Markup(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{title_text}" {FONT} font-size="12">'
        f"<title>{title_text}</title>{''.join(body)}</svg>"
    )


def _nice_max(value: int) -> int:
    """The axis maximum: the value rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= factor * step:
                return factor * step
        step *= 10


def column_chart(bars: Sequence[Bar], title: str, *, width: int = 1240, height: int = 220,
                 label_every: int = 5) -> Markup:
    """Vertical bars (e.g. one a day), a label under every `label_every`-th bar and the last."""
    left, right, top, bottom = 36, 8, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((bar.value for bar in bars), default=0))
    slot = plot_w / max(len(bars), 1)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{AXIS_COLOR}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="{TEXT_COLOR}">{top_value}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" fill="{TEXT_COLOR}">0</text>',
    ]
    for index, bar in enumerate(bars):
        bar_h = plot_h * bar.value / top_value
        x = left + index * slot
        body.append(
            f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{bar_h:.1f}" fill="{BAR_COLOR}">'
            f"<title>{escape(bar.label)}：{bar.value}</title></rect>"
        )
        if index % label_every == 0 or index == len(bars) - 1:
            body.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 10}" text-anchor="middle" '
                f'fill="{TEXT_COLOR}">{escape(bar.label)}</text>'
            )
    return _svg(width, height, title, body)


def bar_chart(bars: Sequence[Bar], title: str, *, width: int = 580, label_width: int = 200,
              row: int = 28) -> Markup:
    """Horizontal bars with the label on the left and the value at the end of each bar."""
    value_room = 48
    height = max(len(bars), 1) * row + 8
    plot_w = width - label_width - value_room
    top_value = _nice_max(max((bar.value for bar in bars), default=0))
    body = []
    for index, bar in enumerate(bars):
        y = 4 + index * row
        bar_w = plot_w * bar.value / top_value
        body.append(
            f'<text x="{label_width - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" '
            f'fill="{TEXT_COLOR}">{escape(bar.label)}</text>'
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{bar_w:.1f}" height="{row - 10}" '
            f'fill="{BAR_COLOR}"><title>{escape(bar.label)}：{bar.value}</title></rect>'
            f'<text x="{label_width + bar_w + 6:.1f}" y="{y + row / 2 + 4:.1f}" '
            f'fill="{TEXT_COLOR}">{bar.value}</text>'
        )
    if not bars:
        body.append(f'<text x="8" y="20" fill="{TEXT_COLOR}">暂无数据</text>')
    return _svg(width, height, title, body)
