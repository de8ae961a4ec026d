"""``winlang serve``: the dashboard, a small Starlette app of server-rendered pages (Jinja2
templates, htmx for the parts that refresh in place, Plotly for the charts; every script and
style sheet served from the package, nothing from a CDN), and the tracking endpoints
(``/r/`` short links, ``/u/`` unsubscribe) when :mod:`winlang.serve.tracking` is installed.

Pages (read-only: they never write the state):

- ``/``: the project's campaigns and how they check, and the project's own problems;
- ``/c/FILE``: a campaign: its findings, a dry run at a chosen time (audience, and per rule
  matched, would send, held out, skipped by reason), previews for sample customers;
  ``/dry-run/FILE`` and ``/previews/FILE`` are those two parts alone, for htmx;
- ``/report/FILE``: the campaign's report with its charts (``winlang report --format html``);
- ``/customers/ID``: a customer's fields, why each campaign picks them or not (explain), the
  messages the ledger has for them, and their events.

Unknown campaigns and customers get a 404 page, a project that can't be used a page of its
diagnostics, and any other failure a one-line 500 page: never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..contracts.errors import DataError, EngineError, PushdownError
from ..project import Project
from ..schema import SchemaError
from . import views
from .views import Site

HERE = Path(__file__).parent
STATIC = HERE / "static"
USER_ERRORS = (DataError, PushdownError, EngineError, SchemaError)
log = logging.getLogger("winlang.serve")


def create_app(
    project: Project,
    clock: Callable[[], datetime] | None = None,
    *,
    paths: tuple[Path, ...] = (),
    now: datetime | None = None,
    window: int = 30,
) -> Starlette:
    """The dashboard of ``project`` (a :class:`winlang.project.Project`; each page opens it
    afresh from its configuration file, since campaigns and the ledger change while the
    dashboard runs), listing the campaigns under ``paths`` (default: the project's folder),
    and the tracking endpoints, which record clicks and unsubscribes at ``clock()``. ``now``
    fixes the clock the pages default to (default: the time of each request); ``window``
    is the reports' default reactivation window in days."""
    site = Site(project.config.path, tuple(paths))
    templates = Jinja2Templates(env=_environment())
    pages = _Pages(site, templates, now, window)
    routes: list[BaseRoute] = [
        Route("/", pages.index),
        Route("/c/{file:path}", pages.campaign),
        Route("/dry-run/{file:path}", pages.dry_run),
        Route("/previews/{file:path}", pages.previews),
        Route("/report/{file:path}", pages.report),
        Route("/customer", pages.find_customer),
        Route("/customers/{customer}", pages.customer),
        Route("/healthz", _health),
        Route("/static/plotly.min.js", _plotly_js),
        Route("/static/report.css", _report_css),
        *_tracking_routes(project, clock),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers = {
        404: pages.not_found,
        HTTPException: pages.http_error,
        Exception: pages.internal_error,
    }
    return Starlette(routes=routes, exception_handlers=handlers)


def _tracking_routes(project: Project, clock) -> list[BaseRoute]:
    """The ``/r/`` and ``/u/`` endpoints of :mod:`winlang.serve.tracking`, when present."""
    try:
        from .tracking import tracking_routes  # type: ignore[import-not-found]
    except ImportError:
        return []
    return list(tracking_routes(project, clock))


async def _health(request: Request) -> Response:
    return PlainTextResponse("ok")


def _environment():
    """Jinja2 over the dashboard's templates and the report's (its body and filters)."""
    import jinja2

    from ..report.html import TEMPLATES, install_filters

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(HERE / "templates"), jinja2.FileSystemLoader(TEMPLATES)]
        ),
        autoescape=True,
    )
    install_filters(env)
    env.filters["when"] = _when
    env.filters["iso"] = _iso
    env.filters["value"] = _value
    return env


def _when(moment: object) -> str:
    """A time as the pages show it: ISO 8601, UTC, to the second."""
    if not isinstance(moment, datetime):
        return "—" if moment is None else str(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ", timespec="seconds")


def _iso(moment: datetime) -> str:
    """A page's clock as a query value: ISO 8601 in UTC with ``Z`` (a ``+`` would read as a
    space in a URL)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


def _value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return _when(value)
    return str(value)


async def _plotly_js(request: Request) -> Response:
    from ..report.html import plotly_js

    return Response(
        plotly_js(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


async def _report_css(request: Request) -> Response:
    from ..report.html import TEMPLATES

    return Response((TEMPLATES / "report.css").read_text(encoding="utf-8"), media_type="text/css")


class _Pages:
    """The pages' handlers; each opens the project afresh (campaigns and the ledger change
    while the dashboard runs)."""

    def __init__(
        self, site: Site, templates: Jinja2Templates, now: datetime | None, window: int
    ) -> None:
        self.site = site
        self.templates = templates
        self.fixed_now = now
        self.window = window

    # ---- helpers

    def page(self, request: Request, name: str, code: int = 200, **context) -> Response:
        return self.templates.TemplateResponse(request, name, context, status_code=code)

    def now(self, request: Request) -> datetime:
        """The clock of a page: ``?now=ISO``, else the app's, else the time of the request."""
        from ..evaluate import parse_now

        text = request.query_params.get("now", "").strip()
        if not text:
            return self.fixed_now or datetime.now(UTC)
        try:
            return parse_now(text)
        except ValueError:
            raise HTTPException(
                400, f"`{text}` is not an ISO-8601 time, e.g. 2026-11-22T10:00:00Z"
            ) from None

    def campaign_of(self, project, file: str) -> views.Campaign:
        """The campaign at ``file``; 404 for an unknown file."""
        try:
            return self.site.campaign(project, file)
        except views.NotFound as error:
            raise HTTPException(404, str(error)) from None

    def blocked_page(self, request: Request, project, campaign, template: str, **context):
        """The page of a campaign that can't be run: its findings, and the project's."""
        return self.page(
            request,
            template,
            project_problems=views.project_problems(project),
            campaign=campaign,
            blocked=True,
            **context,
        )

    def attempt(self, function: Callable, *args):
        """``function(*args)``, or the one-line error of a store or state that can't be
        read, for the page to show in place of the section."""
        try:
            return function(*args), None
        except USER_ERRORS as error:
            return None, str(error)

    async def _threaded(self, handler: Callable[..., Response], request: Request) -> Response:
        """A page's blocking work (store, state, evaluation) off the event loop, on the
        project opened for it and closed after."""
        from starlette.concurrency import run_in_threadpool

        def work() -> Response:
            with self.site.project() as project:
                return handler(request, project)

        return await run_in_threadpool(work)

    # ---- pages

    async def index(self, request: Request) -> Response:
        return await self._threaded(self._index, request)

    def _index(self, request: Request, project) -> Response:
        return self.page(
            request,
            "index.html",
            project_problems=views.project_problems(project),
            campaigns=self.site.campaigns(project),
            config=project.config.path,
            now=self.now(request),
        )

    async def campaign(self, request: Request) -> Response:
        return await self._threaded(self._campaign, request)

    def _campaign(self, request: Request, project) -> Response:
        file = request.path_params["file"]
        campaign = self.campaign_of(project, file)
        now = self.now(request)
        context = {"now": now, "file": file, "window": self.window}
        if not views.usable(campaign, project):
            return self.blocked_page(request, project, campaign, "campaign.html", **context)
        summary, summary_error = self.attempt(views.dry_run, project, campaign, now)
        preview, preview_error = self.attempt(views.previews, project, campaign, now)
        return self.page(
            request,
            "campaign.html",
            project_problems=views.project_problems(project),
            campaign=campaign,
            blocked=False,
            summary=summary,
            summary_error=summary_error,
            preview=preview,
            preview_error=preview_error,
            **context,
        )

    async def dry_run(self, request: Request) -> Response:
        return await self._threaded(self._dry_run, request)

    def _dry_run(self, request: Request, project) -> Response:
        campaign = self.campaign_of(project, request.path_params["file"])
        now = self.now(request)
        if not views.usable(campaign, project):
            raise HTTPException(409, f"{campaign.file} has errors; fix them first")
        summary, error = self.attempt(views.dry_run, project, campaign, now)
        return self.page(request, "_dry_run.html", summary=summary, summary_error=error, now=now)

    async def previews(self, request: Request) -> Response:
        return await self._threaded(self._previews, request)

    def _previews(self, request: Request, project) -> Response:
        campaign = self.campaign_of(project, request.path_params["file"])
        now = self.now(request)
        if not views.usable(campaign, project):
            raise HTTPException(409, f"{campaign.file} has errors; fix them first")
        preview, error = self.attempt(views.previews, project, campaign, now)
        return self.page(request, "_previews.html", preview=preview, preview_error=error, now=now)

    async def report(self, request: Request) -> Response:
        return await self._threaded(self._report, request)

    def _report(self, request: Request, project) -> Response:
        from ..report.html import context as report_context

        file = request.path_params["file"]
        campaign = self.campaign_of(project, file)
        now = self.now(request)
        window = self._window(request)
        context = {"now": now, "file": file, "window": window}
        if not views.usable(campaign, project):
            return self.blocked_page(request, project, campaign, "report.html", **context)
        found, error = self.attempt(views.report, project, campaign, now, window)
        return self.page(
            request,
            "report.html",
            project_problems=views.project_problems(project),
            campaign=campaign,
            blocked=False,
            report_error=error,
            **context,
            **(report_context(found) if found is not None else {}),
        )

    def _window(self, request: Request) -> int:
        text = request.query_params.get("window", "").strip()
        if not text:
            return self.window
        if not text.isdigit() or not 1 <= int(text) <= 3650:
            raise HTTPException(400, f"`{text}` is not a window in days (1 to 3650)")
        return int(text)

    async def find_customer(self, request: Request) -> Response:
        """The search form's target: on to the customer's page."""
        from urllib.parse import quote, urlencode

        customer = request.query_params.get("id", "").strip()
        if not customer:
            return RedirectResponse("/", status_code=303)
        now = request.query_params.get("now", "").strip()
        query = f"?{urlencode({'now': now})}" if now else ""
        return RedirectResponse(f"/customers/{quote(customer, safe='')}{query}", 303)

    async def customer(self, request: Request) -> Response:
        return await self._threaded(self._customer, request)

    def _customer(self, request: Request, project) -> Response:
        from ..explain import CustomerNotFound, render_text
        from ..schema import safe_url

        customer = request.path_params["customer"]
        now = self.now(request)
        problems = views.project_problems(project)
        if any(p.is_error for p in problems):
            return self.page(
                request, "customer.html", project_problems=problems, customer=customer, now=now
            )
        campaigns = self.site.campaigns(project)
        try:
            found, error = self.attempt(views.customer_page, project, campaigns, customer, now)
        except CustomerNotFound as missing:
            raise HTTPException(404, missing.where(safe_url(project.config.store.url))) from None
        return self.page(
            request,
            "customer.html",
            project_problems=problems,
            customer=customer,
            found=found,
            error=error,
            now=now,
            explain_text=render_text,
            layout=project.store().layout if found is not None else None,
        )

    # ---- errors

    async def not_found(self, request: Request, error: Exception) -> Response:
        detail = getattr(error, "detail", None)
        if not detail or detail == "Not Found":  # Starlette's own: no route
            detail = f"no page at {request.url.path}"
        return self.page(request, "error.html", 404, status=404, message=detail)

    async def http_error(self, request: Request, error: HTTPException) -> Response:
        return self.page(
            request, "error.html", error.status_code, status=error.status_code,
            message=error.detail,
        )  # fmt: skip

    async def internal_error(self, request: Request, error: Exception) -> Response:
        log.exception("internal error on %s", request.url.path)
        message = f"internal error: {type(error).__name__}: {error}"
        return HTMLResponse(
            self.templates.get_template("error.html").render(
                request=request, status=500, message=message
            ),
            status_code=500,
        )
