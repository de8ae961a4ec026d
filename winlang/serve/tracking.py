"""The tracking endpoints of `winlang serve`: ``/r/TOKEN`` (short links) and ``/u/TOKEN``
(unsubscribe links), as Starlette routes for the web app (:mod:`winlang.serve.app`).

- ``GET /r/TOKEN``: the message the token names (its message id, looked up in the ledger)
  is clicked: a ``click`` event is recorded once per message (:mod:`winlang.tracking`) and the
  answer is a 302 redirect to the tracked link kept with the message when it was planned.
  The target never comes from the request, so an unknown or forged token is a 404 and the
  server can't be made an open redirect. ``HEAD`` redirects without recording (link checkers).
- ``GET /u/TOKEN``: a small page asking to confirm (a form); nothing is recorded, since mail
  scanners follow links. The token is the message id and its HMAC signature
  (``WINLANG_TRACKING_SECRET``): a wrong signature is a 404.
- ``POST /u/TOKEN``: the customer is unsubscribed from the message's channel (an
  ``unsubscribe`` event, which the contact policies apply from the next run on). This is also
  the RFC 8058 one-click request mail clients send (body ``List-Unsubscribe=One-Click``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from threading import Lock

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..contracts.errors import DataError
from ..links import Tracking, is_message_id, secret_from_environment
from ..state import State, open_state, read_state
from ..state.tracking import TrackedMessage
from ..tracking import find_message, record_click, record_unsubscribe

Clock = Callable[[], datetime]
# Answers that must not be kept by a browser or a proxy, nor leak the token onward.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def templates() -> Environment:
    """The Jinja2 templates shipped in the package (``winlang/serve/templates``)."""
    return Environment(
        loader=PackageLoader("winlang.serve", "templates"),
        autoescape=select_autoescape(["html"]),
    )


class _LazyState:
    """The project's state database, opened for writing once it exists: the server may be
    started before the first run, and then answers 404 until there is a ledger."""

    def __init__(self, project) -> None:
        self.project = project
        self.state: State | None = None
        self.lock = Lock()

    def get(self) -> State | None:
        with self.lock:
            if self.state is None:
                config = self.project.config
                options = {
                    "store_url": config.store.url,
                    "allow_other_tables": config.state_allow_other_tables,
                }
                found = read_state(config.state_url, **options)
                if found is None:
                    return None
                found.close()
                self.state = open_state(config.state_url, **options)
            return self.state


def tracking_routes(project, clock: Clock | None = None) -> list[Route]:
    """The ``/r/`` and ``/u/`` routes for ``project`` (a :class:`winlang.project.Project`);
    ``clock`` gives the time a click or an unsubscribe is recorded at (now by default)."""
    pages = templates()
    state = _LazyState(project)
    now = clock or (lambda: datetime.now(UTC))
    settings = project.config.tracking

    def page(name: str, status: int = 200, **values) -> HTMLResponse:
        html = pages.get_template(f"tracking/{name}.html").render(**values)
        return HTMLResponse(html, status_code=status, headers=NO_STORE)

    def not_found() -> HTMLResponse:
        return page("not_found", 404)

    def message(token: str) -> TrackedMessage | Response:
        try:
            found = state.get()
            tracked = find_message(found, token) if found is not None else None
        except DataError:
            return page("unavailable", 503)
        return tracked if tracked is not None else not_found()

    def click(request: Request) -> Response:
        token = request.path_params["token"]
        if not is_message_id(token):
            return not_found()
        found = message(token)
        if isinstance(found, Response):
            return found
        if found.link is None:  # a message without `{link}` has nothing to go to
            return not_found()
        if request.method == "GET":
            # a state that can't be written (locked too long) loses the click, never the
            # customer's way to the page
            with suppress(DataError):
                record_click(state.get(), found, now())
        return RedirectResponse(found.link, status_code=302, headers=NO_STORE)

    def unsubscribe(request: Request) -> Response:
        tracking = Tracking(settings.base_url if settings else "", secret_from_environment())
        token = tracking.verified_unsubscribe(request.path_params["token"])
        if token is None:
            return not_found()
        found = message(token)
        if isinstance(found, Response):
            return found
        if request.method == "GET":
            return page("unsubscribe", channel=found.channel, action=str(request.url.path))
        try:
            record_unsubscribe(state.get(), found, now())
        except DataError:
            return page("unavailable", 503)
        return page("unsubscribed", channel=found.channel)

    return [
        Route("/r/{token}", click, methods=["GET", "HEAD"], name="click"),
        Route("/u/{token}", unsubscribe, methods=["GET", "POST"], name="unsubscribe"),
    ]
