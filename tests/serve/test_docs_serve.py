"""docs/serve.md stays true: its usage line names the options `winlang serve` has, its
session prints what the command prints, the proxies forward to the address the command
listens on by default, and its pages are the app's routes. (docs/tracking.md is
tests/serve/test_docs.py's.)"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner

from tests.docs_helpers import REPO, code_blocks
from winlang.cli import cli

PAGE = REPO / "docs" / "serve.md"
BLOCKS = list(code_blocks(PAGE))
HELP = CliRunner().invoke(cli, ["serve", "--help"]).output


def test_the_usage_line_names_the_options_serve_has():
    usage = next(b.text for b in BLOCKS if b.text.startswith("$ winlang serve ["))
    for option in re.findall(r"--[a-z-]+", usage):
        assert option in HELP
    assert "default: 127.0.0.1" in HELP and "default: 8000" in HELP


def test_the_proxies_forward_to_the_default_address():
    for tag in ("nginx", "caddyfile"):
        (block,) = [b.text for b in BLOCKS if b.tag == tag]
        assert "127.0.0.1:8000" in block
    oauth = next(b.text for b in BLOCKS if "oauth2-proxy" in b.text and b.tag == "text")
    assert "--upstream=http://127.0.0.1:8000/" in oauth


def test_the_pages_table_names_the_apps_routes():
    pytest.importorskip("starlette")
    from winlang.project import open_project
    from winlang.serve.app import create_app

    paths = {getattr(route, "path", "") for route in create_app(open_project()).routes}
    text = PAGE.read_text(encoding="utf-8")
    for shown in re.findall(r"^\| `(/[^`]*)` \|", text, re.M):
        route = re.sub(
            r"/(FILE|ID)$", lambda m: "/{file:path}" if m[1] == "FILE" else "/{customer}", shown
        )
        assert route in paths, shown


def test_the_session_prints_what_serve_prints(tmp_path):
    pytest.importorskip("uvicorn")
    session = next(b.text for b in BLOCKS if "$ winlang serve\n" in b.text + "\n")
    said = session.splitlines()[-2:]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "winlang.toml").write_text('[store]\nurl = "sqlite:///shop.db"\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "winlang", "serve", "--port", str(port)],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = [process.stderr.readline().rstrip("\n") for _ in said]
        assert first == [line.replace(":8000/", f":{port}/") for line in said]
        deadline = time.monotonic() + 60
        while True:  # until it answers: a project without a store still gets its page
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2.0)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert page.status_code == 200 and "The project" in page.text
    finally:
        process.terminate()
        process.wait(timeout=20)
