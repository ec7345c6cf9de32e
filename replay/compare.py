"""Comparing what was recorded with what happens now, modulo what may change between runs.

Ids are compared by reference (the first id seen on each side is "#1", and so on), timestamps
are ignored, and dates count in days from the turn's "today", so a conversation recorded on a
Friday replays the same on a Monday.
"""

import json
import re
from datetime import date
from typing import Any

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DATE_IN_TEXT = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# A weekday written with its date ("Friday 2026-11-27", "2026-11-21 (Saturday)") moves with it.
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_DATED_WEEKDAY = re.compile(rf"\b{_WEEKDAY}(?=,? \d{{4}}-\d{{2}}-\d{{2}})|(?<=\d \(){_WEEKDAY}(?=\))")
_ID_KEYS = {"id", "call_id", "tool_call_id", "prompt_cache_key"}


class Normalizer:
    """One side of a comparison; it numbers the ids it meets in order."""

    def __init__(self, today: date | None) -> None:
        self.today = today
        self.ids: dict[str, str] = {}

    def ref(self, value: str) -> str:
        return self.ids.setdefault(value, f"#{len(self.ids) + 1}")

    def __call__(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):  # sorted: JSONB and JSON store keys in different orders
            return {k: self(value[k], k) for k in sorted(value)}
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, str):
            return value
        if key in _ID_KEYS or UUID.match(value):
            return self.ref(value)
        if _DATETIME.match(value):
            return "<timestamp>"
        if _DATE.match(value):
            return self.day(value)
        if key in ("arguments", "output", "content") and value[:1] in "{[":
            inner = decoded(value)  # JSON inside a string: compare its structure, not its spelling
            return self(inner) if inner is not value else value
        if self.today is not None and _DATE_IN_TEXT.search(value):  # dates inside text: a prompt, a reply
            value = _DATED_WEEKDAY.sub("<weekday>", value)
            return _DATE_IN_TEXT.sub(lambda m: self.day(m.group()), value)
        return value

    def day(self, value: str) -> str:
        if self.today is None:
            return value
        try:
            return f"<today{(date.fromisoformat(value) - self.today).days:+d}d>"
        except ValueError:
            return value


def decoded(value: Any) -> Any:
    """JSON carried in a string (a tool call's arguments, a tool's output), decoded; else as is."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def first_difference(recorded: Any, actual: Any, path: str = "") -> str | None:
    """The first place the two differ, as `path: recorded -> actual`, or None."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in list(recorded) + [k for k in actual if k not in recorded]:
            if key not in actual:
                return f"{path}.{key}: missing now (recorded {_short(recorded[key])})"
            if key not in recorded:
                return f"{path}.{key}: new (now {_short(actual[key])})"
            found = first_difference(recorded[key], actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(actual, list):
        for index, (a, b) in enumerate(zip(recorded, actual, strict=False)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        if len(recorded) != len(actual):
            return f"{path}: {len(recorded)} items recorded, {len(actual)} now"
        return None
    if recorded != actual:
        return f"{path or 'value'}: recorded {_short(recorded)} -> now {_short(actual)}"
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


# Request fields that say what the model was asked; the rest (stream options, cache keys,
# include lists) may differ between SDK versions without changing the conversation.
COMPARED_REQUEST_FIELDS = ("model", "instructions", "input", "messages", "tools", "tool_choice")


def request_difference(
    recorded: Any, actual: Any, today_then: date | None = None, today_now: date | None = None
) -> str | None:
    left, right = (
        {k: v for k, v in body.items() if k in COMPARED_REQUEST_FIELDS} if isinstance(body, dict) else body
        for body in (recorded, actual)
    )
    return first_difference(Normalizer(today_then)(left), Normalizer(today_now)(right))
