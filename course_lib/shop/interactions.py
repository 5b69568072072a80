"""Shopping sessions: ordered views, some turned into carts and purchases, and ratings.

The generative model (the oracle in `World.next_item_probs` uses exactly these formulas):

* A session's first view is drawn from the customer's *fresh-visit* distribution
      p_user[u, i]  ∝  exp(utility[u, i]) * popularity[i] ** POPULARITY_EXPONENT
  (taste times exposure: the shop's feed shows popular items more often).
* Each later view in the session is drawn from the mixture
      SEQ_WEIGHT * kernel[prev, i] + (1 - SEQ_WEIGHT) * p_user[u, i],
  where kernel[prev, :] = softmax_j(cos(item_factors) / SEQ_TEMPERATURE + bonus[category pair]) over
  j != prev puts its mass on items similar to the previous one (same category, same brand) and on
  complementary categories (a dress, then sandals).
* After each view the session goes on with probability SESSION_CONTINUE (at most 20 views).
* A view becomes a cart with probability sigmoid(-2.5 + 1.5 z), where z is the standardised
  utility; a cart becomes a purchase with probability 0.55; 70 % of purchases are rated
  round(3.3 + 0.9 z + noise), clipped to 1..5, one to fourteen days later.

Time: a customer has at most one session a day, starting 08:00-20:00; views within a session are
15 s to 10 min apart, so a gap of SESSION_GAP_MINUTES always separates sessions and never views.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .config import (CATEGORIES, POPULARITY_EXPONENT, SEQ_TEMPERATURE, SEQ_WEIGHT,
                     SESSION_CONTINUE, rng_for)
from .customers import utility

MAX_SESSION_VIEWS = 20
EVENTS = ["view", "cart", "purchase"]

# Categories bought together (a look): the kernel adds this bonus between them.
COMPLEMENTS = [("Dress", "Sandal"), ("Coat", "Ankle boot"), ("Trouser", "Shirt"),
               ("Trouser", "T-shirt/top"), ("Pullover", "Trouser"), ("Dress", "Bag"),
               ("Sneaker", "T-shirt/top")]
COMPLEMENT_BONUS = 1.5
SAME_CATEGORY_BONUS = 2.0   # shoppers mostly compare items of one kind


def _softmax_rows(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def user_probs(user: dict, item: dict, products: pd.DataFrame, users) -> np.ndarray:
    """p_user[users, :]: each customer's distribution of the first view of a fresh session."""
    util = utility(user, item, products["category"].to_numpy(), products["base_price"].to_numpy(), users)
    return _softmax_rows(util + POPULARITY_EXPONENT * np.log(item["popularity"])[None, :])


def sequence_kernel(item: dict, category: np.ndarray) -> np.ndarray:
    """kernel[i, j]: probability that a view of i is followed by j when the shopper browses on (j != i)."""
    f = item["item_factors"]
    f = f / np.linalg.norm(f, axis=1, keepdims=True)
    comp = np.zeros((len(CATEGORIES), len(CATEGORIES)))
    for a, b in COMPLEMENTS:
        ia, ib = CATEGORIES.index(a), CATEGORIES.index(b)
        comp[ia, ib] = comp[ib, ia] = COMPLEMENT_BONUS
    np.fill_diagonal(comp, SAME_CATEGORY_BONUS)
    logits = f @ f.T / SEQ_TEMPERATURE + comp[category][:, category]
    np.fill_diagonal(logits, -np.inf)
    return _softmax_rows(logits)


def _stacked_cdf(probs: np.ndarray) -> np.ndarray:
    """Row r's CDF shifted up by r and flattened: one sorted array for all rows' inverse-CDF draws."""
    return (np.cumsum(probs, axis=1) + np.arange(len(probs))[:, None]).ravel()


def _draw(stacked: np.ndarray, n_cols: int, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw from each given row of a stacked CDF (a binary search, never a dense copy)."""
    hit = np.searchsorted(stacked, rows + rng.random(len(rows)), side="right")
    return np.clip(hit - rows * n_cols, 0, n_cols - 1)


def make_interactions(products: pd.DataFrame, user: dict, item: dict, window_start: np.datetime64,
                      window_days: int, sessions_per_user: float, seed: int) -> dict[str, pd.DataFrame]:
    """Tables `interactions`, `sessions` and `ratings` (see the module docstring)."""
    rng = rng_for(seed, "interactions")
    n_users = len(user["activity"])
    category = products["category"].to_numpy()
    kernel = sequence_kernel(item, category)

    # Sessions: how many per customer, on which days, how long.
    n_sess = np.minimum(1 + rng.poisson(sessions_per_user * user["activity"]), window_days)
    sess_user = np.repeat(np.arange(n_users), n_sess)
    sess_day = np.concatenate([rng.choice(window_days, k, replace=False) for k in n_sess])
    sess_start = (window_start.astype("datetime64[s]") + sess_day * 86400
                  + rng.integers(8 * 3600, 20 * 3600, len(sess_user))).astype("datetime64[s]")
    order = np.lexsort((sess_user, sess_start))          # session ids follow time
    sess_user, sess_start = sess_user[order], sess_start[order]
    n_views = np.minimum(rng.geometric(1 - SESSION_CONTINUE, len(sess_user)), MAX_SESSION_VIEWS)

    # Views: for a block of customers, compute their fresh-visit distributions once, then walk all
    # their sessions forward one step at a time (vectorised across sessions).
    # Each later view comes from the kernel with probability SEQ_WEIGHT, else from the fresh-visit
    # distribution: the same mixture as in the docstring, drawn component first.
    n_items = len(products)
    kernel_cdf = _stacked_cdf(kernel)
    views = np.full((len(sess_user), MAX_SESSION_VIEWS), -1)
    for first in range(0, n_users, 1024):
        fresh_cdf = _stacked_cdf(user_probs(user, item, products, np.arange(first, min(n_users, first + 1024))))
        rows = np.flatnonzero((sess_user >= first) & (sess_user < first + 1024))
        for k in range(MAX_SESSION_VIEWS):
            open_ = rows[n_views[rows] > k]
            if len(open_) == 0:
                break
            draw = _draw(fresh_cdf, n_items, sess_user[open_] - first, rng)
            if k > 0:
                browse = rng.random(len(open_)) < SEQ_WEIGHT
                draw[browse] = _draw(kernel_cdf, n_items, views[open_[browse], k - 1], rng)
            views[open_, k] = draw

    sid, pos = np.nonzero(views >= 0)
    item_id = views[sid, pos]
    uid = sess_user[sid]
    gaps = np.where(views >= 0, 15 + np.minimum(rng.exponential(60, views.shape), 585).astype(int), 0)
    gaps[:, 0] = 0
    offsets = np.cumsum(gaps, axis=1)[sid, pos]
    view_time = sess_start[sid] + offsets.astype("timedelta64[s]")

    # Carts, purchases and ratings follow the standardised true utility of the viewed item.
    util = _pair_utility(user, item, products, uid, item_id)
    mu, sd = _utility_moments(user, item, products)
    z = (util - mu) / sd
    carted = rng.random(len(z)) < 1 / (1 + np.exp(-(-2.5 + 1.5 * z)))
    bought = carted & (rng.random(len(z)) < 0.55)
    rated = bought & (rng.random(len(z)) < 0.7)
    stars = np.clip(np.rint(3.3 + 0.9 * z + rng.normal(0, 0.6, len(z))), 1, 5).astype(np.int64)
    rate_delay = rng.integers(86400, 14 * 86400, len(z)).astype("timedelta64[s]")

    sessions = pd.DataFrame({"session_id": sid.astype(np.int64), "user_id": uid.astype(np.int64),
                             "start": sess_start[sid], "position": pos.astype(np.int64),
                             "item_id": item_id.astype(np.int64), "timestamp": view_time})
    parts = []
    for code, mask, delay in ((0, np.ones(len(z), bool), 0), (1, carted, 5), (2, bought, 10)):
        parts.append(pd.DataFrame({"session_id": sid[mask].astype(np.int64), "user_id": uid[mask].astype(np.int64),
                                   "item_id": item_id[mask].astype(np.int64), "event_code": code,
                                   "timestamp": view_time[mask] + np.timedelta64(delay, "s")}))
    inter = pd.concat(parts, ignore_index=True).sort_values(["timestamp", "session_id", "event_code"],
                                                           kind="stable", ignore_index=True)
    inter.insert(3, "event", np.array(EVENTS)[inter.pop("event_code").to_numpy()])

    ratings = pd.DataFrame({"user_id": uid[rated].astype(np.int64), "item_id": item_id[rated].astype(np.int64),
                            "rating": stars[rated],
                            "timestamp": (view_time[rated] + rate_delay[rated]).astype("datetime64[ns]")})
    ratings = ratings.sort_values(["timestamp", "user_id"], kind="stable", ignore_index=True)
    return {"interactions": inter, "sessions": sessions, "ratings": ratings}


def _pair_utility(user, item, products, uid, iid) -> np.ndarray:
    """utility[uid[k], iid[k]] for each pair, without building the full matrix."""
    cat = products["category"].to_numpy()[iid]
    rel_price = np.log(products["base_price"].to_numpy()[iid] / item["category_base_price"][iid])
    return (np.log(user["cat_pref"][uid, cat] + 0.01) + user["brand_affinity"][uid, item["brand_index"][iid]]
            + np.einsum("kd,kd->k", user["user_factors"][uid], item["item_factors"][iid])
            - user["price_sensitivity"][uid] * rel_price)


def _utility_moments(user, item, products, block: int = 2048) -> tuple[float, float]:
    """Mean and sd of the utility over all (customer, item) pairs, computed in blocks."""
    n = len(user["activity"])
    s = s2 = 0.0
    for start in range(0, n, block):
        u = utility(user, item, products["category"].to_numpy(), products["base_price"].to_numpy(),
                    np.arange(start, min(n, start + block)))
        s, s2 = s + u.sum(), s2 + (u ** 2).sum()
    count = n * len(products)
    mean = s / count
    return mean, float(np.sqrt(s2 / count - mean ** 2))
