"""The offline model's side of the conversation: which tool to call next, or what to say."""

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from agent.offline.intents import FIND_THEN_ACT, Intent, parse

ASK_TITLE = "What should the new task be called?"
ASK_WHICH = 'Which task do you mean? Please name it, e.g. "the dentist task".'
HELP = (
    'I can add, list, complete, change and delete your tasks. Try "add a high priority task for '
    'Friday to call the dentist", "show my pending tasks" or "mark the dentist task done".'
)
WIDE_SEARCH_LIMIT = 100
_UNTELLING = frozenset({"the", "and", "for", "with", "about", "from", "that", "this", "all", "task", "tasks"})


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Done:
    """A tool call of this turn and the output it got."""

    name: str
    arguments: dict[str, Any]
    output: dict[str, Any]


def next_step(
    message: str, previous_reply: str | None, previous_message: str | None, done: list[Done], today: date
) -> Call | str:
    intent = parse(message, today)
    if previous_reply == ASK_TITLE and previous_message is not None and not done:
        intent = _title_answer(message, previous_message, today)
    if not done:
        return _first_step(intent)
    last = done[-1]
    if "error" in last.output:
        return f"Sorry, that didn't work: {last.output['error']}."
    if last.name == "list_tasks" and intent.kind in FIND_THEN_ACT:
        return _act_on_found(intent, last.output, searches=sum(d.name == "list_tasks" for d in done))
    return _report(intent, last)


def _title_answer(message: str, previous_message: str, today: date) -> Intent:
    asked = parse(previous_message, today)
    answer = parse(f"add {message}", today)
    return Intent("create", title=answer.title or message.strip(), changes=asked.changes | answer.changes)


def _first_step(intent: Intent) -> Call | str:
    if intent.kind == "help":
        return HELP
    if intent.kind == "create":
        if not intent.title:
            return ASK_TITLE
        return Call("create_task", {"title": intent.title, **intent.changes})
    if intent.kind == "list":
        return Call("list_tasks", intent.filters)
    if not intent.target:
        return ASK_WHICH
    return Call("list_tasks", {"search": intent.target, "limit": 10})


def _act_on_found(intent: Intent, page: dict[str, Any], searches: int) -> Call | str:
    target = intent.target or ""
    items = page.get("items", [])
    if searches > 1:  # the wide search: keep the tasks that mention most words of the name
        items = _mentioning(items, target)
    candidates = _best(items, intent, target)
    if not candidates:
        if searches == 1 and len(target.split()) > 1:
            return Call("list_tasks", {"limit": WIDE_SEARCH_LIMIT})
        return f'I couldn\'t find a task matching "{target}".'
    if len(candidates) > 1:
        options = "; ".join(f'"{t["title"]}"{_suffix(t)}' for t in candidates[:5])
        return f'I found {len(candidates)} tasks matching "{target}": {options}. Which one do you mean?'
    return _action(intent, candidates[0])


def _mentioning(items: list[dict[str, Any]], target: str) -> list[dict[str, Any]]:
    """Tasks mentioning every word of the name, else those mentioning the most of its telling words,
    if that is at least half of them ("the dentist appointment" is "Call the dentist")."""
    words = target.lower().split()
    texts = [f"{t['title']} {t.get('description') or ''}".lower() for t in items]
    every = [t for t, text in zip(items, texts, strict=True) if all(w in text for w in words)]
    if every:
        return every
    telling = [w for w in words if len(w) > 2 and w not in _UNTELLING]
    scores = [sum(w in text for w in telling) for text in texts]
    best = max(scores, default=0)
    if not best or 2 * best < len(telling):
        return []
    return [t for t, score in zip(items, scores, strict=True) if score == best]


def _best(items: list[dict[str, Any]], intent: Intent, target: str) -> list[dict[str, Any]]:
    exact = [t for t in items if t["title"].lower() == target.lower()]
    if exact:
        return exact
    wanted = {"complete": False, "reopen": True}.get(intent.kind)
    if wanted is not None and any(t["completed"] == wanted for t in items):
        return [t for t in items if t["completed"] == wanted]
    return items


def _action(intent: Intent, task: dict[str, Any]) -> Call | str:
    task_id = task["id"]
    match intent.kind:
        case "complete":
            if task["completed"]:
                return f'"{task["title"]}" is already done.'
            return Call("update_task", {"task_id": task_id, "completed": True})
        case "reopen":
            if not task["completed"]:
                return f'"{task["title"]}" is not done yet.'
            return Call("update_task", {"task_id": task_id, "completed": False})
        case "delete":
            return Call("delete_task", {"task_id": task_id})
        case "details":
            return Call("read_task", {"task_id": task_id})
        case _:
            return Call("update_task", {"task_id": task_id, **intent.changes})


def _report(intent: Intent, last: Done) -> str:
    out = last.output
    if last.name == "list_tasks":
        return _listing(intent, out)
    title = f'"{out["title"]}"'
    if last.name == "create_task":
        return f"Added {title}{_suffix(out)}."
    if last.name == "delete_task":
        return f"Deleted {title}."
    if last.name == "read_task":
        notes = f" Notes: {out['description']}" if out.get("description") else ""
        state = "done" if out["completed"] else "not done yet"
        return f"{title}: {out['priority']} priority, {_due(out) or 'no due date'}, {state}.{notes}"
    return f"Updated {title}: {_changes(last.arguments, out)}."


def _changes(arguments: dict[str, Any], task: dict[str, Any]) -> str:
    said = []
    if "completed" in arguments:
        said.append("marked as done" if task["completed"] else "reopened")
    if "title" in arguments:
        said.append(f'renamed to "{task["title"]}"')
    if "priority" in arguments:
        said.append(f"priority is now {task['priority']}")
    if "due_date" in arguments:
        said.append(f"now {_due(task)}" if task["due_date"] else "no due date any more")
    if "description" in arguments:
        said.append("notes updated" if task["description"] else "notes cleared")
    return ", ".join(said) or "no changes"


def _listing(intent: Intent, page: dict[str, Any]) -> str:
    filters = intent.filters
    kind = " ".join(
        x
        for x in (
            filters.get("status") if filters.get("status") != "all" else None,
            f"{filters['priority']} priority" if filters.get("priority") else None,
        )
        if x
    )
    noun = f"{kind} task" if kind else "task"
    about = f' matching "{filters["search"]}"' if filters.get("search") else ""
    total, items = page["total"], page["items"]
    if total == 0:
        return f"You have no {noun}s{about}."
    lines = [f"- {t['title']}{_suffix(t)}" for t in items]
    more = f"\n…and {total - len(items)} more." if total > len(items) else ""
    return f"You have {total} {noun}{'s' if total != 1 else ''}{about}:\n" + "\n".join(lines) + more


def _suffix(task: dict[str, Any]) -> str:
    parts = [f"{task['priority']} priority"]
    if task.get("due_date"):
        parts.append(_due(task))
    if task.get("completed"):
        parts.append("done")
    return f" ({', '.join(parts)})"


def _due(task: dict[str, Any]) -> str:
    if not task.get("due_date"):
        return ""
    day = date.fromisoformat(task["due_date"])
    return f"due {day:%A} {day.isoformat()}"


def parse_output(output: Any) -> dict[str, Any]:
    """A tool output as the model received it (a JSON string), back to a dict."""
    if isinstance(output, str):
        try:
            output = json.loads(output)
        except json.JSONDecodeError:
            return {"error": output}
    return output if isinstance(output, dict) else {"error": str(output)}


def user_text(item: dict[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    parts = [p.get("text", "") for p in content or [] if isinstance(p, dict)]
    return " ".join(p for p in parts if p)
