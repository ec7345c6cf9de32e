"""`python -m replay PATH...`: replay recorded conversations and report what changed.

Exits 0 when every turn of every conversation behaves as recorded, 1 otherwise, 2 when a
cassette cannot be read.
"""

import argparse
import asyncio
import sys

from replay.cassette import Cassette, CassetteError, find
from replay.runner import Report, replay, summary_table
from replay.transcript_model import TranscriptModel, load_source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m replay", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths", nargs="+", help="cassettes (*.jsonl) and transcripts (*.json), or directories"
    )
    parser.add_argument(
        "--mode",
        choices=["strict", "sequential"],
        default="strict",
        help="strict: every model request must match the recording (default)",
    )
    parser.add_argument("--ignore-text", action="store_true", help="do not compare the replies' text")
    parser.add_argument("--database-url", help="replay on this database (default: a throw-away SQLite file)")
    parser.add_argument(
        "--base-url", help="replay against a running server (started with LLM_PROVIDER=replay)"
    )
    parser.add_argument("--token", help="with --base-url: a fresh user's access token")
    args = parser.parse_args(argv)
    try:
        sources = [load_source(path) for path in find(args.paths)]
    except CassetteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not sources:
        print("error: no cassette or transcript found", file=sys.stderr)
        return 2
    reports = asyncio.run(_replay_all(sources, args))
    print(summary_table(reports))
    for report in reports:
        if not report.passed:
            print("\n" + report.describe())
    return 0 if all(r.passed for r in reports) else 1


async def _replay_all(
    sources: list[tuple[Cassette, TranscriptModel | None]], args: argparse.Namespace
) -> list[Report]:
    return [
        await replay(
            cassette,
            model=model,
            mode=args.mode,
            ignore_text=args.ignore_text,
            database_url=args.database_url,
            base_url=args.base_url,
            token=args.token,
        )
        for cassette, model in sources
    ]


if __name__ == "__main__":
    sys.exit(main())
