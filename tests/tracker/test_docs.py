"""Every command documents itself, and the README mentions every command."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from selfref.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def _walk(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(path) or "selfref", command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _walk(sub, (*path, name))


COMMANDS = list(_walk(cli))


def test_the_cli_has_the_contract_commands() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"check", "audit", "search", "agents", "agents list", "agents show"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_and_group_has_help(name: str, command: click.Command) -> None:
    assert command.help and command.help.strip(), f"{name} has no help text"
    assert command.get_short_help_str().strip()
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts[0]} has no help text"


@pytest.mark.xfail(not README.exists(), reason="README pending", strict=False)
def test_every_command_name_appears_in_readme() -> None:
    text = README.read_text("utf-8")
    missing = [
        name
        for name, command in COMMANDS
        if command is not cli and not re.search(rf"\b{re.escape(name)}\b", text)
    ]
    assert not missing, f"README.md does not mention: {missing}"


# -- the reference pages: every command, option and setting is documented ---------------

DOCS = README.parent / "docs"


def _sections(page: str) -> dict[str, str]:
    """The text under each `## ...` heading of a docs page, by heading."""
    text = (DOCS / page).read_text("utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


LEAVES = [(n, c) for n, c in COMMANDS if not isinstance(c, click.Group) or c is cli]


@pytest.mark.parametrize(("name", "command"), LEAVES, ids=[n for n, _ in LEAVES])
def test_every_command_and_option_is_in_the_cli_reference(
    name: str, command: click.Command
) -> None:
    heading = "`selfref`" if command is cli else f"`selfref {name}`"
    sections = _sections("cli.md")
    assert heading in sections, f"docs/cli.md has no section {heading}"
    body = sections[heading]
    missing = [
        opt
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts
        if f"`{opt}" not in body
    ]
    assert not missing, f"docs/cli.md, {heading}: options not documented: {missing}"


def _settings_keys(model: type, prefix: str = "") -> Iterator[str]:
    import typing

    from pydantic import BaseModel

    for name, field in model.model_fields.items():  # type: ignore[attr-defined]
        nested = [
            t
            for t in (field.annotation, *typing.get_args(field.annotation))
            for t in (t, *typing.get_args(t))
            if isinstance(t, type) and issubclass(t, BaseModel)
        ]
        if nested:
            yield from _settings_keys(nested[0], f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def test_every_setting_is_in_the_config_reference() -> None:
    from selfref.config import Settings

    text = (DOCS / "config.md").read_text("utf-8")
    keys = list(_settings_keys(Settings))
    assert "storage.database_url" in keys and "alerts.webhooks.secret" in keys
    missing = [key for key in keys if f"`{key}`" not in text]
    assert not missing, f"docs/config.md does not document: {missing}"


def test_every_source_kind_and_its_keys_are_in_the_config_reference() -> None:
    from selfref.plugins import SOURCES

    section = _sections("config.md")["`[[sources]]`"]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| (.+)$", section, re.M)}
    for kind, source in ((k, SOURCES.get(k, "test")) for k in SOURCES.kinds()):
        assert kind in rows, f"docs/config.md [[sources]]: kind {kind!r} not documented"
        missing = [key for key in source.OPTIONS if f"`{key}`" not in rows[kind]]
        assert not missing, f"docs/config.md [[sources]] {kind}: keys not documented: {missing}"


def test_every_api_route_is_in_the_api_reference(tracker) -> None:
    from fastapi.routing import APIRoute

    from selfref.api import create_app

    text = (DOCS / "api.md").read_text("utf-8")
    routes = [r.path for r in create_app(tracker).routes if isinstance(r, APIRoute)]
    assert "/v1/check" in routes
    missing = [path for path in routes if f"`{path}" not in text and f" {path}`" not in text]
    assert not missing, f"docs/api.md does not document: {missing}"


def test_every_metric_and_event_is_documented(tracker) -> None:
    import typing

    from selfref.events import Event

    section = _sections("scale.md")["Roles, migrations, metrics and retention"]
    text = " ".join(section.split())  # a name may sit at a line break
    families = list(tracker.metrics.registry.collect())
    names = [f.name + ("_total" if f.type == "counter" else "") for f in families]
    assert "selfref_crawl_pages_total" in names and "selfref_scheduler" in names
    missing = [name for name in names if f"`{name}" not in text]
    assert not missing, f"docs/scale.md does not document: {missing}"
    events = (DOCS / "events.md").read_text("utf-8")
    kinds = typing.get_args(Event)
    assert len(kinds) == 9
    missing = [c.__name__ for c in kinds if f"`{c.__name__}`" not in events]
    assert not missing, f"docs/events.md does not document: {missing}"


def test_the_licence_is_apache_2() -> None:
    assert "Apache License" in (README.parent / "LICENSE").read_text("utf-8")
