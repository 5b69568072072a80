"""Small teaching tables for the first chapters (before the full shop world is needed)."""
from __future__ import annotations

import numpy as np
import pandas as pd

# The true model behind buy_table: logit = b + w_minutes * minutes + w_discount * discount.
TRUE_BUY_MODEL = {"bias": -5.0, "minutes": 0.55, "discount": 0.1}


def buy_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """"Will this shopper buy?": minutes on the product page, discount shown (%), bought (0/1).

    Labels are drawn from a known logistic model (TRUE_BUY_MODEL), so a notebook can compare a
    trained neuron with the best achievable accuracy. Taught in 01_neurons.
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer of at least 2, got {n!r}")
    rng = np.random.default_rng(seed)
    minutes = np.round(rng.gamma(shape=2.0, scale=3.0, size=n).clip(0, 30), 1)
    discount = rng.choice([0, 5, 10, 15, 20, 25, 30, 40, 50], size=n,
                          p=[.3, .1, .15, .1, .12, .08, .07, .05, .03]).astype(float)
    p = true_buy_probability(minutes, discount)
    bought = (rng.random(n) < p).astype(np.int64)
    return pd.DataFrame({"minutes": minutes, "discount": discount, "bought": bought})


def true_buy_probability(minutes, discount) -> np.ndarray:
    """The generator's own purchase probability (the ground truth of buy_table)."""
    t = TRUE_BUY_MODEL
    logit = t["bias"] + t["minutes"] * np.asarray(minutes) + t["discount"] * np.asarray(discount)
    return 1.0 / (1.0 + np.exp(-logit))
