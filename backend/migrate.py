"""`python -m backend.migrate [revision]`: apply migrations to the configured database."""

import argparse

from backend.settings import Settings
from db.migrate import upgrade


def main() -> None:
    parser = argparse.ArgumentParser(description="Apply database migrations to DATABASE_URL.")
    parser.add_argument("revision", nargs="?", default="head")
    upgrade(Settings().database_url, parser.parse_args().revision)


if __name__ == "__main__":
    main()
