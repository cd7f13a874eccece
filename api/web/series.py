"""The weekly series the workspace charts, tabulates and exports.

Every figure comes from the progress service (the API's own numbers); a series only picks a
figure of a partner's week, or divides two of them. Adding a series is one line in SERIES:
the couple page, the report and the CSV all follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from api.web import charts, formatting
from api.web.i18n import N_

COUNT, RATE, RATING = "count", "rate", "rating"


Week = Mapping[str, Any]


def figure(name: str) -> Callable[[Week], float | None]:
    """A figure as the progress service gives it; a week without it is a gap."""
    return lambda week: week.get(name)


def ratio(part: str, whole: str) -> Callable[[Week], float | None]:
    """`part ÷ whole`; no data (a gap, not a zero) when nothing was due or asked."""

    def value(week: Week) -> float | None:
        denominator = week.get(whole)
        if not denominator or week.get(part) is None:
            return None
        return week[part] / denominator

    return value


def informed(week: Week) -> float | None:
    """Check-ins on time plus "running late" notices, of the check-ins that were due: the
    share of occurrences where the partner was not left without word."""
    due = week.get("check_ins_due")
    if not due or week.get("check_ins_on_time") is None:
        return None
    return (week["check_ins_on_time"] + (week.get("late_notices") or 0)) / due


@dataclass(frozen=True)
class Series:
    key: str
    title: str
    kind: str
    value: Callable[[Week], float | None]


SERIES: list[Series] = [
    Series("gratitude_sent", N_("Gratitude notes sent"), COUNT, figure("gratitude_sent")),
    Series(
        "gratitude_acknowledged",
        N_("Gratitude notes acknowledged"),
        COUNT,
        figure("gratitude_acknowledged"),
    ),
    Series("answer_rate", N_("Questions answered"), RATE, ratio("rounds_answered", "rounds_asked")),
    Series(
        "mean_check_in_rating",
        N_("Mean check-in rating (1–5)"),
        RATING,
        figure("mean_check_in_rating"),
    ),
    Series("kept_rate", N_("Promises kept"), RATE, ratio("commitments_kept", "commitments_due")),
    Series(
        "commitments_confirmed",
        N_("Kept promises the partner confirmed"),
        COUNT,
        figure("commitments_confirmed"),
    ),
    Series(
        "check_in_on_time_rate",
        N_("Check-ins on time"),
        RATE,
        ratio("check_ins_on_time", "check_ins_due"),
    ),
    Series("check_in_informed_rate", N_("Check-ins on time or with word"), RATE, informed),
    Series("reassurance_asked", N_("Reassurance asked for"), COUNT, figure("reassurance_asked")),
    Series(
        "reassurance_answered",
        N_("Reassurance requests answered"),
        COUNT,
        figure("reassurance_answered"),
    ),
]


def axis_for(series: Series, values: list[float | None]) -> charts.Axis:
    if series.kind == RATE:
        return charts.rate_axis()
    if series.kind == RATING:
        return charts.rating_axis()
    return charts.count_axis(values)


def format_value(series: Series, value: float | None) -> str:
    """How a value reads in a table."""
    if series.kind == RATE:
        return formatting.percent(value)
    if series.kind == RATING:
        return formatting.decimal(value)
    return formatting.count(value)


def csv_number(value: float | None) -> str:
    """How a figure is written to the CSV: whole numbers plainly, others to three decimals
    (rates as 0–1), an empty cell for no data."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")
