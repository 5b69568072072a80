"""course_lib: the thin helper library of *Deep Learning for E-commerce*.

It holds plumbing (setup, results, training loop, plots, grading) and what a chapter has
already taught; each public function's docstring names the notebook that teaches it.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .paths import cache_dir, repo_root, results_dir
from .results import record, set_meta
from .runtime import get_device, seed_everything, set_threads, setup

__all__ = ["setup", "record", "set_meta", "seed_everything", "get_device", "set_threads",
           "repo_root", "results_dir", "cache_dir", "__version__"]
