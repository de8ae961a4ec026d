"""The report's charts as Plotly figures, built from the report's JSON form (``Report.as_json``),
so ``winlang report --format html`` and the dashboard of ``winlang serve`` draw the same ones.

Plotly is an optional dependency (the ``report`` extra): import this module only where a
chart is drawn.
"""

from __future__ import annotations

import plotly.graph_objects as go

from .html import groups

STAGES = (("sent", "sent"), ("delivered", "delivered"), ("opened", "opened"),
          ("clicked", "clicked"))  # fmt: skip
MESSAGED, CONTROL = "#2563eb", "#9ca3af"
_LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "height": 360,
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "legend": {"orientation": "h", "y": -0.18},
}


def funnel_figure(report: dict) -> go.Figure:
    """Customers at each stage (sent, delivered, opened, clicked, reactivated), a bar group
    per rule and variant."""
    figure = go.Figure()
    stages = [*(label for label, _ in STAGES), "reactivated"]
    for label, group in groups(report):
        if label == "total":
            continue
        counts = [group[key] for _, key in STAGES] + [group["reactivation"]["purchased"]]
        figure.add_bar(name=label, x=stages, y=counts, hovertemplate="%{x}: %{y}<extra></extra>")
    figure.update_layout(
        title="Funnel per rule and variant (customers)", barmode="group", **_LAYOUT
    )
    return figure


def rates_figure(report: dict) -> go.Figure:
    """Reactivation of the messaged customers against the control's, in percent, with the
    95% intervals as error bars."""
    labels, messaged, control = [], [], []
    for label, group in groups(report):
        labels.append(label)
        messaged.append(group["reactivation"])
        control.append(group["control"])
    figure = go.Figure()
    for name, rates, colour in (("messaged", messaged, MESSAGED), ("control", control, CONTROL)):
        figure.add_bar(
            name=name,
            x=labels,
            y=[_percent(r["rate"]) for r in rates],
            error_y=_error_bars(rates),
            marker_color=colour,
            customdata=[[r["purchased"], r["customers"]] for r in rates],
            hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]} of %{customdata[1]})<extra>"
            + name
            + "</extra>",
        )
    figure.update_layout(
        title="Reactivated within the window, against the holdout (95% intervals)",
        barmode="group",
        yaxis_title="% of customers",
        **_LAYOUT,
    )
    return figure


def lift_figure(report: dict) -> go.Figure | None:
    """The lift in points with its 95% interval, for the groups large enough to have one."""
    shown = [(label, g["lift"]) for label, g in groups(report) if g["lift"]["points"] is not None]
    if not shown:
        return None
    figure = go.Figure(
        go.Scatter(
            x=[lift["points"] for _, lift in shown],
            y=[label for label, _ in shown],
            mode="markers",
            marker={"size": 11, "color": MESSAGED},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [lift["interval"][1] - lift["points"] for _, lift in shown],
                "arrayminus": [lift["points"] - lift["interval"][0] for _, lift in shown],
            },
            hovertemplate="%{y}: %{x:+.1f} pts<extra></extra>",
        )
    )
    figure.add_vline(x=0, line_dash="dot", line_color=CONTROL)
    figure.update_layout(
        title="Lift over the holdout, in points (95% intervals)",
        xaxis_title="reactivated minus control, points",
        **_LAYOUT,
    )
    figure.update_yaxes(autorange="reversed")
    return figure


def ab_figure(report: dict) -> go.Figure | None:
    """Each split rule's variants side by side: click-through and reactivation in percent,
    with 95% intervals."""
    rules = [rule for rule in report["rules"] if len(rule.get("variants", ())) > 1]
    if not rules:
        return None
    figure = go.Figure()
    for metric, title in (("clicked", "clicked"), ("reactivation", "reactivated")):
        labels, rates = [], []
        for rule in rules:
            for variant in rule["variants"]:
                labels.append(f"{rule['name']} · {variant['name']}")
                rates.append(_metric_rate(variant, metric))
        figure.add_bar(
            name=title,
            x=labels,
            y=[_percent(r["rate"]) for r in rates],
            error_y=_error_bars(rates),
            hovertemplate="%{x}: %{y:.1f}%<extra>" + title + "</extra>",
        )
    figure.update_layout(
        title="A/B: variants compared (95% intervals)",
        barmode="group",
        yaxis_title="% of customers sent a message",
        **_LAYOUT,
    )
    return figure


def daily_figure(report: dict) -> go.Figure | None:
    """Messages sent, clicks and customers reactivated per day."""
    days = report.get("daily") or []
    if not days:
        return None
    dates = [day["date"] for day in days]
    figure = go.Figure()
    for key, name in (("sent", "messages sent"), ("clicked", "clicks"),
                      ("reactivated", "reactivated")):  # fmt: skip
        figure.add_scatter(x=dates, y=[day[key] for day in days], name=name, mode="lines+markers")
    figure.update_layout(title="Per day (UTC)", **_LAYOUT)
    return figure


def revenue_figure(report: dict) -> go.Figure | None:
    """Revenue per customer, messaged against control, per rule and variant."""
    shown = [(label, g["revenue"]) for label, g in groups(report)]
    if not any(r["messaged"] or r["control"] for _, r in shown):
        return None
    figure = go.Figure()
    for key, name, colour in (("per_messaged", "messaged", MESSAGED),
                              ("per_control", "control", CONTROL)):  # fmt: skip
        figure.add_bar(
            name=name,
            x=[label for label, _ in shown],
            y=[r[key] for _, r in shown],
            marker_color=colour,
            hovertemplate="%{x}: %{y:,.2f} per customer<extra>" + name + "</extra>",
        )
    figure.update_layout(title="Revenue in the window, per customer", barmode="group", **_LAYOUT)
    return figure


FIGURES = (
    ("funnel", funnel_figure),
    ("rates", rates_figure),
    ("lift", lift_figure),
    ("ab", ab_figure),
    ("daily", daily_figure),
    ("revenue", revenue_figure),
)


def figures(report: dict) -> dict[str, go.Figure]:
    """The report's charts by name, those with something to show."""
    found = {}
    for name, make in FIGURES:
        figure = make(report)
        if figure is not None:
            found[name] = figure
    return found


def _metric_rate(variant: dict, metric: str) -> dict:
    """A variant's clicked share or reactivation as ``{rate, interval}``."""
    if metric == "reactivation":
        return variant["reactivation"]
    from .stats import proportion_interval

    sent, clicked = variant["sent"], variant["clicked"]
    interval = proportion_interval(clicked, sent)
    return {"rate": clicked / sent if sent else None, "interval": interval}


def _percent(rate: float | None) -> float | None:
    return None if rate is None else 100 * rate


def _error_bars(rates: list[dict]) -> dict:
    """Plotly's asymmetric error bars from rates and their intervals, in percent."""
    upper, lower = [], []
    for rate in rates:
        if rate["rate"] is None or rate["interval"] is None:
            upper.append(None)
            lower.append(None)
            continue
        upper.append(100 * (rate["interval"][1] - rate["rate"]))
        lower.append(100 * (rate["rate"] - rate["interval"][0]))
    return {"type": "data", "symmetric": False, "array": upper, "arrayminus": lower}
