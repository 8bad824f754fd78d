"""The audit dashboard: what agents retrieved about themselves, server-rendered.

    GET /                    overview: flags per agent per day, totals, top material,
                             alerts, crawl state, events (filters: agent, level, since,
                             until, session; `after` pages on)
    GET /agents/{id}         the same for one agent, with its profile
    GET /events/{event_id}   one event: every document, its verdict, evidence in <mark>
    GET /export.csv          the documents a filter shows, as CSV (`selfref audit` columns)
    GET /export.jsonl        the same as JSON Lines (`selfref audit --format jsonl`)
    GET|POST /login          the browser's way to present the API token (when one is set)

Every filter is a query parameter, so every view is a link. Nothing runs in the browser.
"""

from __future__ import annotations

import csv
import datetime as dt
import hmac
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from selfref.audit_query import AUDIT_COLUMNS, AuditFilter
from selfref.catalog import Profile
from selfref.crawl_state import CrawlStore
from selfref.dashboard import queries
from selfref.dashboard.auth import COOKIE, LOGIN_PATH, cookie_value, login_page, parse_login
from selfref.dashboard.chart import days_between, stacked_bars
from selfref.dashboard.highlight import segments
from selfref.dashboard.render import render
from selfref.errors import InputError, UnknownAgentError
from selfref.levels import Level
from selfref.timeparse import parse_when

if TYPE_CHECKING:
    from selfref.core import Tracker

__all__ = ["DEFAULT_SINCE", "Filters", "add_dashboard"]

DEFAULT_SINCE = "7d"
"""The overview's window when no `since` is given (`since=` empty: all time)."""
HEADERS = {
    # Nothing here needs a script, a frame or anything from elsewhere.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class Filters:
    """The filter parameters as given (for links and the form) and as an AuditFilter."""

    params: dict[str, str]
    where: AuditFilter
    after: queries.EventCursor | None

    @classmethod
    def parse(cls, query: dict[str, str], now: dt.datetime, agent: str | None = None) -> Filters:
        """Read agent, level, since, until, session, after; ValueError names a bad one.
        `agent` is the agent of an agent page."""
        params = {k: query.get(k, "").strip() for k in ("agent", "level", "until", "session")}
        params["since"] = query.get("since", DEFAULT_SINCE).strip()
        if agent is not None:  # the page's own agent: in its path, not in its links
            params.pop("agent")
        level = Level.parse(params["level"]) if params["level"] else None
        where = AuditFilter(
            agent=agent or params.get("agent") or None,
            since=_when("since", params["since"], now),
            until=_when("until", params["until"], now),
            level=level,
            session=params["session"] or None,
        )
        after = query.get("after")
        return cls(params, where, queries.EventCursor.decode(after) if after else None)

    def link(self, path: str, **changes: str | None) -> str:
        """`path` with these filters, some changed (None or "" drops one; since="" stays)."""
        merged: dict[str, str | None] = {**self.params, **changes}
        kept = {k: v for k, v in merged.items() if v or (k == "since" and v == "")}
        if kept.get("since") == DEFAULT_SINCE:
            del kept["since"]
        return path + ("?" + urlencode(sorted(kept.items())) if kept else "")


class _NotFound(Exception):
    """A page for something the audit log does not hold: 404."""


def _when(name: str, value: str, now: dt.datetime) -> dt.datetime | None:
    if not value:
        return None
    try:
        return parse_when(value, now=now)
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from None


def _html(body: str, status: int = 200, started: float | None = None) -> HTMLResponse:
    headers = dict(HEADERS)
    if started is not None:
        headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return HTMLResponse(body, status_code=status, headers=headers)


def add_dashboard(app: FastAPI, tracker: Tracker, *, token: str | None) -> None:
    """Add the dashboard's routes to the API app (same token rules as the API)."""
    log = tracker.audit_log
    crawl = CrawlStore(log)

    def filters(request: Request, agent: str | None = None) -> Filters:
        return Filters.parse(dict(request.query_params), tracker.clock(), agent)

    def page(build: Callable[[], str]) -> HTMLResponse:
        started = time.perf_counter()
        try:
            return _html(build(), started=started)
        except (UnknownAgentError, _NotFound) as exc:
            return _html(render("error.html", message=str(exc)), 404)
        except InputError as exc:
            return _html(render("error.html", message=str(exc)), 400)

    def overview_page(f: Filters, path: str, profile: Profile | None = None) -> str:
        where = f.where
        now = tracker.clock()
        first = (where.since or now - dt.timedelta(days=30)).date()
        last = min(where.until or now, now).date()
        counted = queries.counts(log, where)
        flags = counted.flags_per_day()
        if where.since is None and flags:
            first = min(dt.date.fromisoformat(d) for days in flags.values() for d in days)
        return render(
            "overview.html",
            f=f,
            path=path,
            profile=profile,
            agents=tracker.agents(),
            chart=stacked_bars(flags, days_between(first, last)),
            totals=counted.level_totals(),
            top=queries.top_material(log, where),
            alerts=queries.recent_alerts(log, where),
            sources=queries.crawl_sources(crawl) if profile is None else [],
            events=queries.events_page(log, where, f.after, queries.PAGE_SIZE),
        )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request) -> HTMLResponse:
        """The overview, filtered by the query parameters."""
        return page(lambda: overview_page(filters(request), "/"))

    @app.get("/agents/{agent_id}", response_class=HTMLResponse, include_in_schema=False)
    def agent_page(request: Request, agent_id: str) -> HTMLResponse:
        """The overview of one agent, with its profile."""

        def build() -> str:
            profile = tracker.agent(agent_id)
            return overview_page(filters(request, agent_id), f"/agents/{agent_id}", profile)

        return page(build)

    @app.get("/events/{event_id}", response_class=HTMLResponse, include_in_schema=False)
    def event_page(request: Request, event_id: str) -> HTMLResponse:
        """One retrieval event with every document, its verdict and its evidence."""

        def build() -> str:
            detail = queries.event_detail(log, event_id)
            if detail is None:
                raise _NotFound(f"no retrieval event {event_id!r} in the audit log")
            docs = [
                (row, segments(row.snippet, row.snippet_start, row.evidence))
                for row in detail.documents
            ]
            return render("event.html", detail=detail, docs=docs)

        return page(build)

    @app.get("/export.csv", include_in_schema=False)
    def export_csv(request: Request) -> Response:
        """The documents the filter shows, newest first, as CSV."""
        return _export(request, "csv")

    @app.get("/export.jsonl", include_in_schema=False)
    def export_jsonl(request: Request) -> Response:
        """The documents the filter shows, newest first, as JSON Lines."""
        return _export(request, "jsonl")

    def _export(request: Request, fmt: str) -> Response:
        try:
            where = filters(request).where
        except InputError as exc:
            return _html(render("error.html", message=str(exc)), 400)
        rows = log.iter_rows(where)
        if fmt == "csv":
            body: Iterator[str] = _csv_lines(r.to_record() for r in rows)
            media = "text/csv; charset=utf-8"
        else:
            body = (json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in rows)
            media = "application/x-ndjson; charset=utf-8"
        disposition = f'attachment; filename="selfref-audit.{fmt}"'
        return StreamingResponse(
            body, media_type=media, headers={"Content-Disposition": disposition, **HEADERS}
        )

    if token:
        _add_login(app, token)


def _csv_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=AUDIT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(record)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _add_login(app: FastAPI, token: str) -> None:
    @app.get(LOGIN_PATH, response_class=HTMLResponse, include_in_schema=False)
    def login_form(next: str = "/") -> HTMLResponse:
        """The form that asks for the API token."""
        return _html(login_page(next))

    @app.post(LOGIN_PATH, include_in_schema=False)
    async def login(request: Request) -> Response:
        """Check the token; on a match set the dashboard cookie and go back to `next`."""
        presented, next_path = parse_login(await request.body())
        if not hmac.compare_digest(presented.encode(), token.encode()):
            return _html(login_page(next_path, "That is not the API token."), 401)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(
            COOKIE,
            cookie_value(token),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response
