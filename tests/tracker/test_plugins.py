"""Plug-in points: a third party's source and channel, installed from tests/plugins/example,
are named from selfref.toml exactly like the built-in kinds."""

from __future__ import annotations

import json
import shutil
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from selfref import Level, Tracker
from selfref.errors import ConfigError
from selfref.plugins import CHANNELS, SOURCES

EXAMPLE = Path(__file__).resolve().parents[1] / "plugins" / "example"
PERSONA = "In July 2025 Grok called itself MechaHitler in a run of posts on X."


def install(package: Path, target: Path) -> None:
    """Install a one-module package the way an installer lays it out: the module, and a
    dist-info holding METADATA and the entry points its pyproject.toml declares."""
    project = tomllib.loads((package / "pyproject.toml").read_text("utf-8"))["project"]
    dist = target / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
        "utf-8",
    )
    groups = "".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
        for group, points in project["entry-points"].items()
    )
    (dist / "entry_points.txt").write_text(groups, "utf-8")
    for module in package.glob("*.py"):
        shutil.copy(module, target / module.name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example plug-in installed into a folder on sys.path (the venv is left alone)."""
    target = tmp_path_factory.mktemp("site")
    install(EXAMPLE, target)
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))
    sys.modules.pop("selfref_example_plugin", None)


def test_the_builtin_kinds_are_entry_points_like_any_other() -> None:
    assert SOURCES.kinds() == ["aiid", "feed", "gdelt", "hn", "sitemap", "urls", "wikipedia"]
    assert CHANNELS.kinds() == ["email", "webhook"]


def test_an_installed_plugin_adds_its_kinds(installed: Path) -> None:
    assert "example-notes" in SOURCES.kinds() and "example-file" in CHANNELS.kinds()
    source = SOURCES.build("example-notes", "notes", {"notes": ["a note"]})
    assert type(source).__name__ == "NotesSource" and source.kind == "example-notes"
    with pytest.raises(ValueError, match="option 'notes' is required"):
        SOURCES.build("example-notes", "notes", {})


def test_a_plugin_source_and_channel_work_from_the_config(
    installed: Path,
    tmp_path: Path,
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
) -> None:
    sent = tmp_path / "alerts.jsonl"
    note = "Grok, the chatbot built by xAI, called itself MechaHitler. " * 8
    write_config(
        f"""
[[sources]]
name = "my-notes"
kind = "example-notes"
notes = [{json.dumps(note)}]

[[alerts.channels]]
name = "file"
kind = "example-file"
path = "{sent}"
min_level = "warn"
"""
    )
    tracker = make_tracker()
    report = tracker.crawl()
    assert (report.new, report.failed) == (1, 0), report.to_dict()
    assert [s.name for s in report.sources] == ["my-notes"]

    result = tracker.check("grok", [PERSONA])
    assert result.verdicts[0].level >= Level.WARN
    delivery = tracker.deliver_alerts()
    assert delivery.sent == 1, delivery.to_dict()
    lines = [json.loads(line) for line in sent.read_text("utf-8").splitlines()]
    assert len(lines) == 1 and lines[0]["data"]["agent"] == "grok"
    assert tracker.test_alert("file").ok
    assert len(sent.read_text("utf-8").splitlines()) == 2


def test_a_config_may_name_only_registered_kinds(
    write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    write_config('[[alerts.channels]]\nname = "team"\nkind = "slack"\nurl = "https://x"\n')
    with pytest.raises(ConfigError, match=r"alerts.channels\[0\].kind: unknown channel kind"):
        make_tracker()


def test_a_builtin_kind_listed_as_a_channel_reads_its_keys_like_its_own_table(
    write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    write_config(
        '[[alerts.channels]]\nname = "ops"\nkind = "webhook"\nurl = "https://hooks.example.org/x"\n'
        'secret = "not-a-whsec"\n'
    )
    with pytest.raises(ConfigError, match=r"alerts.channels\[0\].secret: .*whsec_"):
        make_tracker()
