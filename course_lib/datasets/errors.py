"""The errors a learner sees: one line each, printed without a traceback by the CLI."""
from __future__ import annotations

from ..cli import CourseError


class DatasetError(CourseError):
    """A dataset's files are unusable: wrong checksum, truncated, wrong format, wrong counts."""


class DatasetNotFound(DatasetError):
    """A dataset's files are not where we looked (or the name is unknown)."""


class DownloadError(DatasetError):
    """A download failed after its retries."""
