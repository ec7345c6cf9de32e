"""What every benchmark section is given: the run's database, its log directory, its options."""

import argparse
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Bench:
    database_url: str  # a migrated database of its own, dropped when the run ends
    logs: Path  # the servers' stderr, one file each, kept after the run
    args: argparse.Namespace
