"""``winlang report --format html``: one self-contained page, the report's tables and its
Plotly charts, with Plotly's JavaScript inlined once, so it opens from a file with no
network. The dashboard (``winlang serve``) renders the same body with the same charts.

Plotly and Jinja2 are the ``report`` extra: this module imports them only when called.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
EXTRA_HINT = "pip install 'winlang[report]'"


class MissingExtra(RuntimeError):
    """Plotly or Jinja2 is not installed: the message names the extra that brings them."""

    @classmethod
    def check(cls, extra: str = "report", what: str = "the HTML report") -> None:
        """Raise when a library of the extra can't be imported."""
        import importlib

        missing = []
        for module in ("plotly", "jinja2"):
            try:
                importlib.import_module(module)
            except ImportError:
                missing.append(module)
        if missing:
            raise cls(
                f"{what} needs {' and '.join(missing)}, "
                f"which {'are' if len(missing) > 1 else 'is'} not installed: "
                f"pip install 'winlang[{extra}]'"
            )


def groups(report: dict) -> Iterator[tuple[str, dict]]:
    """Each rule, then its variants, then the total, with the label the tables use."""
    for rule in report["rules"]:
        yield f"rule {rule['name']}", rule
        for variant in rule.get("variants", ()):
            yield f"{rule['name']} · variant {variant['name']}", variant
    yield "total", report["total"]


def context(report: dict) -> dict[str, object]:
    """What ``report_body.html`` needs: the report, its groups and its charts."""
    from markupsafe import Markup

    return {
        "report": report,
        "groups": list(groups(report)),
        "charts": {name: Markup(html) for name, html in chart_html(report).items()},
    }


def chart_html(report: dict) -> dict[str, str]:
    """The report's charts as HTML fragments by name (a ``div`` and the script drawing it;
    Plotly's own JavaScript must already be on the page)."""
    from .charts import figures

    return {
        name: figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"chart-{name}",
            config={"displaylogo": False, "responsive": True},
        )
        for name, figure in figures(report).items()
    }


@cache
def plotly_js() -> str:
    """Plotly's JavaScript bundle, as the installed package ships it (no network)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def environment():
    """The Jinja2 environment of the report's templates, HTML escaped."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    install_filters(env)
    return env


def install_filters(env) -> None:
    """The number formats the report's templates use (the dashboard's too)."""
    env.filters["count"] = lambda value: f"{value:,}"
    env.filters["money"] = lambda value: "—" if value is None else f"{value:,.2f}"
    env.filters["percent"] = lambda rate: "—" if rate is None else f"{100 * rate:.1f}%"
    env.filters["points"] = lambda value: "—" if value is None else f"{value:+.1f}"
    env.filters["interval"] = _interval
    env.filters["p"] = lambda p: "—" if p is None else ("< 0.0001" if p < 0.0001 else f"{p:.4f}")


def _interval(bounds, scale: float = 1.0) -> str:
    """``[0.12, 0.3]`` as ``12.0 to 30.0`` (with ``scale=100``); a dash when there is none."""
    if not bounds:
        return "—"
    low, high = (scale * b for b in bounds)
    return f"{low:+.1f} to {high:+.1f}" if scale == 1.0 else f"{low:.1f}% to {high:.1f}%"


def render_html(report: dict) -> str:
    """The whole page for the report's JSON form."""
    from markupsafe import Markup

    page = environment().get_template("report_page.html")
    return page.render(**context(report), plotly_js=Markup(plotly_js()))
