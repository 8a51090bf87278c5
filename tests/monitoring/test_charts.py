"""Server-drawn SVG charts: escaped, accessible, and honest about what is not published."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rightsfirst.monitoring.charts import LABEL_WIDTH, VALUE_WIDTH, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_a_chart_is_well_formed_and_labelled_for_screen_readers() -> None:
    root = _parse(
        bar_chart("c1", "Persons identified", "By sex, 2026", [Bar("Female", 12, "12"), Bar("Male", 30, "30")])
    )
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Persons identified"
    assert root.find(f"{SVG}desc").text == "By sex, 2026"
    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect") if rect.get("class") == "chart-bar"]
    # Bars are proportional to their values; the largest fills the span.
    assert widths[1] > widths[0] > 0
    assert abs(widths[0] / widths[1] - 12 / 30) < 0.01


def test_a_suppressed_cell_is_hatched_and_never_drawn_as_zero() -> None:
    root = _parse(bar_chart("c2", "T", "D", [Bar("Eritrea", None, "not published"), Bar("Other", 40, "40")]))
    suppressed = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "chart-suppressed"]
    assert len(suppressed) == 1 and suppressed[0].get("fill") == "url(#c2-hatch)"
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "chart-bar"]
    assert len(bars) == 1
    assert "not published" in [text.text for text in root.iter(f"{SVG}text")]


def test_labels_are_escaped() -> None:
    svg = bar_chart("c3", "<script>alert(1)</script>", "a & b", [Bar('"><img src=x>', 1, "1")])
    assert "<script>" not in svg and "<img" not in svg
    root = _parse(svg)
    assert root.find(f"{SVG}title").text == "<script>alert(1)</script>"


def test_a_fixed_maximum_scales_percentages() -> None:
    root = _parse(bar_chart("c4", "T", "D", [Bar("Share", 50, "50%")], maximum=100))
    (bar,) = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "chart-bar"]
    full = float(root.get("width")) - LABEL_WIDTH - VALUE_WIDTH
    assert abs(float(bar.get("width")) - full / 2) < 0.2


def test_an_empty_chart_says_so() -> None:
    root = _parse(bar_chart("c5", "T", "No data for this period", []))
    assert "No data for this period" in [text.text for text in root.iter(f"{SVG}text")]


def test_a_long_label_is_cut_in_the_chart_but_kept_whole_in_its_tooltip() -> None:
    label = "Exploitation of the prostitution of others"
    root = _parse(bar_chart("c6", "T", "D", [Bar(label, 3, "3")]))
    (text,) = [node for node in root.iter(f"{SVG}text") if node.get("class") == "chart-label"]
    assert text.find(f"{SVG}title").text == label
    shown = "".join(text.itertext()).replace(label, "", 1)
    assert shown.endswith("\u2026") and len(shown) <= 22
