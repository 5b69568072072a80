"""Classic recommenders: user-based and item-based collaborative filtering, content-based, hybrid.

Taught in 07_recsys_classic. Everything is a few matrix products over a users x items matrix
`X` (ratings, or implicit interaction strengths; 0 = no interaction), so the whole shop world is
scored at once. Scores are float tensors [n_users, n_items]: higher = recommend first.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

KINDS = ("pearson", "euclidean", "cosine")


def _t(x, dtype=torch.float32) -> torch.Tensor:
    return x.detach().to(dtype) if isinstance(x, torch.Tensor) else torch.as_tensor(np.array(x), dtype=dtype)


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown similarity {kind!r}: choose one of {', '.join(KINDS)}")
    return kind


# --- user-based collaborative filtering -------------------------------------------------------
def user_similarity(X, kind: str = "pearson", mask=None) -> torch.Tensor:
    """User-user similarity [n_users, n_users] (float64).

    kind: 'pearson' (correlation), 'euclidean' (1 / (1 + distance)) or 'cosine'.
    mask: bool [n_users, n_items], True where a user rated an item. With a mask, each pair is
    compared over the items *both* rated (co-rated), the textbook definition for ratings; pairs
    with fewer than two co-rated items (one for euclidean) or no variance get 0. Without a mask,
    whole rows are compared (a missing interaction counts as 0: right for implicit feedback).
    Taught in 07_recsys_classic.
    """
    kind = _check_kind(kind)
    X = _t(X, torch.float64)
    if mask is None:
        if kind == "euclidean":
            return 1 / (1 + torch.cdist(X, X))
        Z = X - X.mean(1, keepdim=True) if kind == "pearson" else X
        norm = Z.norm(dim=1, keepdim=True)
        Z = torch.where(norm > 0, Z / norm.clamp_min(1e-12), 0.0)   # an all-equal row is similar to nobody
        return Z @ Z.T
    M = _t(mask, torch.float64)
    if M.shape != X.shape:
        raise ValueError(f"mask shape {tuple(M.shape)} differs from X {tuple(X.shape)}")
    X = X * M
    n = M @ M.T                        # co-rated counts
    s_u = X @ M.T                      # s_u[u, v]: sum of u's ratings over items v also rated
    q_u = (X * X) @ M.T
    p = X @ X.T
    if kind == "euclidean":
        d2 = (q_u + q_u.T - 2 * p).clamp_min(0)
        return torch.where(n >= 1, 1 / (1 + d2.sqrt()), 0.0)
    if kind == "cosine":
        denom = (q_u * q_u.T).sqrt()
        return torch.where(denom > 1e-12, p / denom.clamp_min(1e-12), 0.0)
    safe_n = n.clamp_min(1)
    cov = p - s_u * s_u.T / safe_n
    var_u, var_v = q_u - s_u ** 2 / safe_n, (q_u - s_u ** 2 / safe_n).T
    ok = (n >= 2) & (var_u > 1e-9) & (var_v > 1e-9)
    return torch.where(ok, cov / (var_u * var_v).clamp_min(1e-18).sqrt(), 0.0)


def top_k_neighbours(sim, k: int) -> torch.Tensor:
    """Keep each row's k largest positive similarities (never the row itself); zero the rest.

    Taught in 07_recsys_classic.
    """
    sim = _t(sim).clone()
    if not 1 <= k < sim.shape[1]:
        raise ValueError(f"k must be in 1..{sim.shape[1] - 1}, got {k}")
    if sim.shape[0] == sim.shape[1]:
        sim.fill_diagonal_(-torch.inf)
    values, idx = sim.topk(k, dim=1)
    return torch.zeros_like(sim).scatter_(1, idx, values.clamp_min(0))


def user_cf_scores(X, sim, k: int = 50) -> torch.Tensor:
    """User-based CF: score[u, i] = sum over u's k nearest users v of sim(u, v) * X[v, i].

    (Dividing by the sum of similarities, as in rating prediction, does not change a user's
    ranking.) Taught in 07_recsys_classic.
    """
    return top_k_neighbours(sim, k) @ _t(X)


# --- item-based collaborative filtering -------------------------------------------------------
def item_similarity(X, shrink: float = 0.0) -> torch.Tensor:
    """Item-item cosine from co-occurrence [n_items, n_items], diagonal 0.

    X: [n_rows, n_items] (rows = users, or sessions); C = X^T X counts co-views (co-purchases,
    co-ratings) for a 0/1 X, and sim = C_ij / (sqrt(C_ii C_jj) + shrink); `shrink` damps pairs
    seen together only a few times. Taught in 07_recsys_classic.
    """
    X = _t(X)
    C = X.T @ X
    d = C.diagonal().clamp_min(0).sqrt()
    sim = C / (d[:, None] * d[None, :] + shrink).clamp_min(1e-12)
    return sim.fill_diagonal_(0)


def recency_profile(history: pd.DataFrame, n_users: int, n_items: int, half_life: float | None = None) -> torch.Tensor:
    """[n_users, n_items]: 1 for each item a user interacted with, or, with `half_life`, a weight
    0.5 ** (age / half_life), where age counts the distinct items the user touched since (the
    latest item has age 0). Taught in 07_recsys_classic.
    """
    h = history.sort_values(["user_id", "timestamp"], kind="stable")
    h = h.drop_duplicates(["user_id", "item_id"], keep="last")
    age = h.groupby("user_id").cumcount(ascending=False).to_numpy()
    w = np.ones(len(h)) if half_life is None else 0.5 ** (age / float(half_life))
    out = torch.zeros(n_users, n_items)
    out[np.array(h["user_id"]), np.array(h["item_id"])] = torch.as_tensor(w, dtype=torch.float32)
    return out


def item_cf_scores(profile, item_sim) -> torch.Tensor:
    """Item-based CF: score[u, i] = sum over items j in u's profile of profile[u, j] * sim(j, i).

    Taught in 07_recsys_classic.
    """
    return _t(profile) @ _t(item_sim)


# --- content-based ----------------------------------------------------------------------------
FEATURE_COLUMNS = ["category_name", "brand", "color", "pattern", "material", "style", "fit", "season", "price_band"]


@dataclass
class ItemFeatures:
    """One-hot item features: matrix [n_items, n_features], names like 'brand=Aurora', and
    codes [n_items, n_groups] (each item's value index within each group)."""
    matrix: np.ndarray
    names: list[str]
    groups: list[str]
    codes: np.ndarray
    group_sizes: list[int]


def item_features(products: pd.DataFrame, price_bands: int = 5) -> ItemFeatures:
    """One-hot features of the catalog: category, brand, colour, pattern, material, style, fit,
    season, and the price band (quantile of price within the category, 0 = cheapest).
    Taught in 07_recsys_classic.
    """
    p = products.copy()
    rank = p.groupby("category")["base_price"].rank(method="first", pct=True)
    p["price_band"] = np.clip(np.ceil(rank.to_numpy() * price_bands - 1e-9).astype(int) - 1, 0, price_bands - 1)
    blocks, names, codes, sizes = [], [], [], []
    for col in FEATURE_COLUMNS:
        values = p[col].astype(str).to_numpy()
        levels, code = np.unique(values, return_inverse=True)
        blocks.append(np.eye(len(levels), dtype=np.float32)[code])
        names += [f"{col}={v}" for v in levels]
        codes.append(code)
        sizes.append(len(levels))
    return ItemFeatures(np.concatenate(blocks, 1), names, list(FEATURE_COLUMNS), np.stack(codes, 1), sizes)


def feature_similarity(F, kind: str = "cosine") -> torch.Tensor:
    """Item-item similarity of feature vectors [n_items, n_items], diagonal 0: 'cosine' or
    'euclidean' (1 / (1 + distance)). Taught in 07_recsys_classic."""
    if _check_kind(kind) == "pearson":
        raise ValueError("feature_similarity supports 'cosine' and 'euclidean'")
    F = _t(F)
    if kind == "cosine":
        Fn = F / F.norm(dim=1, keepdim=True).clamp_min(1e-12)
        sim = Fn @ Fn.T
    else:
        sim = 1 / (1 + torch.cdist(F, F))
    return sim.fill_diagonal_(0)


def naive_bayes_scores(X, F, alpha: float = 1.0) -> torch.Tensor:
    """Per-user multinomial Naive Bayes: log P(liked | item) - log P(not liked | item), up to a
    per-user constant, for every user and item at once [n_users, n_items].

    Class 'liked' = items in the user's row of X (> 0), 'not liked' = the rest; feature
    probabilities are Laplace-smoothed counts (alpha), as sklearn's MultinomialNB.
    Taught in 07_recsys_classic.
    """
    liked = (_t(X) > 0).float()
    F = _t(F)
    pos = liked @ F
    neg = F.sum(0, keepdim=True) - pos
    log_pos = torch.log(pos + alpha) - torch.log(pos.sum(1, keepdim=True) + alpha * F.shape[1])
    log_neg = torch.log(neg + alpha) - torch.log(neg.sum(1, keepdim=True) + alpha * F.shape[1])
    n_liked = liked.sum(1, keepdim=True)
    prior = torch.log(n_liked.clamp_min(0.5)) - torch.log((F.shape[0] - n_liked).clamp_min(0.5))
    return (log_pos - log_neg) @ F.T + prior


def preference_shares(X, features: ItemFeatures) -> list[torch.Tensor]:
    """Per feature group: [n_users, n_values], the share of each value among a user's items."""
    X = _t(X)
    out, start = [], 0
    for size in features.group_sizes:
        counts = X @ _t(features.matrix[:, start:start + size])
        out.append(counts / counts.sum(1, keepdim=True).clamp_min(1e-12))
        start += size
    return out


def pair_features(X, features: ItemFeatures, popularity, users) -> np.ndarray:
    """[len(users), n_items, n_groups + 1] float32: for each (user, item), the user's share of the
    item's value in each feature group (how much of their history shares its brand, colour...),
    and log(1 + item popularity). The inputs of the content forest. Taught in 07_recsys_classic."""
    users = np.asarray(users)
    shares = preference_shares(X, features)
    cols = [s[users][:, features.codes[:, g]] for g, s in enumerate(shares)]
    pop = torch.log1p(_t(popularity))[None, :].expand(len(users), -1)
    return torch.stack(cols + [pop], dim=2).numpy()


def needs_filter(products: pd.DataFrame, category=None, max_price=None) -> np.ndarray:
    """bool [n_items]: items that match a customer's stated needs (category name and/or price cap).

    Taught in 07_recsys_classic."""
    keep = np.ones(len(products), dtype=bool)
    if category is not None:
        known = set(products["category_name"])
        if category not in known:
            raise ValueError(f"unknown category {category!r}: choose one of {sorted(known)}")
        keep &= products["category_name"].to_numpy() == category
    if max_price is not None:
        if not np.isfinite(max_price) or max_price <= 0:
            raise ValueError(f"max_price must be a positive number, got {max_price!r}")
        keep &= products["base_price"].to_numpy() <= max_price
    return keep


def stated_needs(history: pd.DataFrame, products: pd.DataFrame, quantile: float = 0.9) -> pd.DataFrame:
    """Needs a customer would state, read off their history: their most viewed category and a
    price cap (the `quantile` of the prices they looked at). Columns user_id, category, max_price.
    Taught in 07_recsys_classic."""
    h = history.drop_duplicates(["user_id", "item_id"]).join(
        products.set_index("product_id")[["category_name", "base_price"]], on="item_id")
    category = h.groupby("user_id")["category_name"].agg(lambda s: s.value_counts().index[0])
    cap = h.groupby("user_id")["base_price"].quantile(quantile)
    return pd.DataFrame({"user_id": category.index, "category": category.to_numpy(), "max_price": cap.to_numpy()})


def needs_scores(needs: pd.DataFrame, products: pd.DataFrame, popularity, n_users: int) -> torch.Tensor:
    """Filter, then rank by popularity: matching items score their popularity (+1), others 0.
    Users without stated needs get plain popularity. Taught in 07_recsys_classic."""
    pop = _t(popularity)
    base = (pop / (pop.max() + 1))[None, :].repeat(n_users, 1)        # < 1: below any match
    cat = products["category_name"].to_numpy()
    price = products["base_price"].to_numpy()
    match = (cat[None, :] == needs["category"].to_numpy()[:, None]) & (price[None, :] <= needs["max_price"].to_numpy()[:, None])
    rows = torch.as_tensor(np.array(needs["user_id"]))
    base[rows] += torch.as_tensor(match, dtype=torch.float32) * (1 + pop[None, :])
    return base


# --- hybrid -----------------------------------------------------------------------------------
def standardize_rows(scores, exclude_mask=None) -> torch.Tensor:
    """Each row z-scored over its candidates (excluded items get -inf), so models on different
    scales can be added. Taught in 07_recsys_classic."""
    s = _t(scores)
    cand = torch.ones_like(s, dtype=torch.bool) if exclude_mask is None else ~_t(exclude_mask, torch.bool)
    n = cand.sum(1, keepdim=True).clamp_min(1)
    mean = torch.where(cand, s, 0).sum(1, keepdim=True) / n
    var = torch.where(cand, (s - mean) ** 2, 0).sum(1, keepdim=True) / n
    z = (s - mean) / var.sqrt().clamp_min(1e-12)
    return torch.where(cand, z, -torch.inf)


def hybrid_scores(components: dict, weights: dict, exclude_mask=None) -> torch.Tensor:
    """Weighted sum of row-standardized component scores: sum_m weights[m] * z_m.

    Taught in 07_recsys_classic."""
    unknown = set(weights) - set(components)
    if unknown:
        raise ValueError(f"weights for unknown component(s) {sorted(unknown)}; have {sorted(components)}")
    if any(w < 0 for w in weights.values()):
        raise ValueError(f"weights must be non-negative, got {weights}")
    total = None
    for name, w in weights.items():
        if w == 0:
            continue
        z = w * standardize_rows(components[name], exclude_mask)
        total = z if total is None else total + z
    if total is None:
        raise ValueError("at least one weight must be non-zero")
    return total


def greedy_hybrid_weights(val_score, names, start: dict, grid=(0.25, 0.5, 1.0)) -> tuple[dict, float]:
    """Hybrid weights chosen greedily on validation: start from `start` (e.g. the best single
    model at weight 1); for each other model in `names`, keep the weight from `grid` that raises
    `val_score(weights)` most, or leave it out. Returns (weights, best validation score).

    `val_score` must read the validation split only. Taught in 07_recsys_classic.
    """
    weights = dict(start)
    best = val_score(weights)
    for name in names:
        if name in weights:
            continue
        trials = {w: val_score({**weights, name: w}) for w in grid}
        w_best = max(trials, key=trials.get)
        if trials[w_best] > best:
            weights[name], best = w_best, trials[w_best]
    return weights, best
