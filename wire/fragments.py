"""How a provider cuts text and tool-call arguments into stream deltas.

Real providers send small pieces of uneven length — a tool call's arguments arrive in many
deltas that split keys, values and ids anywhere. `uneven` does the same, deterministically per
text and seed, so a recording made with it is reproducible and a test can try many cuttings.
"""

import random
import re
from collections.abc import Callable

Fragments = Callable[[str], list[str]]


def whole(text: str) -> list[str]:
    return [text] if text else []


def words(text: str) -> list[str]:
    """Word by word (with the spaces after each), as a model's tokens roughly go."""
    return re.findall(r"\S+\s*|\s+", text)


def uneven(seed: int = 0, smallest: int = 1, largest: int = 8) -> Fragments:
    def cut(text: str) -> list[str]:
        rng = random.Random(f"{seed}:{text}")  # noqa: S311 (a cutting pattern, not a secret)
        pieces, at = [], 0
        while at < len(text):
            size = rng.randint(smallest, largest)
            pieces.append(text[at : at + size])
            at += size
        return pieces

    return cut
