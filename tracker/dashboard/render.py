"""The Jinja2 environment: templates shipped in the package, every value autoescaped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from selfref.dashboard.highlight import explain
from selfref.levels import Level

ENV = Environment(
    loader=PackageLoader("selfref.dashboard", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


ENV.filters["when"] = _when
ENV.filters["explain"] = explain
ENV.globals["LEVELS"] = list(Level)


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)
