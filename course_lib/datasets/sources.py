"""Finding a dataset's files: in a folder (recursively), inside a zip or tar archive, or one file.

Files are matched by their base name, so `ml-100k/u.data` is found whether the learner unzipped
the archive, kept it zipped, or moved it into another folder. Archive members are read in one
pass when the archive is opened (tar.gz has no random access), so parsers get plain bytes.
"""
from __future__ import annotations

import os
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import DatasetError

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


@dataclass(frozen=True)
class Found:
    """One file of a dataset: its base name, where it came from (for messages), and its bytes."""
    name: str
    origin: str
    read: Callable[[], bytes]


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def scan(root: Path, wanted: Callable[[str], bool], name: str | None = None) -> list[Found]:
    """Every file under `root` whose base name is `wanted`: `root` may be a folder, an archive or a file.

    Hidden files (temporary `.part` downloads, macOS `._` shadows) are skipped. Order is
    deterministic: sorted paths, archive members in archive order. `name` stands in for the
    file's own name when deciding whether it is an archive (a download's temporary file).
    """
    root = Path(root)
    name = name or root.name
    if root.is_dir():
        found = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for entry in sorted(files):
                if not entry.startswith("."):
                    found += scan(Path(folder) / entry, wanted)
        return found
    if is_archive(name):
        return _scan_archive(root, wanted, name)
    if wanted(root.name):
        return [Found(root.name, str(root), root.read_bytes)]
    return []


def _scan_archive(path: Path, wanted: Callable[[str], bool], name: str) -> list[Found]:
    try:
        if name.lower().endswith(".zip"):
            return _scan_zip(path, wanted)
        return _scan_tar(path, wanted)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise DatasetError(f"{path}: unreadable archive ({e}); it may be truncated or corrupted") from None


def _scan_zip(path: Path, wanted) -> list[Found]:
    found = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = Path(info.filename).name
            if info.is_dir() or name.startswith(".") or not wanted(name):
                continue
            data = zf.read(info)  # checks the member's CRC: a corrupted member raises here
            found.append(Found(name, f"{path}:{info.filename}", lambda data=data: data))
    return found


def _scan_tar(path: Path, wanted) -> list[Found]:
    found = []
    with tarfile.open(path) as tf:
        for info in tf:
            name = Path(info.name).name
            if not info.isfile() or name.startswith(".") or not wanted(name):
                continue
            data = tf.extractfile(info).read()
            found.append(Found(name, f"{path}:{info.name}", lambda data=data: data))
    return found
