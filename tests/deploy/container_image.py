"""What the Dockerfile says about the image, for the deployment files that must agree with it."""

import json
import re
import shlex
from pathlib import Path

DOCKERFILE = Path(__file__).parents[2] / "Dockerfile"


def serve_command() -> list[str]:
    """The image's server command, without the migration step the image runs before it: the
    command every multi-instance deployment gives its API containers."""
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE.read_text(), flags=re.MULTILINE)
    assert cmd, "the Dockerfile has no CMD in exec form"
    argv = json.loads(cmd.group(1))
    if argv[:2] == ["sh", "-c"]:  # "python -m backend.migrate && exec uvicorn ..."
        argv = shlex.split(argv[2].rsplit("&& exec ", 1)[-1])
    return argv


def user_id() -> int:
    uid = re.search(r"useradd .*--uid (\d+)", DOCKERFILE.read_text())
    assert uid, "the Dockerfile creates no user with a fixed uid"
    return int(uid.group(1))
