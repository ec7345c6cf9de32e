"""What a user's message asks for, read with rules (no language model).

A message is tidied first (spacing, apostrophes, trailing punctuation, typos in date words), the
politeness around a request is set aside ("could you please … for me"), and a first word one
letter off a verb is read as that verb ("delte"). Then the readers below try it, most specific
first; the first that understands it wins.
"""

import re
from collections.abc import Callable
from datetime import date

from agent.offline.dates import date_at_end, find_date
from agent.offline.intent import FIND_THEN_ACT, Intent, Kind
from agent.offline.listing import read_listing
from agent.offline.typos import correct
from agent.offline.vocabulary import (
    BARE_PRIORITY,
    QUESTION,
    QUOTES,
    clean_target,
    clean_title,
    cut,
    fix_verb,
    normalise,
    strip_polite,
    take_priority,
    unquote,
)

__all__ = ["FIND_THEN_ACT", "Intent", "Kind", "parse"]

# How a task is named: a quoted title (any words, "to" included) or as few words as will do.
T = rf"(?P<t>[{QUOTES}][^{QUOTES}]+[{QUOTES}]|.+?)"
_NOT_A_QUESTION = rf"(?!{QUESTION})"
_DUE = r"(?:due\s+date|deadline|date)"
_DONE_WORDS = ("done", "complete", "completed", "finished", "off")
# "mark it done": no name to search for (a search for "it" would match any title with those letters).
_PRONOUN = re.compile(r"(?:it|that|this|them|those|these|first|last|second|other|previous)(?:\s+one)?", re.I)


def parse(message: str, today: date) -> Intent:
    text = normalise(message)
    if not _is_help(text):
        text = fix_verb(strip_polite(text))
    if not text or _is_help(text):
        return Intent("help")
    for reader in _READERS:
        intent = reader(text, today)
        if intent is not None:
            if intent.target and _PRONOUN.fullmatch(intent.target):
                intent.target = None
            return intent
    return Intent("help")


def _is_help(text: str) -> bool:
    return bool(
        re.fullmatch(
            r"(?:hi|hello|hey|help|thanks|thank\s+you|thx|good\s+(?:morning|afternoon|evening)|"
            r"what\s+can\s+you\s+do|how\s+does\s+this\s+work|\?)(?:\s+there)?",
            text,
            re.I,
        )
    )


def _match(patterns: list[str], text: str) -> re.Match[str] | None:
    return next((m for p in patterns if (m := re.match(p, text, re.I))), None)


def _rename(text: str, _today: date) -> Intent | None:
    m = _match(
        [
            rf"^(?:rename|retitle)\s+{T}\s+(?:to|as|into)\s+(?P<new>.+)$",
            rf"^(?:change|update|edit|set)\s+the\s+(?:title|name)\s+(?:of|for|on)\s+{T}\s+to\s+(?P<new>.+)$",
            rf"^(?:change|update|edit|set)\s+{T}(?:'s)?\s+(?:title|name)\s+(?:to|as)\s+(?P<new>.+)$",
        ],
        text,
    )
    return Intent("update", target=clean_target(m["t"]), changes={"title": unquote(m["new"])}) if m else None


def _clear_due(text: str, _today: date) -> Intent | None:
    m = _match(
        [
            rf"^(?:remove|clear|delete|drop|unset)\s+the\s+{_DUE}\s+(?:from|of|on|for)\s+{T}$",
            rf"^{_NOT_A_QUESTION}{T}\s+(?:has|have|needs?)\s+no\s+{_DUE}(?:\s+any\s*more)?$",
            rf"^{_NOT_A_QUESTION}{T}\s+(?:doesn'?t|does\s+not|don'?t|do\s+not)\s+(?:have|need)\s+a\s+{_DUE}"
            r"(?:\s+any\s*more)?$",
        ],
        text,
    )
    return Intent("update", target=clean_target(m["t"]), changes={"due_date": None}) if m else None


def _reprioritise(text: str, _today: date) -> Intent | None:
    m = _match(
        [
            rf"^(?:set|change|update|make)\s+(?:the\s+)?priority\s+(?:of|for|on)\s+{T}\s+(?:to|as)\s+(?P<p>.+)$",
            rf"^{_NOT_A_QUESTION}{T}\s+(?:is|are)\s+(?:now\s+)?(?:a\s+)?(?P<p>.+)$",
        ],
        text,
    )
    if m and (level := _level(m["p"])):
        return Intent("update", target=clean_target(m["t"]), changes={"priority": level})
    m = re.match(r"^(?:make|set|mark|change|update|bump|move)\s+(?P<rest>.+)$", text, re.I)
    if m and (split := _split_tail(m["rest"], _level)):
        target = re.sub(r"\s+(?:to|as|up\s+to|down\s+to|into)$", "", split[0], flags=re.I)
        return Intent("update", target=clean_target(target), changes={"priority": split[1]})
    m = _match(
        [
            r"^(?P<way>lower|decrease|reduce|drop|raise|increase|bump\s+up|bump\s+down)\s+(?:the\s+)?"
            r"priority\s+(?:of|for|on)\s+(?P<t>.+)$",
            r"^(?P<way>(?:de)?prioriti[sz]e)\s+(?P<t>.+)$",
        ],
        text,
    )
    if not m:
        return None
    down = re.match(r"lower|decrease|reduce|drop|bump\s+down|de", m["way"], re.I)
    return Intent("update", target=clean_target(m["t"]), changes={"priority": "low" if down else "high"})


def _level(words: str) -> str | None:
    """A priority said on its own: "high", "urgent", "low priority", "not urgent", "hight priority"."""
    if words.lower() in BARE_PRIORITY:
        return BARE_PRIORITY[words.lower()]
    level, rest = take_priority(words)
    return level if level and not rest else None


def _split_tail(text: str, read: Callable[[str], str | None]) -> tuple[str, str] | None:
    """`text` as (head, value) where its last one to three words read as a value, longest first."""
    words = text.split()
    for k in (3, 2, 1):
        if len(words) > k and (value := read(" ".join(words[-k:]))):
            return " ".join(words[:-k]), value
    return None


def _reopen(text: str, _today: date) -> Intent | None:
    m = _match(
        [
            rf"^(?:mark|set)\s+{T}\s+(?:as\s+)?(?:not\s+(?:done|complete|completed|finished)|undone|"
            r"incomplete|unfinished|pending|open|to\s+do)$",
            r"^(?:re-?open|uncomplete|unmark|undo|untick|uncheck)\s+(?P<t>.+)$",
            r"^i\s+(?:didn'?t|did\s+not|haven'?t|have\s+not)\s+(?:actually\s+|really\s+|yet\s+)?[a-z]+\s+"
            r"(?P<t>.+?)(?:\s+yet)?$",
        ],
        text,
    )
    return Intent("reopen", target=clean_target(m["t"])) if m else None


def _complete(text: str, _today: date) -> Intent | None:
    m = re.match(rf"^(?:mark|set|tick|check|cross)\s+{T}\s+(?:as\s+|to\s+)?(?P<state>[a-z]+)$", text, re.I)
    if m and correct(m["state"], _DONE_WORDS):
        return Intent("complete", target=clean_target(m["t"]))
    m = re.match(
        r"^(?:i(?:'ve|\s+have)?\s+|just\s+|already\s+|finally\s+)+(?P<verb>[a-z]+)\s+(?P<t>.+)$", text, re.I
    )
    if m and _is_doing(m["verb"]) and not _NOT_A_THING.search(m["t"]):
        return Intent("complete", target=clean_target(m["t"]))
    m = _match(
        [
            r"^(?:complete|finish|close|(?:check|tick|cross|strike)\s+off|strike\s+out)\s+(?P<t>.+)$",
            r"^(?:tick|cross)\s+(?P<t>.+?)(?:\s+off)?$",
            r"^(?:i(?:'ve|\s+have|'m|\s+am)?\s+)?(?:just\s+|already\s+)?(?:finished|completed|did|done\s+with)\s+"
            r"(?P<t>.+)$",
            r"^(?:done|finished|completed)\s*[:\-]\s*(?P<t>.+)$",
            rf"^{_NOT_A_QUESTION}(?!(?:show|list|display|view|see|find|search|all|any)\b){T}\s+(?:(?:is|are)\s+)?"
            r"(?:now\s+)?(?:done|complete|completed|finished)$",
        ],
        text,
    )
    return Intent("complete", target=clean_target(m["t"])) if m else None


# Past tenses that say a task got done ("I paid the rent", "I've called mom"), and -ed verbs that
# say something else happened to it.
_DONE_IRREGULAR = frozenset({
    "paid", "bought", "did", "made", "sent", "wrote", "took", "got", "gave", "met", "went", "sold",
    "built", "brought", "fed", "swept", "read", "ran", "drove", "found", "done",
})  # fmt: skip
_NOT_DOING = frozenset({
    "added", "created", "wanted", "needed", "moved", "changed", "renamed", "deleted", "removed",
    "missed", "planned", "scheduled", "started", "tried", "postponed", "delayed", "rescheduled",
    "used", "liked", "loved", "hated", "decided", "asked", "noticed", "realised", "realized",
})  # fmt: skip
# What follows "I paid" must name a thing ("the rent"), not start a clause ("that the rent is late").
_NOT_A_THING = re.compile(
    r"^(?:to|a|an|i|you|we|they|he|she|it|that|if|whether|about)\b|\b(?:is|are|was|were|has|have|will)\b",
    re.I,
)


def _is_doing(verb: str) -> bool:
    verb = verb.lower()
    return verb in _DONE_IRREGULAR or (len(verb) > 4 and verb.endswith("ed") and verb not in _NOT_DOING)


def _delete(text: str, _today: date) -> Intent | None:
    m = _match(
        [
            r"^(?:delete|remove|cancel|drop|erase|trash|discard|scrap|get\s+rid\s+of|forget\s+about)\s+(?P<t>.+)$",
            r"^i\s+(?:don'?t|do\s+not|no\s+longer)\s+(?:need|have|want)\s+to\s+(?P<t>.+?)(?:\s+any\s*more)?$",
        ],
        text,
    )
    return Intent("delete", target=clean_target(m["t"])) if m else None


def _reschedule(text: str, today: date) -> Intent | None:
    verb = re.match(
        r"^(?:(?:move|reschedule|postpone|push|shift|delay|defer|bump)|(?P<general>change|set|update|make))\s+",
        text,
        re.I,
    )
    said_due = re.match(
        rf"^{_NOT_A_QUESTION}.+\s(?:is|are)\s+(?:now\s+)?(?:due|on|for|moved\s+to)\s", text, re.I
    )
    if not (verb or said_due):
        return None
    rest = text[verb.end() :] if verb else text
    when = date_at_end(rest, today)
    if when is None:
        return None
    # "change/set/update/make" say many things; they move a date only as "… to <date>" or "… due <date>"
    # ("set up the printer tomorrow", "change the oil on Friday" are not moves).
    said_to = re.match(r"(?:to|until|till|due)\b", rest[when.start :], re.I)
    if (
        verb
        and verb["general"]
        and not said_to
        and not re.search(r"\bdue$", rest[: when.start].strip(), re.I)
    ):
        return None
    head = re.sub(rf"^(?:the\s+)?{_DUE}\s+(?:of|for|on)\s+", "", rest[: when.start].strip(), flags=re.I)
    head = re.sub(r"(?:\s+(?:to|until|till|for|on|due|back|out|is|are|now|moved))+$", "", head, flags=re.I)
    if not head or re.match(r"(?:a|an|new|another)\b", head, re.I):  # "make a new task for Friday"
        return None
    return Intent("update", target=clean_target(head), changes={"due_date": when.value.isoformat()})


def _change(text: str, _today: date) -> Intent | None:
    """ "change X to Y" where Y is neither a date nor a priority (those are read first): a new title."""
    m = re.match(rf"^(?:change|update|edit|switch)\s+{T}\s+(?:to|into)\s+(?P<new>.+)$", text, re.I)
    return Intent("update", target=clean_target(m["t"]), changes={"title": unquote(m["new"])}) if m else None


_CREATE = re.compile(
    r"^(?:add|create|new|put|schedule|plan|jot\s+down|note\s+down|reminder|"
    r"remind\s+me(?:\s+(?:to|about|that|of)\b)?|set\s+(?:a|an)\s+(?:new\s+)?reminder|"
    r"make\s+(?:a|an)\s+(?:new\s+)?(?:task|todo|to-do|reminder|note)|"
    r"(?:don'?t|do\s+not)\s+(?:let\s+me\s+)?forget|"
    r"(?:i\s+)?(?:need|must|gotta)|i\s+(?:have|should|ought)|have\s+to|i\s+got\s+to|i(?:'ve|\s+have)\s+got\s+to|"
    r"remember(?:\s+to)?|"
    r"todo|to-do|note\s+to\s+self|note)(?=\s|:|$)(?P<rest>.*)$",
    re.I,
)


def _create(text: str, today: date) -> Intent | None:
    m = _CREATE.match(text)
    # "I need to see my tasks" asks about the list.
    if not m or re.match(r"\s*(?:to\s+)?(?:see|view|know|find\s+out|look\s+at)\b", m["rest"], re.I):
        return None
    rest = m["rest"]
    changes: dict[str, str] = {}
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


_READERS: list[Callable[[str, date], Intent | None]] = [
    _rename,
    _clear_due,
    _reprioritise,
    _reopen,
    _complete,
    _delete,
    _reschedule,
    _change,
    _create,
    read_listing,
]
