"""The offline model's vocabulary: the words and patterns its intents are read with."""

import re

from agent.offline.dates import DATE_WORDS, DateMatch
from agent.offline.typos import correct

QUESTION = r"(?:what|which|who|anything|something|everything|nothing|is|are)\b"  # not a task's name
QUOTES = "\"'\u2018\u2019\u201c\u201d"  # straight and curly: phones type the curly ones
PRIORITY = [
    (
        "high",
        re.compile(
            r"\b(?:high(?:est)?[\s-]+priority|high[\s-]+prio|(?<!not\s)urgent(?:ly)?|(?<!not\s)important|asap|"
            r"top[\s-]+priority|critical)\b",
            re.I,
        ),
    ),
    (
        "low",
        re.compile(
            r"\b(?:low(?:est)?[\s-]+priority|low[\s-]+prio|not\s+(?:urgent|important)|whenever|someday|"
            r"no\s+rush)\b",
            re.I,
        ),
    ),
    ("medium", re.compile(r"\b(?:medium[\s-]+priority|normal[\s-]+priority|medium|normal)\b", re.I)),
]
_LEVEL_BEFORE_PRIORITY = re.compile(r"\b(?P<level>[a-z]+)[\s-]+prio(?:rity)?\b", re.I)
BARE_PRIORITY = {
    "high": "high",
    "urgent": "high",
    "important": "high",
    "low": "low",
    "medium": "medium",
    "normal": "medium",
}
FILLER_START = re.compile(
    r"^(?:(?:a|an|the|my|new|another|one|some|task|todo|to-do|item|reminder|"
    r"called|named|titled|to|for|that|which|is|of|with|:|-)\b\s*|[:\-,]\s*)+",
    re.I,
)
_MY_LIST = r"(?:to|on|onto|in|from|off)\s+(?:my|the)\s+(?:todo\s+|to-do\s+|task\s+)?(?:list|tasks|todos)"
FILLER_END = re.compile(
    rf"(?:\s*\b(?:to|on|for|by|due|with|at|and|the|task|todo|{_MY_LIST}|please|it'?s|it\s+is)\b|"
    r"\s*[,.;:!?-])+\s*$",
    re.I,
)
_THING = r"(?:task|todo|to-do|item|one|reminder|entry)"
TARGET_FILLER = re.compile(
    rf"^(?:(?:the|my|a|an|that|this|{_THING})\b\s*)+|(?:\s*\b(?:{_THING}|please|again)\b)+\s*$",
    re.I,
)
# "the task about the dentist", "the one called Pay rent", "the reminder to call mom"
_NAMED = re.compile(
    rf"^(?:(?:the|my|a|that|this)\s+)?{_THING}s?\s+(?:that(?:'s|\s+is)\s+|which\s+is\s+)?"
    r"(?:about|called|named|titled|for|to|with|mentioning|saying|regarding|on)\s+",
    re.I,
)
_FROM_MY_LIST = re.compile(rf"\s+{_MY_LIST}$", re.I)

# Said around a request, not part of it: "could you please …", "… for me, thanks".
_POLITE_START = re.compile(
    r"^(?:(?:please|pls|plz|kindly|hey|hi|hello|ok|okay|so|oh|oops|ah|hmm|um|uh|and|also|now|well|yes|"
    r"yeah|actually|btw)\b[\s,]*"
    r"|(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?"
    r"|(?:i'?d\s+like|i\s+want|i\s+need)\s+you\s+to\s+"
    r"|(?:i'?d\s+like\s+to|let'?s|let\s+me)\s+)+",
    re.I,
)
_POLITE_END = re.compile(r"(?:[\s,]+(?:please|pls|plz|for\s+me|thanks|thank\s+you|thx|ty)\b)+$", re.I)
# The verbs a request starts with: a typo in the first word is forgiven ("delte", "renmae").
VERBS = (
    "add", "create", "remind", "schedule", "delete", "remove", "cancel", "erase", "trash", "rename",
    "retitle", "complete", "finish", "mark", "check", "tick", "cross", "reopen", "unmark", "move",
    "reschedule", "postpone", "push", "shift", "delay", "defer", "prioritise", "prioritize",
    "deprioritise", "deprioritize", "change", "update", "edit", "set", "make", "lower", "raise",
    "bump", "clear", "show", "list", "display", "find", "search", "sort", "describe", "open", "tell",
)  # fmt: skip
# Words for "the list itself", so "show my taks" is not a search for "taks".
LISTING_NOUNS = ("task", "tasks", "todo", "todos", "items", "list", "things", "reminders")
_KEYWORDS = (*DATE_WORDS, "priority")


def normalise(message: str) -> str:
    """One spacing, straight apostrophes, no trailing punctuation, typos in date words fixed."""
    text = " ".join(message.split())
    text = re.sub(r"(?<=\w)[\u2019\u2018](?=\w)", "'", text)
    text = re.sub(r"[\s.!?\u2026]+$", "", text)
    return re.sub(r"[A-Za-z]{5,}", _keyword, text)


def _keyword(m: re.Match[str]) -> str:
    fixed = correct(m.group(), _KEYWORDS, min_length=7)
    return fixed if fixed and fixed != m.group().lower() else m.group()


def strip_polite(text: str) -> str:
    return _POLITE_END.sub("", _POLITE_START.sub("", text)).strip(" ,")


def fix_verb(text: str) -> str:
    """The first word as the verb it was meant to be, when it is one letter off one."""
    m = re.match(r"[A-Za-z]+", text)
    verb = correct(m.group(), VERBS) if m else None
    return verb + text[m.end() :] if m and verb and verb != m.group().lower() else text


LISTING_WORDS = re.compile(
    r"\b(?:please|can|could|you|list|show|display|see|view|what|what's|whats|which|are|is|do|does|i|have|has|"
    r"got|gotta|need|should|must|any|anything|everything|all|how|many|give|me|tell|my|the|a|an|of|on|for|in|"
    r"to|tasks?|todos?|to-dos?|items?|stuff|find|search|look|sort|plate|up|coming|upcoming|planned|scheduled|"
    r"schedule|calendar|want|like|know|"
    r"things?|agenda|list|there|left|due|overdue|past|late|pending|open|remaining|incomplete|unfinished|not|done|"
    r"outstanding|completed|finished|priority|prio|high|low|medium|normal|urgent|important|this|next|week|"
    r"today|tomorrow|sorted|by|before|until|with|about|containing|matching|called|named|mention(?:ing)?|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|right|now|currently|still)\b|[?,.!']",
    re.I,
)


def leftover_words(text: str) -> str:
    stripped = LISTING_WORDS.sub(" ", re.sub(r"['\u2019](?:s|ve|re|ll|d|m)\b", " ", text))
    stripped = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", " ", stripped)
    return " ".join(w for w in stripped.split() if len(w) > 1 and not correct(w, LISTING_NOUNS))


def take_priority(text: str) -> tuple[str | None, str]:
    for level, regex in PRIORITY:
        m = regex.search(text)
        if m:
            return level, (text[: m.start()] + " " + text[m.end() :]).strip()
    for m in _LEVEL_BEFORE_PRIORITY.finditer(text):
        word = correct(m["level"], ["high", "highest", "low", "lowest", "medium", "normal"])
        if word:
            level = {"highest": "high", "lowest": "low", "normal": "medium"}.get(word, word)
            return level, (text[: m.start()] + " " + text[m.end() :]).strip()
    return None, text


def cut(text: str, span: DateMatch) -> str:
    return (text[: span.start] + " " + text[span.end :]).strip()


def clean_title(text: str) -> str:
    title = " ".join(text.split())
    for _ in range(3):  # fillers peel off in layers: "a task to call" -> "call"
        title = FILLER_END.sub("", FILLER_START.sub("", title)).strip()
    title = unquote(title)
    return title[:1].upper() + title[1:]


def clean_target(text: str) -> str:
    target = unquote(_FROM_MY_LIST.sub("", " ".join(text.split())))
    target = unquote(_NAMED.sub("", target))
    return TARGET_FILLER.sub("", target).strip() or target


def unquote(text: str) -> str:
    return text.strip().strip(QUOTES).strip()
