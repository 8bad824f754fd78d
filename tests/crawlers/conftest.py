"""Fixtures for the crawler tests: a threaded HTTP server on loopback with per-test routes."""

from __future__ import annotations

import sys
from pathlib import Path

# The project is not installed in the venv and pyproject sets no pytest `pythonpath`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
