"""A pytest plugin: each cassette or transcript in a `conversations/` directory becomes one test.

Enable it with `-p replay.pytest_plugin` (or `pytest_plugins = ["replay.pytest_plugin"]`
in a conftest). Each conversation replays on a throw-away SQLite database, or on
`REPLAY_DATABASE_URL` when set; `--replay-mode sequential` and `--replay-ignore-text` loosen it.
"""

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from replay.cassette import CassetteError
from replay.runner import Report, replay
from replay.transcript_model import load_source


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("replay", "replaying recorded conversations")
    group.addoption("--replay-mode", choices=["strict", "sequential"], default="strict")
    group.addoption("--replay-ignore-text", action="store_true", default=False)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix in (".jsonl", ".json") and file_path.parent.name == "conversations":
        return CassetteFile.from_parent(parent, path=file_path)
    return None


class CassetteFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        yield ConversationTest.from_parent(self, name=self.path.stem)


class ReplayFailure(Exception):
    pass


class ConversationTest(pytest.Item):
    def runtest(self) -> None:
        try:
            cassette, model = load_source(self.path)
        except CassetteError as exc:
            raise ReplayFailure(str(exc)) from exc
        report: Report = asyncio.run(
            replay(
                cassette,
                model=model,
                mode=self.config.getoption("--replay-mode"),
                ignore_text=self.config.getoption("--replay-ignore-text"),
                database_url=os.environ.get("REPLAY_DATABASE_URL"),
            )
        )
        if not report.passed:
            raise ReplayFailure(report.describe())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ReplayFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"replay: {self.name}"
