"""Questions about the list ("what's due tomorrow?") or about one task ("when is the dentist due?")."""

import re
from datetime import date, timedelta
from typing import Any

from agent.offline.dates import find_date, next_monday
from agent.offline.intent import Intent
from agent.offline.vocabulary import clean_target, cut, leftover_words, take_priority

_DETAILS = [
    re.compile(p, re.I)
    for p in (
        r"^(?:tell\s+me\s+(?:more\s+)?about|describe|details\s+(?:of|for|on|about)|"
        r"(?:show|give)\s+(?:me\s+)?(?:the\s+)?details\s+(?:of|for|on|about)|what\s+about|how\s+about|"
        r"open|read|look\s+up)\s+(?P<t>.+)$",
        r"^(?:what(?:'s|\s+is)|tell\s+me|show\s+me|give\s+me)\s+the\s+(?:status|priority|due\s+date|"
        r"deadline|notes?|description)\s+(?:of|for|on)\s+(?P<t>.+)$",
        r"^when(?:'s|\s+is|\s+was)\s+(?P<t>.+?)\s+due$",
        r"^(?:is|are)\s+(?P<t>.+?)\s+(?:done|finished|complete|completed|still\s+(?:open|pending|to\s+do)|"
        r"overdue|late|due\b.*|(?:high|low|medium|normal)(?:\s+priority)?|urgent|important)$",
        r"^did\s+i\s+(?:already\s+)?(?:finish|complete|do)\s+(?P<t>.+)$",
    )
]
_LISTING = re.compile(
    r"\b(?:list|show|display|see|view|what|whats|which|any|anything|everything|how\s+many|give\s+me|"
    r"tasks?|todos?|to-dos?|agenda|overdue|pending|due|find|search|look\s+for|sort|plate)\b",
    re.I,
)
# "show the dentist task" names one task; "show tasks about dentist" names a topic to search for.
_TOPIC = re.compile(r"\b(?:tasks|todos|to-dos|items|things|about|containing|matching|with)\b", re.I)
_ONE = r"(?:task|todo|to-do|item|one|reminder)"  # "what is the dentist task": one task named
_BY = r"(?:(?:sorted|ordered|arranged|sort(?:\s+(?:them|it))?|order(?:\s+(?:them|it))?)\s+)?by\s+(?:the\s+)?"
_SORTS: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (
        re.compile(rf"\b(?:{_BY}(?:due\s+date|deadline|date|due)|soonest\s+first)\b", re.I),
        {"sort_by": "due_date"},
    ),
    (
        re.compile(
            rf"\b(?:{_BY}(?:priority|importance)|(?:most\s+important|highest\s+priority)\s+first)\b", re.I
        ),
        {"sort_by": "priority", "order": "desc"},
    ),
    (
        re.compile(rf"\b(?:{_BY}(?:name|title)|alphabetically|in\s+alphabetical\s+order)\b", re.I),
        {"sort_by": "title"},
    ),
    (
        re.compile(r"\b(?:newest|latest|most\s+recent(?:ly\s+added)?)\s+first\b", re.I),
        {"sort_by": "created_at", "order": "desc"},
    ),
    (re.compile(r"\boldest\s+first\b", re.I), {"sort_by": "created_at"}),
]


def read_listing(text: str, today: date) -> Intent | None:
    for pattern in _DETAILS:
        m = pattern.match(text)
        if m and leftover_words(m["t"]):  # "is everything done?" is about the list, not one task
            return Intent("details", target=clean_target(m["t"]))
    if not _LISTING.search(text):
        return None
    sort, text = _take_sort(text)
    filters, rest = _filters(text, today)
    leftover = leftover_words(rest)
    if leftover and not filters and not sort and not _TOPIC.search(text):
        if re.match(r"^(?:show|display|open)\b", text, re.I) or re.search(rf"\b{_ONE}\b", text, re.I):
            return Intent("details", target=leftover)
        if re.match(r"^(?:what|which|who|how|where|why)", text, re.I):
            return None  # "what's the weather like?": a question, but not about the tasks

    if leftover:
        filters["search"] = leftover
    if sort:
        filters |= sort
    elif "due_before" in filters or "due_after" in filters:
        filters["sort_by"] = "due_date"
    return Intent("list", filters=filters)


def _take_sort(text: str) -> tuple[dict[str, str], str]:
    for pattern, sort in _SORTS:
        m = pattern.search(text)
        if m:
            return dict(sort), (text[: m.start()] + " " + text[m.end() :]).strip()
    return {}, text


def _filters(text: str, today: date) -> tuple[dict[str, Any], str]:
    """The list_tasks filters the words ask for, and what is left of the words once they are read."""
    filters: dict[str, Any] = {}
    if re.search(
        r"\b(?:pending|open|remaining|incomplete|unfinished|not\s+done|left|to\s+do|outstanding)\b",
        text,
        re.I,
    ):
        filters["status"] = "pending"
    elif re.search(r"\b(?:completed|done|finished)\b", text, re.I):
        filters["status"] = "completed"
    priority, text = take_priority(text)
    if priority:
        filters["priority"] = priority
    if re.search(r"\boverdue\b|\bpast\s+due\b|\blate\b", text, re.I):
        filters |= {"status": "pending", "due_before": (today - timedelta(days=1)).isoformat()}
    elif re.search(r"\bthis\s+week\b", text, re.I):
        filters |= {
            "due_after": today.isoformat(),
            "due_before": (next_monday(today) - timedelta(days=1)).isoformat(),
        }
    elif re.search(r"\bnext\s+week\b", text, re.I):
        start = next_monday(today)
        filters |= {"due_after": start.isoformat(), "due_before": (start + timedelta(days=6)).isoformat()}
    elif (when := find_date(text, today)) is not None:
        bound = when.value.isoformat()
        before_only = re.search(r"\b(?:by|before|until)\b", text[when.start : when.end], re.I)
        filters |= {"due_before": bound} if before_only else {"due_before": bound, "due_after": bound}
        text = cut(text, when)
    return filters, text
