"""Where things live: resolved from this package's location, never from the working directory."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def repo_root() -> Path:
    """The course's top folder (the one holding notebooks/, solutions/, course_lib/)."""
    return REPO_ROOT


def results_dir() -> Path:
    """`$COURSE_RESULTS_DIR`, else `results/` at the repo root."""
    env = os.environ.get("COURSE_RESULTS_DIR")
    return Path(env) if env else REPO_ROOT / "results"


def cache_dir() -> Path:
    """`$COURSE_CACHE_DIR`, else `datasets/cache/` at the repo root (ignored by git)."""
    env = os.environ.get("COURSE_CACHE_DIR")
    return Path(env) if env else REPO_ROOT / "datasets" / "cache"
