"""``winlang serve``: the local dashboard and the tracking endpoints (:mod:`winlang.serve.app`).

Starlette, Jinja2, uvicorn and Plotly are the ``serve`` extra: import this package's modules
only where the dashboard runs.
"""
