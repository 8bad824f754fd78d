"""Channels: the built-ins and a user's channel register with the hub's registry the same way."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import pytest

import selfref.alerts.channels as channels
from selfref.alerts import Alert, Channel, DeliveryResult, EmailChannel, Options, WebhookChannel
from selfref.errors import ConfigError
from selfref.plugins import CHANNELS

PACKAGE = Path(channels.__file__).parent


@pytest.fixture
def registry() -> Iterator[None]:
    """Undo the registration a test makes."""
    yield
    CHANNELS.remove("collect")


class Collecting(Channel):
    """A user's channel: keeps what it is sent."""

    def __init__(self, name: str, prefix: str) -> None:
        super().__init__(name)
        self.prefix = prefix
        self.sent: list[Alert] = []

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> Self:
        opts = Options(cls.kind, name, options)
        prefix = opts.string("prefix", "!")
        opts.done()
        return cls(name, prefix)

    def send(self, alerts: Sequence[Alert]) -> DeliveryResult:
        self.sent.extend(alerts)
        return DeliveryResult.delivered()


def test_builtins_are_registered() -> None:
    assert {"email", "webhook"} <= set(CHANNELS.kinds())
    assert WebhookChannel.kind == "webhook" and EmailChannel.kind == "email"


def test_user_channel_registers_and_builds(
    registry: None, make_alert: Callable[..., Alert]
) -> None:
    CHANNELS.add("collect", Collecting)
    assert "collect" in CHANNELS.kinds()
    channel = CHANNELS.build("collect", "mine", {"prefix": ">"})
    assert isinstance(channel, Collecting) and channel.prefix == ">" and channel.name == "mine"
    assert repr(channel) == "<Collecting collect 'mine'>"
    assert channel.send([make_alert()]).ok
    with pytest.raises(ValueError, match="collect channel 'mine': option 'colour' is unknown"):
        CHANNELS.build("collect", "mine", {"colour": "red"})


def test_a_kind_cannot_be_taken_twice(registry: None) -> None:
    with pytest.raises(ConfigError, match="'webhook' is already registered"):
        CHANNELS.add("webhook", Collecting)


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown channel kind 'slack'; known kinds: .*email"):
        CHANNELS.build("slack", "team", {})


def test_delivery_result_constructors() -> None:
    assert DeliveryResult.delivered(200) == DeliveryResult(ok=True, status=200)
    retry = DeliveryResult.retry("busy", 503, 30.0)
    assert (retry.ok, retry.permanent, retry.retry_after) == (False, False, 30.0)
    gone = DeliveryResult.give_up("gone", 410, disable=True)
    assert (gone.ok, gone.permanent, gone.disable) == (False, True, True)


def test_alerts_is_a_leaf() -> None:
    """alerts/ must not import the hub or the other leaves."""
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            outside = [
                n
                for n in names
                if n.split(".")[0] in ("selfref", "tracker", "crawlers", "index")
                and n != "selfref.alerts"
                and not n.startswith("selfref.alerts.")
            ]
            assert not outside, f"{path.name} imports {outside}"


def test_every_public_name_is_documented() -> None:
    package = importlib.import_module("selfref.alerts")
    for name in package.__all__:
        obj = getattr(package, name)
        if callable(obj):
            assert obj.__doc__, f"selfref.alerts.{name} has no docstring"
