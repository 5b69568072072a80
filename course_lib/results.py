"""The results contract: headline numbers of a notebook run as one flat JSON object.

`record(name=value, ...)` writes `$COURSE_RESULTS_DIR/<notebook>.json` (default `results/` at
the repo root). The first record of a run replaces the file, later ones add keys. Provenance
(dataset, seed, course_lib version, time) goes to `<notebook>.meta.json` beside it.
"""
from __future__ import annotations

import json
import math
import numbers
import time

from .cache import atomic_write_bytes
from .paths import results_dir

_run = {"name": None, "fresh": True, "meta": {}}


def start_run(name: str, **meta) -> None:
    """Called by setup(): the next record() of this notebook replaces its results file."""
    _run.update(name=name, fresh=True, meta=dict(meta))


def set_meta(**meta) -> None:
    """Add provenance (e.g. dataset="shop", data_dir=...) written beside the numbers."""
    _run["meta"].update(meta)


def record(**metrics) -> None:
    """Record headline numbers of this notebook (see the module docstring for where they go).

    Every value must be a finite real number (bools and NaN/inf are refused).
    """
    name = _run["name"]
    if name is None:
        raise RuntimeError("call course_lib.setup('<notebook name>') before record()")
    if not metrics:
        raise ValueError("record() needs at least one name=value pair")
    clean = {}
    for key, value in metrics.items():
        if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"record({key}=...) needs a real number, got {type(value).__name__}")
        if not math.isfinite(float(value)):
            raise ValueError(f"record({key}={value}) is not finite")
        clean[key] = int(value) if isinstance(value, numbers.Integral) else float(value)

    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    current = {}
    if not _run["fresh"] and path.exists():
        current = json.loads(path.read_text())
    current.update(clean)
    atomic_write_bytes(path, (json.dumps(current, indent=2, sort_keys=True) + "\n").encode())
    _write_meta(folder / f"{name}.meta.json")
    _run["fresh"] = False


def _write_meta(path) -> None:
    from . import __version__, runtime

    meta = {"notebook": _run["name"], "seed": runtime.current().get("seed"),
            "device": runtime.current().get("device"), "course_lib": __version__,
            "dataset": "shop", "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    meta.update(_run["meta"])
    atomic_write_bytes(path, (json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n").encode())
