"""Data containers shared by the shop world and the real-dataset loaders.

A notebook switches between the shop world and a public dataset with its `DATASET` parameter,
so both sides return these same types.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class ImageSet:
    """Labelled 28x28 grayscale images, Fashion-MNIST's shape and dtype.

    x_*: uint8 [N, 28, 28]; y_*: int64 [N]; class_names[k] names label k.
    """
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    extra: dict = field(default_factory=dict)  # e.g. product ids, an unlabelled pool

    def __post_init__(self):
        for name in ("x_train", "x_test"):
            a = getattr(self, name)
            if a.dtype != np.uint8 or a.ndim != 3 or a.shape[1:] != (28, 28):
                raise ValueError(f"{name} must be uint8 [N, 28, 28], got {a.dtype} {a.shape}")
        for x, y in ((self.x_train, self.y_train), (self.x_test, self.y_test)):
            if len(x) != len(y):
                raise ValueError(f"{len(x)} images but {len(y)} labels")


@dataclass
class AudioSet:
    """Labelled 1 s mono clips at `sample_rate` (16 kHz).

    waves: float32 [N, sample_rate] in [-1, 1]; labels: int64 [N]; split: str [N] ('train'/'test').
    """
    waves: np.ndarray
    labels: np.ndarray
    split: np.ndarray
    class_names: list[str]
    sample_rate: int = 16_000
    extra: dict = field(default_factory=dict)  # e.g. speaker or voice per clip

    def __post_init__(self):
        if self.waves.dtype != np.float32 or self.waves.ndim != 2:
            raise ValueError(f"waves must be float32 [N, T], got {self.waves.dtype} {self.waves.shape}")
        if not (len(self.waves) == len(self.labels) == len(self.split)):
            raise ValueError("waves, labels and split must have the same length")


@dataclass
class TextSet:
    """Labelled utterances: `data` has columns text, intent (str), label (int64), split.

    split is one of 'train', 'val', 'test'; class_names[k] is the intent of label k.
    """
    data: pd.DataFrame
    class_names: list[str]
    extra: dict = field(default_factory=dict)  # e.g. slot tags, an FAQ answer base

    def __post_init__(self):
        missing = {"text", "intent", "label", "split"} - set(self.data.columns)
        if missing:
            raise ValueError(f"TextSet.data lacks columns {sorted(missing)}")

    def subset(self, split: str) -> pd.DataFrame:
        return self.data[self.data["split"] == split].reset_index(drop=True)


# Column contracts for tables (pandas DataFrames), checked by tests on both sides.
RATINGS_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]   # timestamp: datetime64[ns]
SALES_COLUMNS = ["date", "product_id", "units", "price"]          # daily; more columns allowed
