"""The dashboard's inline SVG charts."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from bot.web.charts import Bar, bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


def bar_heights(svg: str) -> list[float]:
    root = ET.fromstring(svg)
    return [float(rect.get("height")) for rect in root.iter(f"{SVG}rect")]


def test_column_heights_are_proportional_and_labels_thinned() -> None:
    svg = str(column_chart([Bar("11-01", 2), Bar("11-02", 0), Bar("11-03", 4)], "每日", label_every=2))
    heights = bar_heights(svg)
    assert heights[1] == 0 and heights[2] == 2 * heights[0] > 0
    labels = re.findall(r'text-anchor="middle" fill="#333">([^<]+)<', svg)
    assert labels == ["11-01", "11-03"]
    assert 'role="img"' in svg and "<title>每日</title>" in svg


def test_axis_maximum_is_a_round_number() -> None:
    svg = str(column_chart([Bar("a", 7)], "t", height=212))  # a plot 172 high (12 above, 28 below)
    assert ">10</text>" in svg
    assert bar_heights(svg) == [120.4]  # 7 of 10


def test_labels_are_escaped_and_empty_charts_say_so() -> None:
    svg = str(bar_chart([Bar("<script>x</script>", 3)], "项目 & 状态"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "项目 &amp; 状态" in svg
    ET.fromstring(svg)  # well-formed
    assert "暂无数据" in str(bar_chart([], "空"))
