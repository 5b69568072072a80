"""Customers: a visible coarse segment and signup date; hidden tastes that drive every choice.

The true utility of item i for customer u is

    utility[u, i] = log(cat_pref[u, category_i] + 0.01) + brand_affinity[u, brand_i]
                    + user_factors[u] . item_factors[i] - price_sensitivity[u] * log(price_i / category_price)

No personal data: no names, ages or places.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .catalog import BRANDS, N_FACTORS
from .config import CATEGORIES, rng_for

SEGMENTS = ["bargain hunter", "enthusiast", "specialist", "casual"]


def make_customers(n_customers: int, seed: int, window_start: np.datetime64) -> tuple[pd.DataFrame, dict]:
    """The `customers` table and the hidden user truth (tastes, activity)."""
    rng = rng_for(seed, "customers")
    n = n_customers
    cat_pref = rng.dirichlet(np.full(len(CATEGORIES), 0.6), n)
    brand_affinity = np.zeros((n, len(BRANDS)))
    for u in range(n):   # each customer is loyal to one to three brands
        brand_affinity[u, rng.choice(len(BRANDS), rng.integers(1, 4), replace=False)] = rng.uniform(0.5, 1.5)
    price_sensitivity = rng.lognormal(0.0, 0.5, n)
    user_factors = rng.normal(0, 1, (n, N_FACTORS))
    activity = rng.gamma(2.0, 0.5, n)          # relative visit rate, mean 1

    # The segment is a coarse, visible summary of the hidden tastes (as a CRM would assign it).
    segment = np.full(n, SEGMENTS[3], dtype=object)
    segment[cat_pref.max(1) > 0.5] = SEGMENTS[2]
    segment[activity > np.quantile(activity, 0.75)] = SEGMENTS[1]
    segment[price_sensitivity > np.quantile(price_sensitivity, 0.75)] = SEGMENTS[0]
    days_before = rng.integers(1, 4 * 365, n).astype("timedelta64[D]")
    signup = (window_start - days_before).astype("datetime64[s]")

    customers = pd.DataFrame({"customer_id": np.arange(n, dtype=np.int64),
                              "segment": segment.astype(str), "signup_date": signup})
    truth = {"cat_pref": cat_pref, "brand_affinity": brand_affinity,
             "price_sensitivity": price_sensitivity, "user_factors": user_factors, "activity": activity}
    return customers, truth


def utility(user: dict, item: dict, category: np.ndarray, price: np.ndarray, users=None) -> np.ndarray:
    """True utility [len(users), n_items] (all users when `users` is None); see the module docstring."""
    idx = slice(None) if users is None else np.asarray(users)
    rel_price = np.log(price / item["category_base_price"])
    return (np.log(user["cat_pref"][idx][:, category] + 0.01)
            + user["brand_affinity"][idx][:, item["brand_index"]]
            + user["user_factors"][idx] @ item["item_factors"].T
            - user["price_sensitivity"][idx][:, None] * rel_price[None, :])
