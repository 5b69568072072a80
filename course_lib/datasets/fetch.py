"""Downloading one file: progress bar, retries with backoff, checksum, atomic write.

The bytes go to a temporary file beside the destination (`course_lib.cache.atomic_path`) and are
renamed into place only after they are complete and verified, so an interrupted, truncated or
corrupted download never leaves anything in the cache.
"""
from __future__ import annotations

import hashlib
import http.client
import time
from pathlib import Path
from typing import Callable
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from tqdm.auto import tqdm

from ..cache import atomic_path
from .errors import DatasetError, DownloadError

RETRY_DELAYS = (1.0, 4.0)   # seconds to wait before the 2nd and 3rd attempts
TIMEOUT = 60                # seconds without data before an attempt fails
CHUNK = 1 << 16


def file_digest(data: bytes | Path, checksum: str) -> str:
    """The hex digest of `data` (bytes, or a file's contents) with the algorithm named in `checksum`."""
    algorithm = checksum.split(":", 1)[0]
    h = hashlib.new(algorithm)
    if isinstance(data, (bytes, bytearray)):
        h.update(data)
    else:
        with open(data, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def check_checksum(data: bytes | Path, checksum: str, what: str, hint: str) -> None:
    """Raise a one-line DatasetError naming `what` unless `data` hashes to `checksum` ("algo:hex")."""
    algorithm, expected = checksum.split(":", 1)
    actual = file_digest(data, checksum)
    if actual != expected:
        raise DatasetError(f"{what}: {algorithm} mismatch (expected {expected[:12]}..., got "
                           f"{actual[:12]}...); {hint}")


class _Retryable(Exception):
    """A failure worth another attempt (network hiccup, server error, short read)."""


def _transfer(url: str, target: Path, label: str) -> None:
    request = Request(url, headers={"User-Agent": "course_lib (Deep Learning for E-commerce)"})
    try:
        with urlopen(request, timeout=TIMEOUT) as response:
            total = response.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            received = 0
            with open(target, "wb") as out, tqdm(total=total, unit="B", unit_scale=True,
                                                 unit_divisor=1024, desc=label, leave=False) as bar:
                for block in iter(lambda: response.read(CHUNK), b""):
                    out.write(block)
                    received += len(block)
                    bar.update(len(block))
    except HTTPError as e:
        if e.code >= 500 or e.code in (408, 429):
            raise _Retryable(f"HTTP {e.code} {e.reason}") from None
        raise DownloadError(f"could not download {url}: HTTP {e.code} {e.reason}") from None
    except (URLError, TimeoutError, ConnectionError, http.client.HTTPException, OSError) as e:
        reason = getattr(e, "reason", None) or e
        raise _Retryable(str(reason) or type(e).__name__) from None
    if total is not None and received != total:
        raise _Retryable(f"connection closed after {received} of {total} bytes")


def fetch(url: str, dest: Path, checksum: str | None = None,
          check: Callable[[Path], None] | None = None) -> Path:
    """Download `url` to `dest`, verify it, and only then put it in place.

    Tries up to len(RETRY_DELAYS) + 1 times on network errors. `checksum` ("sha256:<hex>" or
    "md5:<hex>") is compared with the whole file; `check(tmp_path)` may verify more (an
    archive's members) and raise. Any failure leaves `dest` untouched and no partial file behind.
    """
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
            try:
                _transfer(url, tmp, dest.name)
                break
            except _Retryable as e:
                if delay is None:
                    raise DownloadError(f"could not download {url} after {attempt} attempts ({e}); "
                                        f"download it yourself and put it at {dest}") from None
                time.sleep(delay)
        hint = "the download was discarded; try again later or report it"
        if checksum:
            check_checksum(tmp, checksum, f"{dest.name} from {url}", hint)
        if check:
            check(tmp)
    return dest
