"""What a user's message asks for, read with rules (no language model)."""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from agent.offline.dates import find_date, next_monday
from agent.offline.vocabulary import (
    BARE_PRIORITY,
    QUESTION,
    QUOTES,
    clean_target,
    clean_title,
    cut,
    leftover_words,
    take_priority,
    unquote,
)

Kind = Literal["create", "list", "complete", "reopen", "delete", "update", "details", "help"]
FIND_THEN_ACT: frozenset[str] = frozenset({"complete", "reopen", "delete", "update", "details"})


@dataclass
class Intent:
    kind: Kind
    title: str | None = None  # create: the new task's title
    target: str | None = None  # find-then-act: how the user named the task
    changes: dict[str, Any] = field(default_factory=dict)  # update_task fields (create: extra fields)
    filters: dict[str, Any] = field(default_factory=dict)  # list_tasks arguments


def parse(message: str, today: date) -> Intent:
    text = " ".join(message.strip().split()).rstrip(".!?")
    for reader in (
        _help,
        _rename,
        _clear_due,
        _reopen,
        _complete,
        _delete,
        _reprioritise,
        _reschedule,
        _create,
        _list_or_details,
    ):
        intent = reader(text, today)
        if intent is not None:
            return intent
    return Intent("help")


def _help(text: str, _today: date) -> Intent | None:
    if re.fullmatch(r"(?:hi|hello|hey|help|thanks|thank you|what can you do|\?)(?:\s+there)?", text, re.I):
        return Intent("help")
    return None


def _rename(text: str, _today: date) -> Intent | None:
    m = re.match(
        r"^(?:please\s+)?(?:rename|retitle)\s+(?P<t>.+?)\s+(?:to|as)\s+(?P<new>.+)$", text, re.I
    ) or re.match(
        r"^(?:please\s+)?change\s+the\s+(?:title|name)\s+of\s+(?P<t>.+?)\s+to\s+(?P<new>.+)$", text, re.I
    )
    if not m:
        return None
    return Intent("update", target=clean_target(m["t"]), changes={"title": unquote(m["new"])})


def _clear_due(text: str, _today: date) -> Intent | None:
    m = re.match(
        r"^(?:please\s+)?(?:remove|clear|delete|drop)\s+the\s+(?:due\s+)?date\s+(?:from|of|on|for)\s+"
        r"(?P<t>.+)$",
        text,
        re.I,
    )
    return Intent("update", target=clean_target(m["t"]), changes={"due_date": None}) if m else None


def _reopen(text: str, _today: date) -> Intent | None:
    m = re.match(
        r"^(?:please\s+)?(?:mark|set)\s+(?P<t>.+?)\s+(?:as\s+)?(?:not\s+done|undone|incomplete|"
        r"not\s+complete|pending|open)$",
        text,
        re.I,
    ) or re.match(r"^(?:please\s+)?(?:reopen|uncomplete|unmark|undo)\s+(?P<t>.+)$", text, re.I)
    return Intent("reopen", target=clean_target(m["t"])) if m else None


def _complete(text: str, _today: date) -> Intent | None:
    m = (
        re.match(
            r"^(?:please\s+)?(?:mark|set|tick|check)\s+(?P<t>.+?)\s+(?:as\s+)?(?:done|complete|completed|"
            r"finished|off)$",
            text,
            re.I,
        )
        or re.match(
            r"^(?:please\s+)?(?:complete|finish|check\s+off|tick\s+off|close)\s+(?P<t>.+)$", text, re.I
        )
        or re.match(
            r"^(?:i\s+)?(?:have\s+|just\s+)?(?:finished|completed|did|done\s+with)\s+(?P<t>.+)$", text, re.I
        )
        or re.match(rf"^(?!{QUESTION})(?P<t>.+?)\s+is\s+(?:done|complete|finished)$", text, re.I)
    )
    return Intent("complete", target=clean_target(m["t"])) if m else None


def _delete(text: str, _today: date) -> Intent | None:
    m = re.match(
        r"^(?:please\s+)?(?:delete|remove|cancel|drop|erase|trash|get\s+rid\s+of)\s+(?P<t>.+)$", text, re.I
    )
    if not m:
        return None
    target = re.sub(r"\s+from\s+(?:my|the)\s+(?:list|tasks|todo\s+list)$", "", m["t"], flags=re.I)
    return Intent("delete", target=clean_target(target))


def _reprioritise(text: str, _today: date) -> Intent | None:
    levels = "high|low|medium|normal|urgent|important"
    m = re.match(
        rf"^(?:please\s+)?(?:set|change)\s+(?:the\s+)?priority\s+(?:of|for|on)\s+(?P<t>.+?)\s+to\s+"
        rf"(?P<p>{levels})(?:\s+priority)?$",
        text,
        re.I,
    ) or re.match(
        rf"^(?:please\s+)?(?:make|set|mark|change)\s+(?P<t>.+?)\s+(?:to\s+|as\s+)?(?P<p>{levels})"
        rf"(?:\s+priority)?$",
        text,
        re.I,
    )
    if m:
        return Intent(
            "update", target=clean_target(m["t"]), changes={"priority": BARE_PRIORITY[m["p"].lower()]}
        )
    m = re.match(r"^(?:please\s+)?(?P<verb>prioriti[sz]e|deprioriti[sz]e)\s+(?P<t>.+)$", text, re.I)
    if m:
        level = "low" if m["verb"].lower().startswith("de") else "high"
        return Intent("update", target=clean_target(m["t"]), changes={"priority": level})
    return None


def _reschedule(text: str, today: date) -> Intent | None:
    m = re.match(
        r"^(?:please\s+)?(?:move|reschedule|postpone|push|shift|change\s+the\s+(?:due\s+)?date\s+of|"
        r"set\s+the\s+(?:due\s+)?date\s+of)\s+(?P<t>.+?)\s+(?P<when>(?:to|until|till|for|on)\s+.+)$",
        text,
        re.I,
    ) or re.match(rf"^(?!{QUESTION})(?P<t>.+?)\s+is\s+(?:now\s+)?(?P<when>due\s+.+)$", text, re.I)
    if not m:
        return None
    when = find_date(m["when"], today)
    if when is None:
        return None
    return Intent("update", target=clean_target(m["t"]), changes={"due_date": when.value.isoformat()})


def _create(text: str, today: date) -> Intent | None:
    m = re.match(
        r"^(?:please\s+)?(?:(?:can|could)\s+you\s+)?(?:add|create|new|put|remind\s+me\s+to|i\s+need\s+to|"
        r"i\s+have\s+to|i\s+must|todo:?|to-do:?|note\s+to\s+self:?)(?=\s|:|$)(?P<rest>.*)$",
        text,
        re.I,
    )
    if not m:
        return None
    rest = m["rest"]
    changes: dict[str, Any] = {}
    priority, rest = take_priority(rest)
    if priority:
        changes["priority"] = priority
    when = find_date(rest, today)
    if when:
        changes["due_date"] = when.value.isoformat()
        rest = cut(rest, when)
    quoted = re.search(rf"[{QUOTES}](?P<q>[^{QUOTES}]+)[{QUOTES}]", m["rest"])
    title = quoted["q"].strip() if quoted else clean_title(rest)
    return Intent("create", title=title or None, changes=changes)


def _list_or_details(text: str, today: date) -> Intent | None:
    details = re.match(
        r"^(?:please\s+)?(?:tell\s+me\s+about|describe|details\s+(?:of|for|on|about)|"
        r"show\s+(?:me\s+)?(?:the\s+)?details\s+(?:of|for|on|about)|what\s+about|open|read)\s+"
        r"(?P<t>.+)$",
        text,
        re.I,
    )
    if details:
        return Intent("details", target=clean_target(details["t"]))
    listing = re.search(
        r"\b(?:list|show|display|see|view|what|which|any|anything|how\s+many|give\s+me|tasks?|"
        r"todos?|to-dos?|agenda|overdue|pending|due)\b",
        text,
        re.I,
    )
    if not listing:
        return None
    filters = _list_filters(text, today)
    leftover = leftover_words(text)
    # "show the dentist task": a name is left once the listing words are gone, so it is about one task;
    # "show tasks about dentist" names a topic, so it is a search.
    about_one = not re.search(
        r"\b(?:tasks|todos|to-dos|items|things|about|containing|matching|with)\b", text, re.I
    )
    if (
        leftover
        and about_one
        and not filters
        and re.match(r"^(?:please\s+)?(?:show|what(?:'s|\s+is))\b", text, re.I)
    ):
        return Intent("details", target=leftover)
    if leftover and not filters.get("search"):
        filters["search"] = leftover
    return Intent("list", filters=filters)


def _list_filters(text: str, today: date) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if re.search(
        r"\b(?:pending|open|remaining|incomplete|unfinished|not\s+done|left|to\s+do|outstanding)\b",
        text,
        re.I,
    ):
        filters["status"] = "pending"
    elif re.search(r"\b(?:completed|done|finished)\b", text, re.I):
        filters["status"] = "completed"
    priority, _ = take_priority(text)
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
    if "due_" in "".join(filters):
        filters["sort_by"] = "due_date"
    elif re.search(r"\b(?:by|sorted\s+by)\s+priority\b", text, re.I):
        filters |= {"sort_by": "priority", "order": "desc"}
    return filters
