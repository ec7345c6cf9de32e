"""Tolerance for small typos, on keywords only ("delte", "tomorow", "hight"), never on titles.

One edit (a letter missing, extra, wrong, or two neighbours swapped) is forgiven in words of five
letters or more; four-letter words are forgiven only a swap ("taks"), so real short words
("more", "made", "dome") are not mistaken for keywords ("move", "make", "done").
"""

from collections.abc import Iterable


def one_edit(typed: str, word: str) -> bool:
    """Whether `typed` is `word` with at most one edit (optimal string alignment distance <= 1)."""
    if typed == word:
        return True
    if abs(len(typed) - len(word)) > 1:
        return False
    if len(typed) == len(word):
        diffs = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        return _swapped(typed, word, diffs)
    shorter, longer = sorted((typed, word), key=len)
    i = next((i for i, (a, b) in enumerate(zip(shorter, longer, strict=False)) if a != b), len(shorter))
    return shorter[i:] == longer[i + 1 :]


def _swapped(typed: str, word: str, diffs: list[int]) -> bool:
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and typed[diffs[0]] == word[diffs[1]]
        and typed[diffs[1]] == word[diffs[0]]
    )


def correct(typed: str, words: Iterable[str], min_length: int = 5) -> str | None:
    """The one word of `words` that `typed` is, allowing a typo; None when none or several fit.

    A plural is not a typo ("fridays" is not "friday"): the word may mean something else."""
    typed = typed.lower()
    words = list(words)
    if typed in words:
        return typed
    if len(typed) < 4:
        return None
    fits = {
        w
        for w in words
        if typed != f"{w}s"
        and (
            (len(typed) >= min_length and one_edit(typed, w))
            or (len(typed) == len(w) and _swapped(typed, w, _diffs(typed, w)))
        )
    }
    return fits.pop() if len(fits) == 1 else None


def _diffs(a: str, b: str) -> list[int]:
    return [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
