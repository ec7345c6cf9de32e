"""Render `nginx.conf` beside this file for other instances, listen address and file locations.

`python -m deploy.nginx.render --listen 0.0.0.0:8080 --prefix /srv/edge 10.0.0.5:8000 10.0.0.6:8000`
prints it. The shipped file stays the one source of the rules: only the upstream servers, the
`listen` address and the paths nginx writes to are replaced, each where the shipped file has it
(anything else is an error, so an edit that moves one cannot render a config that quietly keeps
the compose addresses). With every path under `prefix`, nginx runs without root:
`nginx -p PREFIX -c PREFIX/nginx.conf -g 'daemon off;'`.
"""

import argparse
import re
from collections.abc import Sequence
from pathlib import Path

SOURCE = Path(__file__).with_name("nginx.conf")
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# The `server` lines of `upstream api`: one run of lines, parameters taken from the first.
_SERVERS = re.compile(r"^( +)server \S+( [^;\n]*)?;\n(?:\1server [^\n]*\n)*", re.MULTILINE)


class RenderError(ValueError):
    pass


def _replace_once(pattern: str, text: str, replacement: str) -> str:
    """`replacement` is literal text; `\\1` in the pattern's first group is kept in front of it."""
    result, count = re.subn(pattern, lambda m: m.group(1) + replacement, text, flags=re.MULTILINE)
    if count != 1:
        raise RenderError(f"expected one match of {pattern!r} in nginx.conf, found {count}")
    return result


def _upstream_servers(text: str, upstreams: Sequence[str]) -> str:
    block = re.search(r"^ *upstream api \{\n(.*?)^ *\}", text, flags=re.MULTILINE | re.DOTALL)
    if block is None:
        raise RenderError("nginx.conf has no `upstream api` block")
    body = block.group(1)
    runs = list(_SERVERS.finditer(body))
    if len(runs) != 1:
        raise RenderError(f"expected one run of `server` lines in `upstream api`, found {len(runs)}")
    indent, params = runs[0].group(1), runs[0].group(2) or ""
    lines = "".join(f"{indent}server {address}{params};\n" for address in upstreams)
    body = body[: runs[0].start()] + lines + body[runs[0].end() :]
    return text[: block.start(1)] + body + text[block.end(1) :]


def render(upstreams: Sequence[str], listen: str, prefix: Path) -> str:
    """nginx.conf proxying to `upstreams` ("host:port"), listening on `listen` ("host:port" or a
    port), with its pid, logs and temporary files under `prefix` (which must exist)."""
    if not upstreams:
        raise RenderError("at least one upstream is needed")
    text = _upstream_servers(SOURCE.read_text(), upstreams)
    text = _replace_once(r"^( *)listen \S+;$", text, f"listen {listen};")
    text = _replace_once(r"^()pid \S+;$", text, f"pid {prefix}/nginx.pid;")
    text = _replace_once(r"^()error_log \S+ warn;$", text, f"error_log {prefix}/error.log warn;")
    text = _replace_once(r"^( *)access_log /\S+ api;$", text, f"access_log {prefix}/access.log api;")
    # nginx creates every temporary directory at start, so each needs a writable place.
    temp = "".join(f"    {kind}_temp_path {prefix}/{kind}_temp;\n" for kind in TEMP_PATHS)
    return _replace_once(r"^(http \{\n)", text, temp)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Print deploy/nginx/nginx.conf rendered for these instances."
    )
    parser.add_argument("upstreams", nargs="+", help="instance addresses, host:port")
    parser.add_argument("--listen", default="8080", help="address nginx listens on (default 8080)")
    parser.add_argument("--prefix", type=Path, required=True, help="directory for pid, logs and temp files")
    args = parser.parse_args()
    print(render(args.upstreams, args.listen, args.prefix.resolve()), end="")


if __name__ == "__main__":
    main()
