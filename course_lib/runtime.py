"""Runtime setup shared by every notebook: seeds, device, threads, plot style.

Taught in 00_welcome (how a notebook starts) and used by every chapter's first code cell.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

DEVICES = ("cuda", "mps", "cpu")
_state = {"name": None, "seed": None, "device": None}


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and PyTorch; return a torch.Generator seeded the same way."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(int(seed))


def get_device(prefer: str | None = None) -> torch.device:
    """The device to train on: `prefer`, else `$COURSE_DEVICE`, else cuda > mps > cpu.

    An unknown or unavailable choice raises a ValueError that says what is available.
    """
    choice = (prefer or os.environ.get("COURSE_DEVICE") or "").strip().lower()
    available = [d for d in DEVICES if _available(d)]
    if not choice:
        return torch.device(available[0])
    if choice not in DEVICES:
        raise ValueError(f"unknown device {choice!r}: choose one of {', '.join(DEVICES)}")
    if choice not in available:
        raise ValueError(f"device {choice!r} is not available here; available: {', '.join(available)}")
    return torch.device(choice)


def _available(name: str) -> bool:
    if name == "cuda":
        return torch.cuda.is_available()
    if name == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    return True


def set_threads(n: int | None = None) -> int:
    """Use `n` CPU threads for PyTorch (default `$COURSE_THREADS`, else 1).

    One thread is the default because the course's models are small: measured on 2 cores,
    chapters 02 and 03 ran about twice as fast with one thread as with two, since extra
    threads spin-wait and fight with anything else running (another notebook, the browser).
    Set COURSE_THREADS to use more cores for larger runs.
    """
    if n is None:
        env = os.environ.get("COURSE_THREADS", "").strip()
        n = int(env) if env else 1
    if int(n) < 1:
        raise ValueError(f"threads must be at least 1, got {n}")
    torch.set_num_threads(int(n))
    return int(n)


def setup(name: str, seed: int = 0, device: str | None = None, quiet: bool = False) -> torch.device:
    """Start a notebook: seeds, threads, plot theme, device, and the name results are recorded under.

    `name` must equal the notebook's file stem (a hygiene test checks it), e.g. "01_neurons".
    Returns the device to use.
    """
    if not isinstance(name, str) or not name.strip() or "/" in name or "\\" in name:
        raise ValueError(f"setup() needs the notebook's file stem, e.g. '01_neurons'; got {name!r}")
    from . import plots, results

    seed_everything(seed)
    threads = set_threads()
    dev = get_device(device)
    plots.use_theme()
    results.start_run(name)
    _state.update(name=name, seed=seed, device=str(dev))
    if not quiet:
        print(f"course_lib ready: notebook={name} seed={seed} device={dev} threads={threads} torch={torch.__version__}")
    return dev


def current() -> dict:
    """What setup() was called with in this process (name, seed, device)."""
    return dict(_state)
