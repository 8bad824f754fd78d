"""The checkout a benchmark measures: its own. Importing this module is the check.

A benchmark measures the code beside it, but `import selfref` finds whatever the running
Python has installed: a wheel, or another checkout's editable install. Each benchmark
imports this module before any of selfref (`import this_checkout`), and it stops with a
clear error, exit status 2, unless `selfref` comes from this checkout's `tracker/`:

    python -m pip install -e .   # from the checkout, into the Python that runs it

It only locates the package (`importlib.util.find_spec`), so it costs no import of it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The checkout these benchmarks live in."""


def selfref_origin() -> Path | None:
    """The `__init__.py` that `import selfref` would run (links resolved), or None."""
    spec = importlib.util.find_spec("selfref")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).resolve()


def require_this_checkout() -> None:
    """Exit (status 2, a message on stderr) unless `selfref` is this checkout's."""
    found = selfref_origin()
    if found == ROOT / "tracker" / "__init__.py":
        return
    script = Path(sys.argv[0]).name or "benchmark"
    what = "no selfref is installed" if found is None else f"`import selfref` loads {found}"
    sys.stderr.write(
        f"{script}: measures the checkout it lives in ({ROOT}), but {what}.\n"
        f"Install this checkout into {sys.executable}: "
        f"{Path(sys.executable).name} -m pip install -e '{ROOT}'\n"
    )
    raise SystemExit(2)


require_this_checkout()
