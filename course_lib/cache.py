"""Atomic, versioned on-disk cache for generated data (shop-world media, downloads).

Writes go to a temporary file in the same folder and are renamed into place, so a reader
(another notebook running in parallel) sees either the whole file or none of it.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .paths import cache_dir


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)  # mkstemp makes 0600; a cache file should read like any other file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def cached_arrays(name: str, version: str, build: Callable[[], dict[str, np.ndarray]],
                  folder: Path | None = None) -> dict[str, np.ndarray]:
    """Load `name` from the cache, or build it and store it atomically.

    The file name carries `version` (the generator's version and its parameters), so a change
    of generator never reads a stale file.
    """
    folder = Path(folder) if folder is not None else cache_dir()
    path = folder / f"{name}-{version}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                return {k: f[k] for k in f.files}
        except (OSError, ValueError, EOFError):
            path.unlink(missing_ok=True)  # unreadable: rebuild rather than fail
    arrays = build()
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    return arrays
