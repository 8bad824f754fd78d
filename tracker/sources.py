"""`[[sources]]` entries as their registered source kinds, checked when the config loads.

A bad kind or option is a ConfigError naming the entry's key, raised by `Tracker` at
start (so `agents list` or the daemon refuses it at once), not when the crawl first runs.
"""

from __future__ import annotations

import re

from selfref.config import Config, SourceSettings
from selfref.crawlers.sources import Source
from selfref.errors import ConfigError
from selfref.plugins import SOURCES

_OPTION_IN_MESSAGE = re.compile(r"\boptions? '([^']+)'")


def build_configured(config: Config, i: int, spec: SourceSettings) -> Source:
    """The registered source kind for entry `i` of `[[sources]]`; bad options name their key."""
    origin = config.path or "selfref.toml"
    try:
        return SOURCES.build(spec.kind, spec.name, spec.options, f"{origin}: sources[{i}].kind")
    except ValueError as exc:
        message = str(exc)
        found = _OPTION_IN_MESSAGE.search(message)
        key = found.group(1) if found else "kind"
        raise ConfigError(f"{origin}: sources[{i}].{key}: {message}") from None


def check_sources(config: Config) -> None:
    """Build every configured source once, so the first bad one fails at load."""
    for i, spec in enumerate(config.settings.sources):
        build_configured(config, i, spec)
