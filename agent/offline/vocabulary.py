"""The offline model's vocabulary: the words and patterns its intents are read with."""

import re

from agent.offline.dates import DateMatch

QUESTION = r"(?:what|which|who|anything|something|everything|nothing|is|are)\b"  # not a task's name
QUOTES = "\"'\u2018\u2019\u201c\u201d"  # straight and curly: phones type the curly ones
PRIORITY = [
    (
        "high",
        re.compile(
            r"\b(?:high(?:est)?[\s-]+priority|high[\s-]+prio|urgent(?:ly)?|important|asap|"
            r"top[\s-]+priority|critical)\b",
            re.I,
        ),
    ),
    (
        "low",
        re.compile(
            r"\b(?:low(?:est)?[\s-]+priority|low[\s-]+prio|not\s+urgent|whenever|someday|"
            r"no\s+rush)\b",
            re.I,
        ),
    ),
    ("medium", re.compile(r"\b(?:medium[\s-]+priority|normal[\s-]+priority|medium|normal)\b", re.I)),
]
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
FILLER_END = re.compile(
    r"(?:\s*\b(?:to|on|for|by|due|with|at|and|the|task|todo|to\s+my\s+list|"
    r"to\s+the\s+list|to\s+my\s+tasks|please)\b|\s*[,.;:!?-])+\s*$",
    re.I,
)
TARGET_FILLER = re.compile(
    r"^(?:(?:the|my|a|an|that|this|task|todo|item|one)\b\s*)+|"
    r"(?:\s*\b(?:task|todo|item|one|please)\b)+\s*$",
    re.I,
)


LISTING_WORDS = re.compile(
    r"\b(?:please|can|could|you|list|show|display|see|view|what|what's|whats|which|are|is|do|does|i|have|has|"
    r"got|any|anything|all|how|many|give|me|tell|my|the|a|an|of|on|for|in|to|tasks?|todos?|to-dos?|items?|"
    r"things?|agenda|list|there|left|due|overdue|past|late|pending|open|remaining|incomplete|unfinished|not|done|"
    r"outstanding|completed|finished|priority|prio|high|low|medium|normal|urgent|important|this|next|week|"
    r"today|tomorrow|sorted|by|before|until|with|about|containing|matching|called|named|mention(?:ing)?|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|right|now|currently|still)\b|[?,.!']",
    re.I,
)


def leftover_words(text: str) -> str:
    stripped = LISTING_WORDS.sub(" ", re.sub(r"['\u2019]s\b", " ", text))
    stripped = re.sub(r"\b\d{4}-\d{2}-\d{2}\b", " ", stripped)
    return " ".join(word for word in stripped.split() if len(word) > 1)


def take_priority(text: str) -> tuple[str | None, str]:
    for level, regex in PRIORITY:
        m = regex.search(text)
        if m:
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
    target = unquote(" ".join(text.split()))
    return TARGET_FILLER.sub("", target).strip() or target


def unquote(text: str) -> str:
    return text.strip().strip(QUOTES).strip()
