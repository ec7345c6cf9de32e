"""Passwords: the policy a new one must meet, and hashing on a bounded pool of threads.

Hashing is slow on purpose (argon2id, ~0.1 s of CPU), so a flood of logins must queue for a few
threads rather than run on as many as the default executor has, which left the event loop (and
every other request) a sliver of the CPU. The pool's size is fixed at half the cores (at least
one), and its threads run at a lower priority, so the event loop and the database keep the CPU
they need.

The policy: 8 to 128 characters, not the account's own email address, and not easy to guess.
"Easy to guess" is zxcvbn's estimate (pinned; a port of Dropbox's estimator): it knows the
30,000 most common passwords of a large breach corpus, English words, names, keyboard walks,
sequences, repeats and dates, and the account's own email and name. A password must need at
least a million guesses (its score 2 of 4); with the login limits per account that is years of
online guessing. A bundled list of common passwords would catch "12345678" but not "aaaaaaaa",
eight spaces, "qwertyuiop" or the user's own name, which each needed a rule of their own.
"""

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

from pwdlib import PasswordHash
from pydantic import AfterValidator, StringConstraints
from zxcvbn import zxcvbn

from tools.emails import normalize_email
from tools.schemas import storable_text

PASSWORD_MIN, PASSWORD_MAX = 8, 128
MIN_SCORE = 2  # zxcvbn: 2 = at least 10^6 guesses
_ESTIMATED_CHARS = 72  # zxcvbn refuses longer input; the first 72 characters decide

Password = Annotated[
    str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX), AfterValidator(storable_text)
]
# A password as typed at login: only bounded (a wrong one is a 401 like any other).
TypedPassword = Annotated[str, StringConstraints(max_length=PASSWORD_MAX), AfterValidator(storable_text)]

_hasher = PasswordHash.recommended()  # argon2id


def _yield_the_cpu() -> None:
    """Run this pool's threads at a lower priority (Linux: threads have their own nice value):
    when the event loop or the database needs a core, they get it before the next hash does."""
    # Not Linux, or not allowed: the pool's size still bounds it.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


_pool = ThreadPoolExecutor(
    max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="passwords", initializer=_yield_the_cpu
)
# Verified when the email is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def weakness(password: str, *, email: str, name: str | None = None) -> str | None:
    """Why `password` may not be used by this account, or None if it may."""
    folded = normalize_email(password)
    local_part = email.split("@", 1)[0]
    if folded in (email, local_part):
        return "must not be your email address"
    inputs = [email, local_part, *([name] if name else [])]
    estimate = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=inputs)
    if estimate["score"] >= MIN_SCORE:
        return None
    warning = estimate["feedback"]["warning"] or "it is too easy to guess"
    return f"too easy to guess: {warning.rstrip('.')}; try a few words that do not belong together"


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, _hasher.hash, password)


async def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`; with no stored hash, as slow as if there were one."""
    valid = await asyncio.get_running_loop().run_in_executor(
        _pool, _hasher.verify, password, stored or _DUMMY_HASH
    )
    return valid and stored is not None


async def check_password(password: str, *, email: str, name: str | None) -> str | None:
    """`weakness` on the pool: the estimate costs up to ~50 ms of CPU for a long password."""
    return await asyncio.get_running_loop().run_in_executor(
        _pool, lambda: weakness(password, email=email, name=name)
    )
