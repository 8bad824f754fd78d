"""Similarity thresholds per embedder, from `calibration.toml` beside this module.

Cosines are specific to one embedding model: the detector uses the thresholds calibrated
for the embedder in use (`benchmarks/calibrate.py` derives them from the development set)
and refuses an embedder that has none, unless the user gives every threshold.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Any

from selfref.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Calibration:
    """Cut-offs and margins for one embedder (meanings in calibration.toml)."""

    embedder: str
    similarity_warn: float
    similarity_notice: float
    slack: float
    clear: float
    some: float
    wide: float
    neutral_gap: float
    named_extra: float
    named_drop: float
    neutral_wide: float
    product_gap: float
    unnamed_drop: float
    unnamed_past_drop: float
    generic_extra: float
    identity_floor: float
    reader_floor: float
    lookalike_lead: float
    evidence_lead: float

    def replaced(self, **values: float) -> Calibration:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return Calibration(**{**data, **values})


THRESHOLDS = tuple(f.name for f in fields(Calibration) if f.name != "embedder")


@cache
def calibrated() -> dict[str, dict[str, float]]:
    """The shipped tables, keyed by embedder id (the first is the reference embedder)."""
    text = resources.files("selfref.detect").joinpath("calibration.toml").read_text("utf-8")
    return {k: dict(v) for k, v in tomllib.loads(text).items()}


def reference_embedder() -> str:
    """The embedder the shipped vocabulary and rules were developed with."""
    return next(iter(calibrated()))


def load_calibration(embedder: str, overrides: Mapping[str, Any] | None = None) -> Calibration:
    """The calibration of `embedder`, with the user's `[detect.thresholds]` on top."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(THRESHOLDS))
    if unknown:
        raise ConfigError(
            f"detect.thresholds: unknown key {unknown[0]!r}; expected {', '.join(THRESHOLDS)}"
        )
    base = calibrated().get(embedder)
    if base is None:
        missing = [name for name in THRESHOLDS if name not in overrides]
        if missing:
            known = ", ".join(calibrated())
            raise ConfigError(
                f"index.embedder {embedder!r} has no detection calibration (calibrated: "
                f"{known}); run `python benchmarks/calibrate.py --embedder ...` and set every "
                f"[detect.thresholds] value it prints (missing: {', '.join(missing)})"
            )
        base = {}
    values = {**base, **overrides}
    bad = [k for k, v in values.items() if not isinstance(v, int | float) or not 0 <= v <= 1]
    if bad:
        raise ConfigError(f"detect.thresholds.{bad[0]}: must be a number from 0 to 1")
    return Calibration(embedder=embedder, **{k: float(values[k]) for k in THRESHOLDS})
