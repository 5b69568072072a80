"""The shop world's fixed parameters: size presets, calendar, categories, generator version.

These numbers define the world; later chapters read them and never retune them. Changing
anything here that changes the generated data must bump GENERATOR_VERSION (the cache key).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

GENERATOR_VERSION = "shop-v3"   # v3: small customers visit 20 (was 8) extra times on average

# Fashion-MNIST's ten classes, in its label order, so a model moves between the two unchanged.
CATEGORIES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


@dataclass(frozen=True)
class Preset:
    """How big a world is. Everything else is fixed."""
    n_products: int
    n_customers: int
    window_days: int          # interactions happen in the last `window_days` days of SALES_END
    sessions_per_user: float  # mean extra sessions per customer (each customer has at least one)
    n_sales_products: int     # products with their own daily sales rows (the first ids of a fixed shuffle)
    images_per_product: int   # labelled images per product
    n_unlabeled: int          # unlabelled pool for self-supervised learning


PRESETS: dict[str, Preset] = {
    "tiny": Preset(n_products=300, n_customers=300, window_days=60, sessions_per_user=1.5,
                   n_sales_products=20, images_per_product=4, n_unlabeled=200),
    # Small-world customers are regulars (about 100 views each in the window): enough history per
    # customer for chapter 08's learned recommenders to come within reach of the oracle.
    "small": Preset(n_products=1000, n_customers=2000, window_days=183, sessions_per_user=20.0,
                    n_sales_products=100, images_per_product=25, n_unlabeled=10_000),
    "large": Preset(n_products=5000, n_customers=20_000, window_days=365, sessions_per_user=6.0,
                    n_sales_products=500, images_per_product=20, n_unlabeled=50_000),
}

# Calendar: two years of daily sales; interactions in the final window of it.
SALES_START = np.datetime64("2023-01-01")
SALES_DAYS = 730                                   # 2023-01-01 .. 2024-12-30
SALES_END = SALES_START + np.timedelta64(SALES_DAYS, "D")   # exclusive

# Behaviour of shoppers (see datasets/README.md, "Interactions").
SESSION_CONTINUE = 0.8      # after each view, the session goes on with this probability
SEQ_WEIGHT = 0.6            # weight of "similar to the previous item" in the next-view mixture
SEQ_TEMPERATURE = 0.2       # sharpness of item-item similarity in that kernel
POPULARITY_EXPONENT = 0.8   # exposure ~ popularity ** exponent (the shop's feed favours hits)
SESSION_GAP_MINUTES = 30    # views closer than this in time belong to one session, by construction

# Sales (see datasets/README.md, "Sales").
SALES_LOG_NOISE = 0.25      # sd of the log-normal day-level demand shock (the noise floor's source)

IMAGE_SIZE = 28


def validate(size: str, seed) -> Preset:
    """The preset for `size`; a clear ValueError for an unknown size or a bad seed."""
    if size not in PRESETS:
        raise ValueError(f"unknown world size {size!r}: choose one of {', '.join(PRESETS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return PRESETS[size]


def rng_for(seed: int, part: str) -> np.random.Generator:
    """An independent random stream for one part of the world, so parts do not shift each other."""
    return np.random.default_rng([int(seed), zlib.crc32(part.encode())])
