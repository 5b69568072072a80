"""Real public datasets, by name, returned as the shop world's types.

    from course_lib import datasets
    ml = datasets.load("movielens-100k", download=True)   # or path="~/Downloads/ml-100k.zip"
    train, test = ml.split("u1")

Each dataset has a registry entry (`REGISTRY`, `info(name)`) with its URLs, licence, citation,
size and checksums; see datasets/real_datasets.md for the data cards and the verification rule.
Nothing here is committed to the repository: files live in the cache (`course_lib.paths.cache_dir()`)
or wherever the learner keeps them.
"""
from __future__ import annotations

from .api import dataset_dir, load
from .api import download_dataset as download
from .errors import DatasetError, DatasetNotFound, DownloadError
from .parsers import MovieLens, OnlineRetail
from .registry import REGISTRY, DatasetSpec, get_spec, info

__all__ = ["load", "download", "info", "REGISTRY", "DatasetSpec", "get_spec", "dataset_dir",
           "MovieLens", "OnlineRetail", "DatasetError", "DatasetNotFound", "DownloadError"]
