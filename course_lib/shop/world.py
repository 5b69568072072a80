"""The World: the shop's tables, its hidden truth, its media, and the cache that keeps them.

Taught in 00_welcome (a tour of the shop world); every chapter loads it with `load_world()`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..cache import atomic_path, cached_arrays
from ..paths import cache_dir
from ..types import ImageSet
from . import config
from .catalog import make_catalog
from .config import CATEGORIES, GENERATOR_VERSION, SEQ_WEIGHT, SESSION_GAP_MINUTES
from .customers import make_customers, utility
from .interactions import make_interactions, sequence_kernel, user_probs
from .sales import make_sales

TABLES = ["products", "customers", "interactions", "ratings", "sessions", "sales", "category_sales"]
CACHE_NAMES = {"tables": "shop-world", "images": "shop-images"}


def _cache_version(size: str, seed: int) -> str:
    return f"{GENERATOR_VERSION}-{size}-s{seed}"


def is_cached(part: str, size: str, seed: int) -> bool:
    """Whether `part` ('tables' or 'images') of world (size, seed) is already in the cache."""
    return (cache_dir() / f"{CACHE_NAMES[part]}-{_cache_version(size, seed)}.npz").exists()


def _window_start(preset: config.Preset) -> np.datetime64:
    return config.SALES_END - np.timedelta64(preset.window_days, "D")


def _build_arrays(size: str, seed: int) -> dict[str, np.ndarray]:
    """Generate every table and the hidden truth, flattened into named arrays for the cache."""
    preset = config.PRESETS[size]
    t0 = time.perf_counter()
    products, item = make_catalog(preset.n_products, seed)
    customers, user = make_customers(preset.n_customers, seed, _window_start(preset))
    tables = {"products": products, "customers": customers}
    tables.update(make_interactions(products, user, item, _window_start(preset), preset.window_days,
                                    preset.sessions_per_user, seed))
    sales, sales_truth = make_sales(products, item, preset.n_sales_products, seed)
    tables.update(sales)
    arrays = {}
    for name in TABLES:
        frame = tables[name]
        arrays[f"columns__{name}"] = np.array(list(frame.columns))
        for col in frame.columns:
            values = frame[col].to_numpy()
            if values.dtype == object:    # pandas text -> fixed-width numpy text, stored without pickle
                values = values.astype(str)
            arrays[f"{name}__{col}"] = values
    for prefix, truth in (("item", item), ("user", user), ("sales", sales_truth)):
        for key, value in truth.items():
            arrays[f"truth__{prefix}__{key}"] = np.asarray(value)
    arrays["meta__build_seconds"] = np.array(time.perf_counter() - t0)
    return arrays


def _frames(arrays: dict[str, np.ndarray]) -> dict[str, pd.DataFrame]:
    frames = {}
    for name in TABLES:
        data = {}
        for col in arrays[f"columns__{name}"]:
            values = arrays[f"{name}__{col}"]
            data[str(col)] = values.astype("datetime64[ns]") if values.dtype.kind == "M" else values
        frames[name] = pd.DataFrame(data)
    return frames


@dataclass
class World:
    """A generated shop: tables (pandas DataFrames), hidden truth, and lazily built media.

    Tables: products, customers, interactions, ratings, sessions, sales, category_sales
    (schemas in datasets/README.md). Truth: `item_truth`, `user_truth`, `sales_truth`,
    `preference_scores()`, `next_item_probs()`, `sales_noise`.
    """
    size: str
    seed: int
    products: pd.DataFrame
    customers: pd.DataFrame
    interactions: pd.DataFrame
    ratings: pd.DataFrame
    sessions: pd.DataFrame
    sales: pd.DataFrame
    category_sales: pd.DataFrame
    item_truth: dict = field(repr=False)
    user_truth: dict = field(repr=False)
    sales_truth: dict = field(repr=False)
    build_seconds: float = 0.0   # cold build time of the tables (measured when the cache was filled)
    load_seconds: float = 0.0    # time this load took (build or cache read)
    _kernel: np.ndarray | None = field(default=None, repr=False)

    @property
    def category_names(self) -> list[str]:
        return list(CATEGORIES)

    @property
    def sales_noise(self) -> dict:
        """The true noise of daily units: log-normal demand shock sd, and where the per-row sd lives."""
        return {"log_sd": config.SALES_LOG_NOISE, "row_sd_column": "noise_sd",
                "rmse_floor": float(np.sqrt(np.mean(self.sales["noise_sd"].to_numpy() ** 2)))}

    # --- ground truth for recommenders ------------------------------------------------------
    def preference_scores(self, user_ids=None) -> np.ndarray:
        """True utility [len(user_ids), n_items] (all customers if None): higher = liked more.

        It drives carts, purchases and ratings; see course_lib/shop/customers.py for the formula.
        """
        users = None if user_ids is None else self._check_users(user_ids)
        return utility(self.user_truth, self.item_truth, self.products["category"].to_numpy(),
                       self.products["base_price"].to_numpy(), users)

    def next_item_probs(self, user_ids, before=None) -> np.ndarray:
        """The generator's probability that each customer's next *view* is each item: [len(user_ids), n_items].

        before=None: the first view of a fresh session (taste times exposure; no history).
        before=t (a timestamp, or one per user): the next view at time t given everything before t.
        If the customer's last view strictly before t is less than SESSION_GAP_MINUTES earlier, the
        view at t continues that session and the probabilities are exactly the generator's mixture
        SEQ_WEIGHT * kernel[last item] + (1 - SEQ_WEIGHT) * fresh; otherwise t starts a new session
        and they are the fresh-session probabilities. Rows sum to 1. Use it as the oracle ranking
        of a held-out view at time t (pass that view's timestamp as `before`).
        """
        users = self._check_users(user_ids)
        probs = user_probs(self.user_truth, self.item_truth, self.products, users)
        if before is None:
            return probs
        before = np.broadcast_to(np.asarray(pd.to_datetime(before), dtype="datetime64[ns]"), users.shape)
        prev = self._previous_views(users, before)
        cont = prev >= 0
        if cont.any():
            if self._kernel is None:
                self._kernel = sequence_kernel(self.item_truth, self.products["category"].to_numpy())
            probs[cont] = SEQ_WEIGHT * self._kernel[prev[cont]] + (1 - SEQ_WEIGHT) * probs[cont]
        return probs

    def _previous_views(self, users: np.ndarray, before: np.ndarray) -> np.ndarray:
        """Item of each user's last view before `before` if within the session gap, else -1."""
        s = self.sessions.sort_values(["user_id", "timestamp"], kind="stable")
        uid, times, items = s["user_id"].to_numpy(), s["timestamp"].to_numpy(), s["item_id"].to_numpy()
        lo = np.searchsorted(uid, users, "left")
        hi = np.searchsorted(uid, users, "right")
        out = np.full(len(users), -1)
        gap = np.timedelta64(SESSION_GAP_MINUTES, "m")
        for k, (a, b, t) in enumerate(zip(lo, hi, before)):
            j = a + np.searchsorted(times[a:b], t, "left") - 1
            if j >= a and t - times[j] < gap:
                out[k] = items[j]
        return out

    def _check_users(self, user_ids) -> np.ndarray:
        users = np.atleast_1d(np.asarray(user_ids))
        n = len(self.customers)
        if users.dtype.kind not in "iu" or (users.size and (users.min() < 0 or users.max() >= n)):
            raise ValueError(f"user ids must be integers in 0..{n - 1}")
        return users.astype(np.int64)

    # --- media -----------------------------------------------------------------------------
    def images(self) -> ImageSet:
        """Product photos (28x28 uint8), split by product; cached. See course_lib/shop/images.py."""
        from .images import make_images
        preset = config.PRESETS[self.size]
        it = self.item_truth
        build = lambda: make_images(self.products["category"].to_numpy(), it["style_index"], it["shade"],
                                    it["pattern_index"], preset.images_per_product, preset.n_unlabeled, self.seed)
        a = cached_arrays(CACHE_NAMES["images"], _cache_version(self.size, self.seed), build)
        return ImageSet(a["x_train"], a["y_train"], a["x_test"], a["y_test"], list(CATEGORIES),
                        extra={"product_id_train": a["product_id_train"], "product_id_test": a["product_id_test"],
                               "unlabeled": a["unlabeled"], "product_id_unlabeled": a["product_id_unlabeled"]})

    def voice_commands(self):
        """Spoken shop commands (AudioSet), from course_lib.shop.voice."""
        from .voice import make_voice_commands
        return make_voice_commands(size=self.size, seed=self.seed)

    def dialogue(self):
        """Customer-service utterances about this catalog (TextSet), from course_lib.shop.dialogue."""
        from .dialogue import make_dialogue
        return make_dialogue(self.products, size=self.size, seed=self.seed)

    # --- summaries and export --------------------------------------------------------------
    def describe(self) -> dict:
        """Headline sizes of the world as a flat dict (what `world describe` prints)."""
        inter = self.interactions
        pairs = len(inter[["user_id", "item_id"]].drop_duplicates())
        n_users, n_items = len(self.customers), len(self.products)
        counts = inter["event"].value_counts()
        return {"size": self.size, "seed": self.seed, "generator": GENERATOR_VERSION,
                "n_users": n_users, "n_items": n_items, "n_interactions": len(inter),
                "n_views": int(counts.get("view", 0)), "n_carts": int(counts.get("cart", 0)),
                "n_purchases": int(counts.get("purchase", 0)), "n_ratings": len(self.ratings),
                "n_sessions": int(self.sessions["session_id"].nunique()),
                "mean_session_length": round(len(self.sessions) / self.sessions["session_id"].nunique(), 3),
                "sparsity": round(1 - pairs / (n_users * n_items), 5),
                "sales_rows": len(self.sales), "sales_products": int(self.sales["product_id"].nunique()),
                "sales_days": int(self.sales["date"].nunique()),
                "sales_rmse_floor": round(self.sales_noise["rmse_floor"], 4),
                "build_seconds": round(self.build_seconds, 3), "load_seconds": round(self.load_seconds, 3)}

    def export(self, folder) -> list[Path]:
        """Write every table as CSV into `folder` (byte-identical for the same size and seed)."""
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"{folder} exists and is not a folder")
        written = []
        for name in TABLES:
            path = folder / f"{name}.csv"
            with atomic_path(path) as tmp:
                getattr(self, name).to_csv(tmp, index=False, lineterminator="\n")
            written.append(path)
        return written


def load_world(size: str = "small", seed: int = 0) -> World:
    """The shop world for (size, seed): built on first use, then read from the cache.

    size: 'tiny' (tests), 'small' (notebooks) or 'large'; seed: a non-negative integer.
    """
    config.validate(size, seed)
    seed = int(seed)
    t0 = time.perf_counter()
    arrays = cached_arrays(CACHE_NAMES["tables"], _cache_version(size, seed), lambda: _build_arrays(size, seed))
    frames = _frames(arrays)
    truth = {"item": {}, "user": {}, "sales": {}}
    for key, value in arrays.items():
        if key.startswith("truth__"):
            _, group, name = key.split("__", 2)
            truth[group][name] = value
    return World(size=size, seed=seed, **frames, item_truth=truth["item"], user_truth=truth["user"],
                 sales_truth=truth["sales"], build_seconds=float(arrays["meta__build_seconds"]),
                 load_seconds=time.perf_counter() - t0)
