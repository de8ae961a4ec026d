"""``winlang serve``: the web app (:mod:`winlang.serve.app`): the marketer's dashboard and the
tracking endpoints (:mod:`winlang.serve.tracking`).

Starlette, Jinja2, uvicorn and Plotly are the ``serve`` extra: import this package's modules
only where the app runs.
"""
