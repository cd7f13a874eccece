"""How the workspace writes numbers, dates and schedules: one place, so the therapist's locale
can take over here later. English forms for now; every word goes through the translations."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from api.web.i18n import N_, _

NO_VALUE = "–"

_WEEKDAYS = {
    "mon": N_("Mon"),
    "tue": N_("Tue"),
    "wed": N_("Wed"),
    "thu": N_("Thu"),
    "fri": N_("Fri"),
    "sat": N_("Sat"),
    "sun": N_("Sun"),
}
_DAY_NAMES = tuple(_WEEKDAYS.values())  # Monday first, as date.weekday() counts
_MONTHS = (
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
)


def short_date(day: date) -> str:
    """`23 Nov`: a week's Monday on a chart's axis."""
    return f"{day.day} {_(_MONTHS[day.month - 1])}"


def long_date(day: date) -> str:
    """`Mon 23 Nov 2026`."""
    weekday = _(_DAY_NAMES[day.weekday()])
    return f"{weekday} {day.day} {_(_MONTHS[day.month - 1])} {day.year}"


def local_datetime(instant: datetime, timezone: str) -> str:
    """`Mon 23 Nov 2026, 13:00` in the therapist's zone."""
    local = instant.astimezone(ZoneInfo(timezone))
    return f"{long_date(local.date())}, {local:%H:%M}"


def local_day(instant: datetime, timezone: str) -> str:
    return long_date(instant.astimezone(ZoneInfo(timezone)).date())


def count(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:.0f}"


def percent(value: float | None) -> str:
    return NO_VALUE if value is None else f"{round(value * 100)}%"


def decimal(value: float | None, places: int = 1) -> str:
    return NO_VALUE if value is None else f"{value:.{places}f}"


def hours(value: float | None) -> str:
    return NO_VALUE if value is None else _("%(hours)s h") % {"hours": f"{value:.1f}"}


def days(values: list[str] | None) -> str:
    """`Mon, Wed, Fri`, or `every day`."""
    if not values or len(values) == 7:
        return _("every day")
    return ", ".join(_(_WEEKDAYS[d]) for d in values if d in _WEEKDAYS)


def schedule(days_: list[str] | None, on: date | None, at: time, timezone: str) -> str:
    """`Mon, Wed at 18:00 (Europe/Paris)`; a one-off says its date."""
    when = long_date(on) if on is not None else days(days_)
    return _("%(when)s at %(time)s (%(zone)s)") % {
        "when": when,
        "time": at.strftime("%H:%M"),
        "zone": timezone,
    }


def weekday_choices() -> list[tuple[str, str]]:
    """The weekdays as (value the API takes, name to show), Monday first."""
    return [(value, _(name)) for value, name in _WEEKDAYS.items()]
