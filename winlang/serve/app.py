"""The web app of `winlang serve`: a Starlette application assembled from its routes.

Minimal for now: the tracking endpoints (``/r/``, ``/u/``) and a health check.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from .tracking import Clock, tracking_routes


def create_app(project, clock: Clock | None = None) -> Starlette:
    """The app for ``project`` (a :class:`winlang.project.Project`)."""

    def health(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[*tracking_routes(project, clock), Route("/healthz", health)])
