"""``winlang test [PATH...]``: run the campaign test files (``*.test.toml``) found in PATHs.

Exit status: 0 every test passed; 1 a test failed, or a campaign does not check; 2 usage, or
a test file that can't be used (its problems are printed at their lines)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from ..campaign_tests.files import test_files
from .common import USER_ERRORS


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
)
@click.option(
    "--engine",
    "engines",
    multiple=True,
    type=click.Choice(["numpy", "sql"]),
    help="Run on this engine only (repeatable); default: the engines each file names.",
)
def test_command(paths: tuple[Path, ...], output: str, engines: tuple[str, ...]) -> None:
    """Run the campaign tests in PATHs (files or folders; default: the current folder)."""
    from ..campaign_tests import TestFileError, run_test_file
    from ..campaign_tests import report as R

    files, missing = test_files(list(paths) or [Path(".")])
    if missing:
        click.echo(f"winlang: no such file or folder: {', '.join(missing)}", err=True)
        sys.exit(2)
    if not files:
        click.echo("winlang: no campaign test files (*.test.toml) found", err=True)
        sys.exit(2)
    results, broken = [], []
    for path in files:
        try:
            result = run_test_file(path, _shown(path), engines or None)
        except TestFileError as error:
            broken.append(error)
            if output == "text":
                click.echo(R.broken_text(error), err=True)
            elif output == "github":
                click.echo("\n".join(R.broken_github(error)))
            continue
        except USER_ERRORS as error:
            click.echo(f"winlang: {path}: {error}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo(
                "winlang: interrupted; nothing was sent (tests use throwaway stores)", err=True
            )
            sys.exit(130)
        results.append(result)
        if output == "text":
            click.echo(R.result_text(result))
        elif output == "github":
            click.echo("\n".join(R.result_github(result)), nl=bool(result.failures))
    failed = sum(not r.passed for r in results)
    skipped = sum(r.skipped for r in results)
    if output == "json":
        click.echo(
            orjson.dumps(
                {
                    "files": [*map(R.result_json, results), *map(R.broken_json, broken)],
                    "passed": len(results) - failed - skipped,
                    "skipped": skipped,
                    "failed": failed,
                    "broken": len(broken),
                },
                option=orjson.OPT_INDENT_2,
            )
        )
    elif output == "text" and len(files) > 1:
        click.echo(
            f"{len(results) - failed - skipped} passed, {failed} failed"
            + (f", {skipped} skipped" if skipped else "")
            + (f", {len(broken)} broken" if broken else "")
        )
    sys.exit(2 if broken else 1 if failed else 0)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
