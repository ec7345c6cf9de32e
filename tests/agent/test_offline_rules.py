"""The offline model's trickier reading rules, one by one (the corpus test shows them in bulk)."""

from datetime import date

import pytest

from agent.offline.dates import date_at_end, find_date
from agent.offline.intents import parse
from agent.offline.replies import ASK_WHICH, Call, Done, next_step
from agent.offline.typos import correct, one_edit

SATURDAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("typed", "word", "expected"),
    [
        ("delte", "delete", True),  # a letter missing
        ("tomorrow", "tomorow", True),
        ("hight", "high", True),  # a letter extra
        ("renmae", "rename", True),  # neighbours swapped
        ("compelted", "complete", False),  # two edits
        ("reanme", "rename", True),
        ("rename", "renamed", True),
        ("rename", "rename", True),
        ("abc", "xyz", False),
    ],
)
def test_one_edit(typed: str, word: str, expected: bool) -> None:
    assert one_edit(typed, word) is expected


def test_short_words_forgive_only_a_swap_and_plurals_are_not_typos() -> None:
    verbs = ["move", "make", "mark", "delete", "show"]
    assert correct("delte", verbs) == "delete"
    assert correct("shwo", verbs) == "show"
    assert correct("more", verbs) is None, "a real word, one letter off 'move'"
    assert correct("made", verbs) is None
    assert correct("marks", ["mark"]) is None
    assert correct("fridays", ["friday"], min_length=7) is None
    assert correct("sundae", ["sunday"], min_length=7) is None
    assert correct("lake", ["like", "lame"]) is None, "two candidates: no guess"


@pytest.mark.parametrize(
    "text",
    [
        "in 99999999 days",
        "in 100000 weeks",
        "buy sun cream",
        "we sat down",
        "ask if we may park",
        "the march budget",
        "watch the match",
        "read the 5th chapter",
        "water the plants every monday",  # repeats: not one due date
    ],
)
def test_not_dates(text: str) -> None:
    assert find_date(text, SATURDAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on the 21st", "2026-11-21"),  # today
        ("by the 1st", "2026-12-01"),
        ("due on the 31st", "2026-12-31"),  # November has no 31st
        ("on friday the 27th", "2026-11-27"),
    ],
)
def test_day_of_month(text: str, expected: str) -> None:
    match = find_date(f"pay rent {text}", SATURDAY)
    assert match is not None and match.value.isoformat() == expected


def test_a_date_past_year_9999_is_no_date() -> None:
    assert find_date("in 3 days", date(9999, 12, 30)) is None
    intent = parse("add check the archive in 99999999 days", SATURDAY)
    assert intent.title == "Check the archive in 99999999 days" and intent.changes == {}


def test_the_date_a_sentence_ends_with() -> None:
    match = date_at_end("the Friday meeting to Monday", SATURDAY)
    assert match is not None and match.value == date(2026, 11, 23)
    assert date_at_end("the Friday meeting", SATURDAY) is None
    intent = parse("move the Friday meeting to Monday", SATURDAY)
    assert (intent.kind, intent.target, intent.changes) == (
        "update",
        "Friday meeting",
        {"due_date": "2026-11-23"},
    )


@pytest.mark.parametrize(
    ("message", "kind", "target"),
    [
        ("could you please delete the report for me, thanks", "delete", "report"),
        ("oops, I didn't finish the taxes", "reopen", "taxes"),
        ("mark the task about the dentist as done", "complete", "dentist"),
        ("remove the one called Pay rent from my list", "delete", "Pay rent"),
        ("mark the milk one done", "complete", "milk"),
        ("I paid the rent", "complete", "rent"),
        ("when's the rent due?", "details", "rent"),
        ("DELTE THE MILK TASK!!", "delete", "MILK"),
    ],
)
def test_how_a_task_is_named(message: str, kind: str, target: str) -> None:
    intent = parse(message, SATURDAY)
    assert (intent.kind, intent.target) == (kind, target)


@pytest.mark.parametrize(
    "message",
    [
        "I noticed the report is late",  # a clause, not a thing done
        "I added milk",  # -ed, but not "done"
        "I wanted to call mom",
        "what's the weather like?",
        "sat down with Joe",
        "set up the printer tomorrow",  # "set" moves a date only as "set X to <date>"
        "change the oil on Friday",
        "all done",
    ],
)
def test_not_a_task_change(message: str) -> None:
    assert parse(message, SATURDAY).kind == "help"


@pytest.mark.parametrize("message", ["mark it done", "delete that one", "move the first one to Friday"])
def test_a_pronoun_is_no_name(message: str) -> None:
    # A search for "it" would match any title holding those letters, and act on it.
    assert parse(message, SATURDAY).target is None
    assert next_step(message, None, None, [], SATURDAY) == ASK_WHICH


def test_quoted_names_may_hold_any_words() -> None:
    intent = parse("rename 'Book flights to Lisbon' to 'Book flights'", SATURDAY)
    assert (intent.target, intent.changes) == ("Book flights to Lisbon", {"title": "Book flights"})


@pytest.mark.parametrize(
    ("message", "priority"),
    [
        ("the hotel is not urgent", "low"),
        ("make buy milk urgent", "high"),
        ("make the plants task hight priority", "high"),
        ("set buy milk to medium", "medium"),
        ("lower the priority of the rent", "low"),
        ("bump the report to high priority", "high"),
    ],
)
def test_priority_changes(message: str, priority: str) -> None:
    assert parse(message, SATURDAY).changes == {"priority": priority}


@pytest.mark.parametrize(
    ("message", "filters"),
    [
        ("show my tasks sorted by due date", {"sort_by": "due_date"}),
        ("list tasks by priority", {"sort_by": "priority", "order": "desc"}),
        ("show tasks alphabetically", {"sort_by": "title"}),
        ("show my taks", {}),
        ("what's due before Dec 3rd", {"due_before": "2026-12-03", "sort_by": "due_date"}),
        ("find tasks with milk", {"search": "milk"}),
    ],
)
def test_list_filters(message: str, filters: dict[str, str]) -> None:
    intent = parse(message, SATURDAY)
    assert (intent.kind, intent.filters) == ("list", filters)


def _task(title: str) -> dict[str, object]:
    return {"id": title, "title": title, "description": None, "completed": False, "priority": "medium"}


def test_the_wide_search_takes_the_task_mentioning_most_of_the_name() -> None:
    name_search = Done("list_tasks", {"search": "dentist appointment"}, {"items": [], "total": 0})
    page = {"items": [_task("Call the dentist"), _task("Buy milk")], "total": 2}
    wide = Done("list_tasks", {"limit": 100}, page)
    step = next_step("cancel the dentist appointment", None, None, [name_search, wide], SATURDAY)
    assert step == Call("delete_task", {"task_id": "Call the dentist"})
    # Nothing in common: nothing is deleted.
    step = next_step("cancel the unicorn parade", None, None, [name_search, wide], SATURDAY)
    assert step == 'I couldn\'t find a task matching "unicorn parade".'
    # Fewer than half of the name's telling words in common: no guess.
    name_search = Done("list_tasks", {"search": "Sarah about the report"}, {"items": [], "total": 0})
    page = {"items": [_task("Write the report"), _task("Buy milk")], "total": 2}
    step = next_step(
        "I emailed Sarah about the big report",
        None,
        None,
        [name_search, Done("list_tasks", {}, page)],
        SATURDAY,
    )
    assert step == 'I couldn\'t find a task matching "Sarah about the big report".'
    # Two tasks equally close: it asks.
    page = {"items": [_task("Call the dentist"), _task("Pay the dentist")], "total": 2}
    step = next_step(
        "cancel the dentist appointment", None, None, [name_search, Done("list_tasks", {}, page)], SATURDAY
    )
    assert isinstance(step, str) and step.endswith("Which one do you mean?")
