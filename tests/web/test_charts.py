"""The SVG chart renderer and the series it draws: pure, no browser and no database."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from api.web import charts
from api.web.series import SERIES, csv_number, figure, ratio

SVG = "{http://www.w3.org/2000/svg}"
WEEKS = ["2 Nov", "9 Nov", "16 Nov", "23 Nov", "30 Nov"]


def draw(*lines: charts.Line, axis: charts.Axis | None = None, labels=WEEKS, **kwargs) -> str:
    return str(
        charts.line_chart(
            chart_id="chart-test",
            title="Gratitude notes sent",
            x_labels=labels,
            lines=list(lines),
            axis=axis or charts.count_axis([v for line in lines for v in line.values]),
            empty_text="No data in these weeks",
            **kwargs,
        )
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def series_group(root: ET.Element, number: int) -> ET.Element:
    [group] = [g for g in root.iter(f"{SVG}g") if g.get("class") == f"series series-{number}"]
    return group


def test_a_week_without_data_is_a_gap_not_a_zero():
    root = parse(draw(charts.Line("Maya", [3, 4, None, 2, 5])))
    group = series_group(root, 0)
    paths = group.findall(f"{SVG}path")
    assert len(paths) == 2  # broken where the value is missing
    assert [p.get("d").count("L") for p in paths] == [1, 1]
    assert len(group.findall(f"{SVG}circle")) == 4  # a marker for each known week only
    zero_y = charts._y(0, charts.count_axis([5]))
    drawn_ys = {float(c.get("cy")) for c in group.findall(f"{SVG}circle")}
    assert zero_y not in drawn_ys


def test_a_lone_week_between_gaps_still_shows_as_a_marker():
    root = parse(draw(charts.Line("Maya", [None, 4, None, None, None])))
    group = series_group(root, 0)
    assert group.findall(f"{SVG}path") == []
    assert len(group.findall(f"{SVG}circle")) == 1


def test_runs_split_at_every_missing_value():
    assert charts.runs([1, None, None, 2, 3, None]) == [[0], [3, 4]]
    assert charts.runs([None, None]) == []
    assert charts.runs([0, 0]) == [[0, 1]]  # zero is data


def test_partners_differ_by_more_than_colour():
    svg = draw(charts.Line("Maya", [1, 2, 3, 4, 5]), charts.Line("Sam", [5, 4, 3, 2, 1]))
    root = parse(svg)
    first, second = series_group(root, 0), series_group(root, 1)
    assert first.find(f"{SVG}path").get("stroke") != second.find(f"{SVG}path").get("stroke")
    assert first.find(f"{SVG}path").get("stroke-dasharray") is None
    assert second.find(f"{SVG}path").get("stroke-dasharray") == "7 4"
    assert first.findall(f"{SVG}circle") and second.findall(f"{SVG}rect")
    # Each line is named at its end, in text, so print and colour blindness lose nothing.
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Maya" in texts and "Sam" in texts


def test_the_palette_is_okabe_ito():
    assert [s.colour for s in charts.STYLES] == ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
    assert len({s.marker for s in charts.STYLES}) == len(charts.STYLES)
    assert len({s.dash for s in charts.STYLES}) == len(charts.STYLES)


def test_no_inline_style_so_the_csp_allows_it():
    svg = draw(charts.Line("Maya", [1, None, 3, 4, 5]), charts.Line("Sam", [None] * 5))
    assert "style" not in svg and "<script" not in svg


def test_text_is_escaped():
    svg = draw(charts.Line("<script>alert(1)</script>", [1, 2, 3, 4, 5]), labels=["<b>"] * 5)
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg
    parse(svg)


def test_long_names_are_shortened_in_the_chart_only():
    root = parse(draw(charts.Line("Maximiliana-Josephine", [1, 2, 3, 4, 5])))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Maximiliana-J…" in texts


def test_a_chart_without_any_data_says_so():
    svg = draw(charts.Line("Maya", [None] * 5), charts.Line("Sam", [None] * 5))
    root = parse(svg)
    assert "No data in these weeks" in [t.text for t in root.iter(f"{SVG}text")]
    assert root.findall(f".//{SVG}path") == []


def test_end_labels_do_not_overlap():
    root = parse(draw(charts.Line("Maya", [1, 2, 3, 4, 5]), charts.Line("Sam", [1, 2, 3, 4, 5])))
    ys = [
        float(g.find(f"{SVG}text").get("y"))
        for g in root.iter(f"{SVG}g")
        if (g.get("class") or "").startswith("label ")
    ]
    assert len(ys) == 2 and abs(ys[0] - ys[1]) >= charts.LABEL_GAP


def test_many_weeks_get_fewer_axis_labels_and_the_last_is_always_shown():
    labels = [f"w{i}" for i in range(52)]
    root = parse(draw(charts.Line("Maya", list(range(52))), labels=labels))
    shown = [t.text for t in root.iter(f"{SVG}text") if (t.text or "").startswith("w")]
    assert 4 <= len(shown) <= 10
    assert shown[-1] == "w51"
    compact = parse(
        draw(charts.Line("Maya", list(range(52))), labels=labels, width=charts.COMPACT_WIDTH)
    )
    assert compact.get("viewBox") == f"0 0 {charts.COMPACT_WIDTH} {charts.HEIGHT}"


def test_every_line_needs_a_value_per_week():
    with pytest.raises(ValueError):
        draw(charts.Line("Maya", [1, 2]))


@pytest.mark.parametrize(
    ("values", "high", "ticks"),
    [
        ([0, 0], 1, (0, 1)),
        ([3, 7], 8, (0, 2, 4, 6, 8)),
        ([12], 15, (0, 5, 10, 15)),
        ([None, 40], 40, (0, 10, 20, 30, 40)),
    ],
)
def test_count_axes_have_round_whole_steps(values, high, ticks):
    axis = charts.count_axis(values)
    assert (axis.low, axis.high, axis.ticks) == (0, high, ticks)


def test_rates_and_ratings_have_fixed_axes():
    rate = charts.rate_axis()
    assert (rate.low, rate.high) == (0, 1) and rate.label(0.75) == "75%"
    rating = charts.rating_axis()
    assert rating.ticks == (1, 2, 3, 4, 5)
    # A value outside the axis is drawn at its edge, not off the chart.
    assert charts._y(9, rating) == charts.TOP


def test_swatches_match_the_lines():
    swatch = str(charts.swatch(1))
    assert "#D55E00" in swatch and 'stroke-dasharray="7 4"' in swatch and "<rect" in swatch


# --- series -----------------------------------------------------------------------------------


def test_ratios_are_gaps_without_a_denominator():
    answered = ratio("rounds_answered", "rounds_asked")
    assert answered({"rounds_answered": 3, "rounds_asked": 4}) == 0.75
    assert answered({"rounds_answered": 0, "rounds_asked": 0}) is None
    assert answered({}) is None
    assert figure("gratitude_sent")({}) is None  # a figure not computed yet is a gap too


def test_every_series_reads_the_progress_services_figures():
    week = {
        "gratitude_sent": 2,
        "gratitude_acknowledged": 1,
        "rounds_asked": 4,
        "rounds_answered": 3,
        "mean_check_in_rating": 4.5,
        "commitments_due": 5,
        "commitments_kept": 4,
        "commitments_confirmed": 2,
        "check_ins_due": 4,
        "check_ins_on_time": 2,
        "late_notices": 1,
        "reassurance_asked": 3,
        "reassurance_answered": 2,
    }
    values = {s.key: s.value(week) for s in SERIES}
    assert values == {
        "gratitude_sent": 2,
        "gratitude_acknowledged": 1,
        "answer_rate": 0.75,
        "mean_check_in_rating": 4.5,
        "kept_rate": 0.8,
        "commitments_confirmed": 2,
        "check_in_on_time_rate": 0.5,
        "check_in_informed_rate": 0.75,
        "reassurance_asked": 3,
        "reassurance_answered": 2,
    }
    assert len({s.key for s in SERIES}) == len(SERIES)
    assert all(re.fullmatch(r"[a-z_0-9]+", s.key) for s in SERIES)


def test_a_week_without_due_check_ins_is_a_gap_not_a_zero():
    week = {"check_ins_due": 0, "check_ins_on_time": 0, "late_notices": 0}
    values = {s.key: s.value(week) for s in SERIES}
    assert values["check_in_on_time_rate"] is None
    assert values["check_in_informed_rate"] is None


def test_csv_numbers():
    assert [csv_number(v) for v in (None, 0, 3, 2.0, 0.8333333, 4.25)] == [
        "",
        "0",
        "3",
        "2",
        "0.833",
        "4.25",
    ]
