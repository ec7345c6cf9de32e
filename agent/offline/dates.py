"""Date words in English, resolved against the user's "today"."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
# "sat" and "sun" are left out: "sat down", "sun cream".
_WEEKDAY_ABBR = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4}
MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
# Whole date words long enough to forgive a typo in ("tomorow", "wendesday"); see vocabulary.
DATE_WORDS = ("tomorrow", *WEEKDAYS, *(name.lower() for name in calendar.month_name if len(name) > 5))
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

_WD = "|".join(sorted([*WEEKDAYS, *_WEEKDAY_ABBR], key=len, reverse=True))
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
# At most four digits: "in 99999999 days" is no date (and would overflow one), so it stays text.
_NUM = r"\d{1,4}|" + "|".join(_NUMBERS)
_LEAD = r"(?:(?:due|on|for|by|until|till|before|at|to)\s+)?"

_PATTERNS: list[tuple[str, str]] = [
    ("iso", r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    ("after_tomorrow", r"(?:the\s+)?day\s+after\s+tomorrow"),
    ("today", r"today|tonight|this\s+(?:morning|afternoon|evening)|end\s+of\s+(?:the\s+)?day"),
    ("tomorrow", r"tomorrow|tmrw|tmr"),
    ("in", rf"in\s+(?P<n>{_NUM})\s+(?P<unit>days?|weeks?)"),
    ("next_weekday", rf"next\s+(?P<wd>{_WD})"),
    ("weekday", rf"(?<!every\s)(?:this\s+|on\s+)?(?P<wd>{_WD})(?:,?\s+the\s+\d{{1,2}}(?:st|nd|rd|th))?"),
    ("next_week", r"next\s+week"),
    ("weekend", r"(?:this\s+|the\s+)?weekend"),
    ("end_of_week", r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?week"),
    ("end_of_month", r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month"),
    ("month_day", rf"(?P<mon>{_MON})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?"),
    ("day_month", rf"(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MON})"),
    # "on the 5th": the next 5th of a month; only after such a word ("the 5th chapter" is no date)
    ("day_of_month", r"(?:on|by|before|until|for)\s+the\s+(?P<d>\d{1,2})(?:st|nd|rd|th)"),
]


@dataclass(frozen=True)
class DateMatch:
    value: date
    start: int
    end: int


def _compile(end: str = "") -> list[tuple[str, re.Pattern[str]]]:
    return [
        (name, re.compile(rf"\b{_LEAD}(?:{pattern})\b{end}", re.IGNORECASE)) for name, pattern in _PATTERNS
    ]


_COMPILED = _compile()
_AT_END = _compile(end=r"\s*$")


def find_date(text: str, today: date) -> DateMatch | None:
    """The first date expression in `text` (leftmost; the longest form wins at one position)."""
    return _first(_COMPILED, text, today)


def date_at_end(text: str, today: date) -> DateMatch | None:
    """The date expression `text` ends with ("move the Friday meeting to Monday" -> Monday)."""
    return _first(_AT_END, text, today)


def _first(patterns: list[tuple[str, re.Pattern[str]]], text: str, today: date) -> DateMatch | None:
    best: tuple[int, int, date] | None = None
    for name, regex in patterns:
        for match in regex.finditer(text):
            try:
                value = _resolve(name, match, today)
            except OverflowError:  # past year 9999: not a date anyone means
                value = None
            if value is None:
                continue
            candidate = (match.start(), -(match.end() - match.start()), value)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
            break
    if best is None:
        return None
    start, negative_length, value = best
    return DateMatch(value, start, start - negative_length)


def _resolve(name: str, m: re.Match[str], today: date) -> date | None:
    groups = {k: v.lower() for k, v in m.groupdict().items() if v}
    match name:
        case "iso":
            return _safe_date(int(groups["y"]), int(groups["m"]), int(groups["d"]))
        case "after_tomorrow":
            return today + timedelta(days=2)
        case "today":
            return today
        case "tomorrow":
            return today + timedelta(days=1)
        case "in":
            n = int(groups["n"]) if groups["n"].isdigit() else _NUMBERS[groups["n"]]
            return today + timedelta(days=n * (7 if groups["unit"].startswith("week") else 1))
        case "next_weekday":  # the weekday of next calendar week (weeks start on Monday)
            return next_monday(today) + timedelta(days=_weekday(groups["wd"]))
        case "weekday":  # the coming one; today if it is that day
            return today + timedelta(days=(_weekday(groups["wd"]) - today.weekday()) % 7)
        case "next_week":
            return next_monday(today)
        case "weekend":
            return today + timedelta(days=(5 - today.weekday()) % 7)
        case "end_of_week":
            return today + timedelta(days=(4 - today.weekday()) % 7)
        case "end_of_month":
            return date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
        case "day_of_month":
            return _next_day_of_month(today, int(groups["d"]))
        case _:  # month_day, day_month: this year, or next year once it has passed
            month, day = MONTHS[groups["mon"]], int(groups["d"])
            value = _safe_date(today.year, month, day)
            if value is not None and value < today:
                value = _safe_date(today.year + 1, month, day)
            return value


def _next_day_of_month(today: date, day: int) -> date | None:
    """That day of this month, or of the next month that has it, once it has passed."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(3):  # at most two months in a row lack a day (31st)
        value = _safe_date(year, month, day)
        if value is not None and value >= today:
            return value
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def _weekday(word: str) -> int:
    return WEEKDAYS.get(word, _WEEKDAY_ABBR.get(word, 0))


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
