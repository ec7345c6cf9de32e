"""Recorded response bodies, rewritten on their reassembled content.

A streamed response cuts text and tool-call arguments into deltas wherever it likes: a task id
in a call's arguments may arrive as `{"task_id": "c998` in one delta and `1db6-...` in the next.
Anything that rewrites a recorded stream (the replay puts this run's ids where the recording has
its own) must therefore work on each delta channel's whole content — all the deltas of one tool
call's arguments, of one text part — and cut the result back at the recorded boundaries, so the
stream the client sees keeps the recorded fragmentation. Strings outside delta channels (the
`.done` events, whole items, the final response) are whole already.
"""

import json
from collections.abc import Callable, Iterator
from typing import Any

Rewrite = Callable[[str], str]
Slot = tuple[Any, Any]  # a container (dict or list) and the key of a string in it


def rewrite(body: str, content_type: str, change: Rewrite) -> str:
    """`change` applied to every string of a recorded response body, delta channels whole."""
    if "text/event-stream" not in content_type:
        try:
            document = json.loads(body)
        except ValueError:
            return change(body)
        return json.dumps(_apply(document, change, set()))
    frames = [_decode(data) for data in _data_lines(body)]
    channels: dict[tuple[Any, ...], list[Slot]] = {}
    for frame in frames:
        for key, slot in _delta_slots(frame):
            channels.setdefault(key, []).append(slot)
    in_channels = {(id(container), key) for slots in channels.values() for container, key in slots}
    frames = [_apply(frame, change, in_channels) for frame in frames]
    for slots in channels.values():
        pieces = [container[key] for container, key in slots]
        for (container, key), text in zip(slots, cut_like("".join(pieces), pieces, change), strict=True):
            container[key] = text
    return "".join(_frame(frame) for frame in frames)


def cut_like(whole: str, pieces: list[str], change: Rewrite) -> list[str]:
    """`change(whole)` cut where `pieces` were cut (the last piece takes any change in length)."""
    changed = change(whole)
    out, at = [], 0
    for piece in pieces[:-1]:
        out.append(changed[at : at + len(piece)])
        at += len(piece)
    return [*out, changed[at:]]


def _delta_slots(frame: Any) -> Iterator[tuple[tuple[Any, ...], Slot]]:
    """The delta strings of one frame, each with the channel it continues."""
    if not isinstance(frame, dict):
        return
    kind = frame.get("type")
    if isinstance(kind, str) and kind.endswith(".delta") and isinstance(frame.get("delta"), str):
        # Responses API: one channel per event kind, item and part.
        parts = ("item_id", "output_index", "content_index", "summary_index")
        yield ("responses", kind, *(frame.get(p) for p in parts)), (frame, "delta")
    for choice in frame.get("choices") or []:  # Chat Completions: per choice, field and tool call
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if not isinstance(delta, dict):
            continue
        for field in ("content", "refusal", "reasoning_content"):
            if isinstance(delta.get(field), str):
                yield ("chat", choice.get("index"), field), (delta, field)
        for call in delta.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                yield ("chat", choice.get("index"), "tool", call.get("index")), (function, "arguments")


def _apply(node: Any, change: Rewrite, skip: set[tuple[int, Any]]) -> Any:
    """Rewrite every string in place, except the slots listed in `skip`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if (id(node), key) not in skip:
                node[key] = _apply(value, change, skip)
        return node
    if isinstance(node, list):
        for index, value in enumerate(node):
            if (id(node), index) not in skip:
                node[index] = _apply(value, change, skip)
        return node
    return change(node) if isinstance(node, str) else node


def _data_lines(body: str) -> Iterator[str]:
    """The `data:` of each event (the `event:` line repeats the data's own `type`)."""
    for block in body.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")]
        if data:
            yield "\n".join(data)


def _decode(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data  # `[DONE]`


def _frame(frame: Any) -> str:
    if isinstance(frame, str):
        return f"data: {frame}\n\n"
    kind = frame.get("type") if isinstance(frame, dict) else None
    line = f"event: {kind}\n" if isinstance(kind, str) and "." in kind else ""
    return f"{line}data: {json.dumps(frame, ensure_ascii=False)}\n\n"
