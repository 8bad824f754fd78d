"""`selfref`: each command parses options, calls one Tracker method, and prints.

Errors a user can cause become one line on stderr and exit code 2; `check --fail-on`
exits 3 when a document reaches the given level; `crawl` exits 4 when a source failed.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from selfref.documents import DEFAULT_BATCH, DEFAULT_MAX_DOCUMENTS, read_batches
from selfref.errors import SelfrefError
from selfref.levels import Level
from selfref.timeparse import parse_when

# Imported where used, not here: `selfref --help` and `agents list` must start at once
# (benchmarks/cli_startup.py), so rich, the database, the detector and the index load
# only in the commands that need them.
if TYPE_CHECKING:
    from selfref.core import CheckResult, Tracker
    from selfref.crawl import CrawlProgress, Progress
    from selfref.indexing import CatalogIndexing

EXIT_USAGE = 2
EXIT_FAIL_ON = 3
EXIT_CRAWL_FAILED = 4
F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(f"selfref: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def friendly(func: F) -> F:
    """Turn a SelfrefError (an error the user can fix) into one line on stderr and exit 2;
    click reports its own usage errors the same way. Anything else is a bug: it surfaces."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SelfrefError as exc:
            _fail(str(exc))

    return wrapper  # type: ignore[return-value]


def _tracker(ctx: click.Context) -> Tracker:
    from selfref.core import Tracker

    obj = ctx.find_root().obj
    if obj.get("tracker") is None:
        tracker = obj["tracker"] = Tracker.from_config(obj.get("config"))
        ctx.call_on_close(tracker.close)
        if sys.stderr.isatty():
            tracker.indexing.listeners.append(_indexing_bar())
    return obj["tracker"]  # type: ignore[no-any-return]


def _indexing_bar() -> Callable[[CatalogIndexing], None]:
    """A progress bar on stderr while catalog lines are embedded (only when the package's
    vectors do not cover them: another embedder, a user's [[agents]])."""
    bar: Any = None

    def show(state: CatalogIndexing) -> None:
        nonlocal bar
        if state.stage == "indexing" and state.total and bar is None:
            from rich.console import Console
            from rich.progress import Progress as ProgressBar

            bar = ProgressBar(console=Console(stderr=True), transient=True)
            bar.start()
            bar.add_task("indexing the catalog", total=state.total)
        if bar is not None:
            bar.update(bar.task_ids[0], completed=state.done, total=state.total)
            if state.stage != "indexing":
                bar.stop()
                bar = None

    return show


def _level_option(value: str | None) -> Level | None:
    return Level.parse(value) if value else None


class _LevelChoice(click.Choice[str]):
    def __init__(self) -> None:
        super().__init__([level.label for level in Level], case_sensitive=False)


def _format_option(*choices: str) -> Callable[[F], F]:
    """`--format` among `choices`; when not given, table on a terminal and jsonl otherwise."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        callback=lambda _ctx, _param, value: value or ("table" if sys.stdout.isatty() else "jsonl"),
        help="Output format (default: table on a terminal, jsonl otherwise).",
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    envvar="SELFREF_CONFIG",
    help="Config file (default: $SELFREF_HOME/selfref.toml).",
)
@click.version_option(package_name="selfref-tracker")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """selfref: keep retrieval agents from being pulled back into old personas.

    Checks what an agent retrieved for material about its own past, records every
    retrieval for audit, crawls coverage of agents' past behaviour, and alerts people.
    """
    ctx.ensure_object(dict)
    ctx.obj["config"] = config
    if not logging.getLogger().handlers:  # stages of long work (indexing) say so on stderr
        logging.basicConfig(level=logging.WARNING, format="selfref: %(message)s")
        logging.getLogger("selfref").setLevel(logging.INFO)


# -- check ----------------------------------------------------------------------------


@cli.command()
@click.option("--agent", required=True, help="Agent id that retrieved the documents (e.g. grok).")
@click.option("--query", help="The query the agent searched with (recorded).")
@click.option("--session", help="Session or conversation id (recorded).")
@_format_option("table", "jsonl")
@click.option(
    "--fail-on",
    type=_LevelChoice(),
    help="Exit 3 when any document is at or above this level.",
)
@click.option("--no-record", is_flag=True, help="Do not write the event to the audit log.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=DEFAULT_BATCH,
    show_default=True,
    help="Documents checked (and recorded as one audit event) at a time.",
)
@click.option(
    "--max-documents",
    type=click.IntRange(1),
    default=DEFAULT_MAX_DOCUMENTS,
    show_default=True,
    help="Refuse input with more documents than this (exit 2).",
)
@click.argument("file", type=click.File("rb"), default="-", required=False)
@click.pass_context
@friendly
def check(
    ctx: click.Context,
    agent: str,
    query: str | None,
    session: str | None,
    fmt: str,
    fail_on: str | None,
    no_record: bool,
    batch_size: int,
    max_documents: int,
    file: Any,
) -> None:
    """Check retrieved documents (JSON Lines, or plain text as one document).

    Each input line is {"id"?, "text", "url"?, "title"?}; each output line is
    {"id", "level", "score", "categories", "evidence", "event_id"}, in input order.
    JSON Lines are read and checked --batch-size documents at a time, each batch one
    audit event, so memory stays bounded however long the input.
    """
    tracker = _tracker(ctx)
    tracker.agent(agent)
    threshold = _level_option(fail_on)
    hit = False
    checked = 0
    name = str(getattr(file, "name", "-"))
    name = "stdin" if name in ("-", "<stdin>") else name
    batches = read_batches(file, batch_size=batch_size, max_documents=max_documents, name=name)
    for documents in batches:
        checked += len(documents)
        result = tracker.check(agent, documents, query=query, session=session, record=not no_record)
        if fmt == "jsonl":
            for verdict in result.to_dict()["verdicts"]:
                click.echo(json.dumps(verdict, ensure_ascii=False))
        else:
            _print_check_table(result)
        hit = hit or (threshold is not None and any(v.level >= threshold for v in result.verdicts))
    if not checked:
        click.echo("selfref: the input holds no document: nothing checked or recorded", err=True)
    if hit:
        sys.exit(EXIT_FAIL_ON)


def _print_check_table(result: CheckResult) -> None:
    from rich.console import Console
    from rich.table import Table

    from selfref.present import evidence_text, level_text

    console = Console()
    table = Table(title=f"selfref check: {result.agent}", show_lines=True)
    for column in ("#", "id", "level", "score", "categories", "evidence"):
        table.add_column(column, overflow="fold")
    for i, (doc, verdict) in enumerate(zip(result.documents, result.verdicts, strict=True), 1):
        table.add_row(
            str(i),
            doc.id or "",
            level_text(verdict.level),
            f"{verdict.score:.2f}",
            ", ".join(verdict.categories),
            evidence_text(doc.text, verdict),
        )
    console.print(table)
    if result.event_id:
        console.print(f"recorded as {result.event_id}", style="dim")


# -- demo -----------------------------------------------------------------------------


@cli.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's home (config, database, index) in this directory.",
)
@friendly
def demo(keep: Path | None) -> None:
    """Offline showcase of the whole loop on loopback: crawl, check, alert, audit.

    Serves a small news site and a webhook receiver on 127.0.0.1, in a throwaway home
    (your own home and config are not touched) or in --keep DIR, and prints the
    `selfref audit` command that finds the event again.
    """
    from selfref.demo import run_demo

    run_demo(home=keep)


# -- daemon ---------------------------------------------------------------------------


def _listen_options(command: Callable[..., None]) -> Callable[..., None]:
    """--host and --port, for the commands that serve the HTTP API."""
    command = click.option(
        "--port", type=click.IntRange(1, 65535), help="Port (default: [api] port, 8765)."
    )(command)
    return click.option("--host", help="Address to listen on (default: [api] host, 127.0.0.1).")(
        command
    )


@cli.command()
@_listen_options
@click.pass_context
@friendly
def daemon(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the scheduler (crawls, alert delivery) and the HTTP API until stopped.

    Listening beyond loopback needs an API token ([api] token or SELFREF_API_TOKEN).
    """
    from selfref.daemon import run_daemon

    run_daemon(_tracker(ctx), host=host, port=port)


@cli.command()
@_listen_options
@click.pass_context
@friendly
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the HTTP API and the dashboard only (no scheduler): any number of replicas.

    Listening beyond loopback needs an API token ([api] token or SELFREF_API_TOKEN).
    """
    from selfref.daemon import run_serve

    run_serve(_tracker(ctx), host=host, port=port)


@cli.group()
def db() -> None:
    """The database schema: Alembic migrations."""


def _audit_log(ctx: click.Context) -> Any:
    """The audit database alone (no detector, no catalog): what the db commands need."""
    from selfref.audit import AuditLog
    from selfref.config import load_config

    config = load_config(ctx.find_root().obj.get("config"))
    log = AuditLog(
        config.database_url, busy_timeout=config.settings.storage.busy_timeout.total_seconds()
    )
    ctx.call_on_close(log.dispose)
    return log


@db.command("upgrade")
@click.pass_context
@friendly
def db_upgrade(ctx: click.Context) -> None:
    """Bring the database's schema to this version (creating it on an empty database)."""
    before, after = _audit_log(ctx).upgrade_schema()
    if before == after:
        click.echo(f"database schema {after.describe()}: nothing to do")
    else:
        click.echo(f"database schema upgraded: was {before.describe()}, now {after.describe()}")


@db.command("current")
@click.pass_context
@friendly
def db_current(ctx: click.Context) -> None:
    """Print the database's schema revision and whether it is the newest."""
    click.echo(f"database schema {_audit_log(ctx).schema_state().describe()}")


# -- audit ----------------------------------------------------------------------------


@cli.command()
@click.option("--agent", help="Only this agent.")
@click.option("--since", help="From this time: ISO 8601, or a span back from now (7d, 12h).")
@click.option("--until", help="Before this time: ISO 8601, or a span back from now.")
@click.option("--level", type=_LevelChoice(), help="Only documents at this level and above.")
@click.option("--session", help="Only this session.")
@click.option("--event", help="Only this retrieval event (an event id from check).")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="At most this many rows (0: no limit).",
)
@_format_option("table", "jsonl", "csv")
@click.option("--wide", is_flag=True, help="Table: every column, not the five that fit 80 columns.")
@click.pass_context
@friendly
def audit(
    ctx: click.Context,
    agent: str | None,
    since: str | None,
    until: str | None,
    level: str | None,
    session: str | None,
    event: str | None,
    limit: int,
    fmt: str,
    wide: bool,
) -> None:
    """Recorded retrievals, one row per retrieved document, newest first.

    The table shows time, agent, level, title or URL and the most telling evidence;
    --wide shows every column, and jsonl and csv carry them all.
    """
    from selfref.audit_query import AUDIT_COLUMNS

    rows = _tracker(ctx).audit(
        agent=agent,
        since=parse_when(since) if since else None,
        until=parse_when(until) if until else None,
        level=_level_option(level),
        session=session,
        event=event,
        limit=limit or None,
    )
    if fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row.to_dict(), ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=AUDIT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(row.to_record() for row in rows)
    else:
        from rich.console import Console

        from selfref.present import audit_table

        console = Console()
        console.print(audit_table(rows, AUDIT_COLUMNS, wide=wide, width=console.width))
    if limit and len(rows) == limit:
        click.echo(f"selfref: showing the newest {limit} rows; use --limit 0 for all", err=True)


# -- search ---------------------------------------------------------------------------


@cli.command()
@click.argument("text")
@click.option("--agent", help="Only coverage about this agent.")
@click.option(
    "-k",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="Number of documents (and, with --include-catalog, of catalog entries).",
)
@click.option(
    "--include-catalog",
    is_flag=True,
    help="Also list the built-in catalog's own lines (after the crawled pages); "
    "they cite the incident's sources as references, not as their URL.",
)
@_format_option("table", "jsonl")
@click.pass_context
@friendly
def search(
    ctx: click.Context, text: str, agent: str | None, k: int, include_catalog: bool, fmt: str
) -> None:
    """Query the corpus of known coverage: one row per crawled page nearest to TEXT (its
    best chunk), nearest first; catalog lines only with --include-catalog."""
    from rich.console import Console
    from rich.table import Table

    hits = _tracker(ctx).search(text, agent=agent, k=k, include_catalog=include_catalog)
    rows = [
        {
            "similarity": round(hit.similarity, 4),
            "source": hit.metadata.get("source"),
            "url": hit.metadata.get("url") or "",
            "title": hit.metadata.get("title"),
            "agents": hit.metadata.get("agents", []),
            "incidents": hit.metadata.get("incidents", []),
            "category": hit.metadata.get("category"),
            "references": hit.metadata.get("references", []),
            "text": hit.text,
        }
        for hit in hits
    ]
    if not rows:
        hint = "" if include_catalog else " (catalog lines are listed with --include-catalog)"
        click.echo(f"selfref: no crawled coverage matches{hint}", err=True)
    if fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    table = Table(title=f"selfref search: {text!r}")
    for column in ("similarity", "source", "agents", "title", "url", "text"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            f"{row['similarity']:.2f}",
            row["source"] or "",
            ", ".join(row["agents"]),
            row["title"] or "",
            row["url"] or _reference(row["references"]),
            (row["text"] or "")[:200],
        )
    if rows:
        Console().print(table)


def _reference(references: list[str]) -> str:
    """A catalog line has no URL of its own: show its first reference as such."""
    return f"(ref. {references[0]})" if references else ""


# -- crawl ----------------------------------------------------------------------------


@cli.command()
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Only this configured source (repeatable; default: every enabled one).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Also run sources in failure backoff; a failure leaves their backoff as it was.",
)
@click.pass_context
@friendly
def crawl(ctx: click.Context, sources: tuple[str, ...], fmt: str, force: bool) -> None:
    """One pass over the configured sources: fetch, extract, tag, dedupe and index pages.

    Exits 4 when a source failed or was skipped in failure backoff (see --force).
    """
    tracker = _tracker(ctx)
    if fmt == "json":
        report = tracker.crawl(sources, force=force)
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        if report.not_ok():
            sys.exit(EXIT_CRAWL_FAILED)
        return
    with _crawl_progress() as progress:
        report = tracker.crawl(sources, progress, force=force)
    click.echo(", ".join(f"{name} {n}" for name, n in report.counts().items()))
    skips = report.skips()
    click.echo(
        f"  skipped: too short {skips['too_short']}, about no agent {skips['about_no_agent']}; "
        f"over the chunk cap: {skips['over_cap']} pages ({report.chunks_over_cap} chunks "
        "not indexed)"
    )
    for result in report.sources:
        for limit in result.limits:
            click.echo(f"  source {result.name!r}: limit reached: {limit}")
    lines = report.failure_lines()
    for line in lines[:20]:
        click.echo(f"  {line}")
    if len(lines) > 20:
        click.echo(f"  ... and {len(lines) - 20} more (see --format json)")
    if report.not_ok():
        sys.exit(EXIT_CRAWL_FAILED)


@contextlib.contextmanager
def _crawl_progress() -> Iterator[Progress | None]:
    """A rich progress bar per source on a terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as ProgressBar

    tasks: dict[str, Any] = {}
    with ProgressBar(console=Console(stderr=True), transient=True) as bar:

        def update(event: CrawlProgress) -> None:
            if event.source not in tasks:
                tasks[event.source] = bar.add_task(event.source, total=event.total)
            bar.update(tasks[event.source], completed=event.done, total=event.total)

        yield update


# -- agents ---------------------------------------------------------------------------


@cli.group()
def agents() -> None:
    """The agents selfref knows: built in, plus [[agents]] in the config."""


@agents.command("list")
@_format_option("table", "jsonl")
@click.pass_context
@friendly
def agents_list(ctx: click.Context, fmt: str) -> None:
    """One line per agent: id, name, vendor, personas, incidents."""
    profiles = _tracker(ctx).agents()
    if fmt == "jsonl":
        for p in profiles:
            click.echo(
                json.dumps(
                    {
                        "id": p.id,
                        "name": p.name,
                        "vendor": p.vendor,
                        "personas": [x.name for x in p.personas],
                        "incidents": len(p.incidents),
                    }
                )
            )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="selfref agents")
    for column in ("id", "name", "vendor", "personas", "incidents"):
        table.add_column(column)
    for p in profiles:
        table.add_row(
            p.id, p.name, p.vendor, ", ".join(x.name for x in p.personas), str(len(p.incidents))
        )
    Console().print(table)


@agents.command("show")
@click.argument("agent_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.pass_context
@friendly
def agents_show(ctx: click.Context, agent_id: str, fmt: str) -> None:
    """Everything known about one agent: names, lineage, personas, incidents."""
    profile = _tracker(ctx).agent(agent_id)
    if fmt == "json":
        click.echo(profile.model_dump_json(indent=2))
        return
    lines = [
        f"{profile.name} ({profile.id}), {profile.vendor}",
        profile.description,
        "",
        f"names:    {', '.join(profile.all_names)}",
        f"people:   {', '.join(profile.people)}",
        "personas: " + (", ".join(p.name for p in profile.personas) or "none"),
        "",
        "incidents:",
    ]
    for inc in sorted(profile.incidents, key=lambda i: i.date):
        lines.append(f"  {inc.date}  {inc.id}: {inc.title}")
        lines.append(f"              {inc.summary}")
        if inc.personas:
            lines.append(f"              personas: {', '.join(inc.personas)}")
        for url in inc.sources:
            lines.append(f"              {url}")
    click.echo("\n".join(lines))


# -- alerts ---------------------------------------------------------------------------

ALERT_COLUMNS = (
    "id",
    "created_at",
    "channel",
    "agent",
    "level",
    "hits",
    "status",
    "attempts",
    "next_attempt_at",
    "held_until",
    "last_error",
)
ALERT_NO_WRAP = frozenset({"level", "hits", "status", "attempts"})


@cli.group()
def alerts() -> None:
    """The alert outbox: alerts waiting, delivered or dead, and channel tests."""


@alerts.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "delivered", "dead", "disabled", "suppressed"]),
    help="Only alerts with this status.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="At most this many alerts (0: no limit).",
)
@_format_option("table", "jsonl")
@click.pass_context
@friendly
def alerts_list(ctx: click.Context, status: str | None, limit: int, fmt: str) -> None:
    """Alerts in the outbox, newest first, with attempts and the last error.

    `held_until`: the alert is claimed by a delivery run (running, or killed) and no run
    sends it before then.
    """
    from rich.console import Console
    from rich.table import Table

    records = _tracker(ctx).alerts(status=status, limit=limit or None)
    if fmt == "jsonl":
        for record in records:
            click.echo(json.dumps(record.to_dict(), ensure_ascii=False))
        return
    table = Table(title=f"selfref alerts ({len(records)})")
    for column in ALERT_COLUMNS:
        table.add_column(column, overflow="fold", no_wrap=column in ALERT_NO_WRAP)
    for record in records:
        data = record.to_dict()
        for key in ("created_at", "next_attempt_at", "held_until"):
            data[key] = data[key] and data[key][:19].replace("T", " ")
        table.add_row(*("" if data[c] is None else str(data[c]) for c in ALERT_COLUMNS))
    Console().print(table)


@alerts.command("deliver")
@click.pass_context
@friendly
def alerts_deliver(ctx: click.Context) -> None:
    """Send the alerts that are due now (the daemon runs this on an interval)."""
    report = _tracker(ctx).deliver_alerts()
    click.echo(str(report))
    for name, reason in report.disabled_channels.items():
        click.echo(f"channel {name!r} is disabled: {reason}")


@alerts.command("test")
@click.argument("channel")
@click.pass_context
@friendly
def alerts_test(ctx: click.Context, channel: str) -> None:
    """Send a clearly marked test alert through CHANNEL (a webhook name, webhook-N, email)."""
    result = _tracker(ctx).test_alert(channel)
    if not result.ok:
        _fail(f"test alert through {channel!r} failed: {result.error}")
    status = f" ({result.status})" if result.status is not None else ""
    click.echo(f"test alert delivered through {channel!r}{status}")
    if result.error:
        click.echo(f"note: {result.error}")


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="selfref")


if __name__ == "__main__":  # python -m selfref.cli
    main()
