"""compose.yaml runs the scale-out shape: one scheduler, API replicas, every service
health-checked and started only after what it needs is healthy, images pinned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).resolve().parents[1] / "compose.yaml"


def services() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text("utf-8"))["services"])


def test_one_scheduler_and_serve_replicas_after_a_migration() -> None:
    s = services()
    assert s["migrate"]["command"] == ["selfref", "db", "upgrade"]
    assert s["scheduler"]["command"][:2] == ["selfref", "daemon"]
    assert s["api"]["command"][:2] == ["selfref", "serve"]
    assert s["api"]["deploy"]["replicas"] >= 1
    assert s["scheduler"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert s["api"]["depends_on"]["scheduler"] == {"condition": "service_healthy"}


def test_every_long_running_service_is_health_checked_and_waited_for() -> None:
    s = services()
    for name, service in s.items():
        if name != "migrate":
            assert service["healthcheck"]["test"], name
        for needed, how in service.get("depends_on", {}).items():
            expected = (
                "service_completed_successfully" if needed == "migrate" else "service_healthy"
            )
            assert how == {"condition": expected}, (name, needed)


def test_images_are_pinned() -> None:
    for name, service in services().items():
        image = service["image"]
        tag = image.rpartition(":")[2]
        assert ":" in image and tag != "latest" and any(c.isdigit() for c in tag), (name, image)
