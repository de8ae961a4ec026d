"""A profile of a whole ``winlang`` command, one command away (pyinstrument, text and HTML).

    .venv/bin/python -m benchmarks.profile dry-run --campaign ladder --store duckdb --customers 1M
    .venv/bin/python -m benchmarks.profile deliver --customers 1M       # ~106k e-mails, outbox
    .venv/bin/python -m benchmarks.profile check                        # four files, --schema
    .venv/bin/python -m benchmarks.profile check-1000                   # parse + check 1,000 rules

The command runs in a fresh process under ``python -m pyinstrument``, as a user runs it: a dry
run in a scratch copy of the size's project folder (its own state file: the shared data is only
read); ``deliver`` the benchmarks' delivery campaign (:mod:`benchmarks.test_bench_deliver`:
e-mail to every customer with ``id <= 150,000``) into a fresh state and outbox; ``check`` the
four example campaigns against ``campaigns/schema.json`` (CI's use); ``check-1000`` a generated
campaign of 1,000 rules (:mod:`benchmarks.generate`). Writes ``<out>/<name>.txt`` and
``<out>/<name>.html`` (default ``out``: ``benchmarks/results/profiles``) and prints the text.
The data are written first if missing (:mod:`benchmarks.data`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.campaigns import NOW_TEXT
from benchmarks.data import Stores, parse_size, stores

REPO = Path(__file__).resolve().parents[1]
COMMANDS = ("dry-run", "deliver", "check", "check-1000")
EXAMPLES = ("ladder.win", "one-liner.win", "ab-test.win", "birthday.win")
DELIVER_LAST = 150_000  # the delivery benchmark's ~106k e-mails at 1M customers


def scratch_project(found: Stores, kind: str, folder: Path) -> Path:
    """A copy of the size's project folder for ``kind`` whose state file is its own."""
    shutil.copytree(found.project(kind), folder)
    (folder / "state.db").unlink(missing_ok=True)
    state = f'url = "sqlite:///{folder / "state.db"}"'
    lines = (folder / "winlang.toml").read_text(encoding="utf-8").splitlines()
    lines = [state if ln.startswith("url = ") and "state.db" in ln else ln for ln in lines]
    (folder / "winlang.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def winlang_args(args: argparse.Namespace, scratch: Path) -> tuple[list[str], Path, str]:
    """The ``winlang`` arguments, the folder to run them in and the profile's name."""
    if args.command == "check":
        return ["check", "--schema", "schema.json", *EXAMPLES], REPO / "campaigns", "check"
    if args.command == "check-1000":
        from benchmarks.generate import campaign

        path = scratch / "bench-1000.win"
        path.write_text(campaign(rules=1000), encoding="utf-8")
        schema = str(REPO / "campaigns" / "schema.json")
        return ["check", "--schema", schema, str(path)], REPO, "check-1000"
    size = _size_label(args.customers)
    if args.command == "deliver":
        from benchmarks.test_bench_deliver import CAMPAIGN

        project = scratch_project(stores(args.customers, (args.store,)), args.store, scratch / "p")
        text = CAMPAIGN.format(last=DELIVER_LAST)
        (project / "deliver.win").write_text(text, encoding="utf-8")
        argv = ["run", "deliver.win", "--now", NOW_TEXT, "--format", "json"]
        return argv, project, f"deliver-{args.store}-{size}"
    project = scratch_project(stores(args.customers, (args.store,)), args.store, scratch / "p")
    argv = ["run", f"{args.campaign}.win", "--dry-run", "--now", NOW_TEXT, "--format", "json"]
    return argv, project, f"dry-run-{args.campaign}-{args.store}-{size}"


def _size_label(customers: int) -> str:
    from benchmarks.report import human_size

    return human_size(customers)


def profile(argv: list[str], cwd: Path, out: Path, name: str) -> tuple[Path, Path]:
    """Run ``winlang argv`` in ``cwd`` under pyinstrument; the text and HTML reports. The
    bytecode is compiled first, as an installed winlang has it: where the environment says
    PYTHONDONTWRITEBYTECODE, every start would otherwise compile winlang's modules from
    source (~0.4 s of a dry run, which the profile showed as imports)."""
    from benchmarks.test_bench_run import compile_bytecode

    compile_bytecode()
    out.mkdir(parents=True, exist_ok=True)
    session = out / f"{name}.pyisession"
    command = [sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(session)]
    done = subprocess.run(
        [*command, "-m", "winlang", *argv], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"winlang {' '.join(argv)} failed ({done.returncode}): {done.stderr}")
    written = []
    for renderer, suffix in (("text", "txt"), ("html", "html")):
        path = out / f"{name}.{suffix}"
        load = [sys.executable, "-m", "pyinstrument", f"--load={session}", "-r", renderer]
        subprocess.run([*load, "-o", str(path)], check=True)
        written.append(path)
    session.unlink()
    return written[0], written[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("--campaign", default="ladder", help="dry-run: ladder, winback, mixed")
    parser.add_argument(
        "--store",
        choices=["duckdb", "sqlite", "parquet"],
        help="default: duckdb for a dry run, parquet (as its benchmark) for deliver",
    )
    parser.add_argument("--customers", type=parse_size, default=1_000_000)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "profiles")
    args = parser.parse_args()
    args.store = args.store or ("parquet" if args.command == "deliver" else "duckdb")
    with tempfile.TemporaryDirectory(prefix="winlang-profile-") as scratch:
        argv, cwd, name = winlang_args(args, Path(scratch))
        text, html = profile(argv, cwd, args.out, name)
    print(text.read_text(encoding="utf-8"))
    print(f"written: {text} and {html}")


if __name__ == "__main__":
    main()
