"""How recommenders are evaluated: one split, one set of metrics, two baselines.

Taught in 07_recsys_classic; chapter 08 reuses it unchanged.

The shop-world protocol (per-user temporal leave-last-out):

* The held-out event of a customer is their last *view of an item they had never interacted with
  before* (the test event); their previous such view is the validation event; every interaction
  strictly before the validation event is training. Views, because the shop's ground truth
  `World.next_item_probs(users, before=t)` is exactly the generator's distribution of the view at
  time t, so ranking by it is the best any model can do (the oracle). New items, because
  recommending what a customer already had is not the task.
* A model ranks every item the customer had not interacted with before the held-out event (the
  held-out item is always among them). Ties count against the model (a constant scorer ranks the
  target last).
* Metrics: HR@k (hit rate: is the target in the top k), NDCG@k (1 / log2(1 + rank) inside the
  top k), MRR (mean 1 / rank over the full ranking) and catalogue coverage (share of items in
  anybody's top k). Models and weights are chosen on "val"; "test" is read once at the end.

For rating data (MovieLens) there are the general top-k metrics of Microsoft Recommenders
(`precision_at_k`, `recall_at_k`, `ndcg_at_k` with binary relevance) and its per-user random
split (`random_split_per_user`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

WHICH = ("val", "test")
BATCH = 1024   # users ranked at a time, so large worlds never build a huge dense matrix


# --- the shop-world split --------------------------------------------------------------------
@dataclass
class LeaveLastOutSplit:
    """Result of `leave_last_out`.

    train: interactions strictly before each evaluated user's validation event, plus every
        interaction of users who are not evaluated (columns of `World.interactions`).
    val, test: one row per evaluated user, sorted by user_id: user_id, item_id, timestamp.
    history_test: every interaction before each evaluated user's test event (train plus the
        validation view and what followed it), for models that read the latest history.
    """
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    history_test: pd.DataFrame
    n_users: int
    n_items: int
    event: str = "view"

    def events(self, which: str) -> pd.DataFrame:
        """The held-out events of `which` ('val' or 'test')."""
        return getattr(self, _check_which(which))

    def history(self, which: str) -> pd.DataFrame:
        """Interactions known before the held-out events of `which` (train for 'val')."""
        return self.train if _check_which(which) == "val" else self.history_test

    @property
    def users(self) -> np.ndarray:
        """The evaluated users (the same for val and test), sorted."""
        return self.val["user_id"].to_numpy()

    def seen(self, which: str) -> np.ndarray:
        """bool [n_users, n_items]: True where the user interacted with the item before the event."""
        h = self.history(which)
        mask = np.zeros((self.n_users, self.n_items), dtype=bool)
        mask[h["user_id"].to_numpy(), h["item_id"].to_numpy()] = True
        return mask

    def train_matrix(self, weights: dict[str, float] | None = None) -> np.ndarray:
        """float32 [n_users, n_items] from `train` (what models are fitted on); see `matrix`."""
        return self.matrix("val", weights)

    def matrix(self, which: str = "val", weights: dict[str, float] | None = None) -> np.ndarray:
        """float32 [n_users, n_items] of `history(which)`: 1 where a user interacted with an item.

        Fit on `train_matrix()`; score the test events from `matrix("test")`, the profiles known
        just before them. weights (e.g. {"view": 1, "cart": 2, "purchase": 4}): each cell is
        instead the largest weight of the user's events on that item (the strongest signal wins).
        """
        t = self.history(which)
        out = np.zeros((self.n_users, self.n_items), dtype=np.float32)
        if weights is None:
            out[t["user_id"].to_numpy(), t["item_id"].to_numpy()] = 1.0
            return out
        if "event" not in t.columns:
            raise ValueError("weights need an 'event' column in the interactions")
        unknown = set(t["event"].unique()) - set(weights)
        if unknown:
            raise ValueError(f"no weight for event(s) {sorted(unknown)}; weights has {sorted(weights)}")
        w = t["event"].map(weights).to_numpy(dtype=np.float32)
        np.maximum.at(out, (t["user_id"].to_numpy(), t["item_id"].to_numpy()), w)
        return out


def _check_which(which: str) -> str:
    if which not in WHICH:
        raise ValueError(f"which must be 'val' or 'test', got {which!r}")
    return which


def leave_last_out(data, *, n_users: int | None = None, n_items: int | None = None,
                   event: str = "view", min_history: int = 3) -> LeaveLastOutSplit:
    """Split interactions per user in time: ... train | validation event | ... | test event.

    data: a shop World (its `interactions`, customers and products are used) or a DataFrame with
    user_id, item_id, timestamp (and event) columns; then n_users / n_items default to max id + 1.
    event: the event type held out (rows with another `event` are never held out).
    min_history: a user is evaluated only with at least this many distinct training items
    (users with less history still train the models).
    Taught in 07_recsys_classic.
    """
    if isinstance(data, pd.DataFrame):
        inter = data
    elif hasattr(data, "interactions"):
        inter = data.interactions
        n_users = len(data.customers) if n_users is None else n_users
        n_items = len(data.products) if n_items is None else n_items
    else:
        raise TypeError(f"leave_last_out needs a World or a DataFrame, got {type(data).__name__}")
    missing = {"user_id", "item_id", "timestamp"} - set(inter.columns)
    if missing:
        raise ValueError(f"interactions lack column(s) {sorted(missing)}")
    if not isinstance(min_history, (int, np.integer)) or min_history < 0:
        raise ValueError(f"min_history must be a non-negative integer, got {min_history!r}")
    n_users = int(inter["user_id"].max()) + 1 if n_users is None else int(n_users)
    n_items = int(inter["item_id"].max()) + 1 if n_items is None else int(n_items)

    # Stable order in time; within one timestamp keep the table's own order (view before cart).
    inter = inter.reset_index(drop=True)
    order = inter.sort_values(["user_id", "timestamp"], kind="stable")
    first = ~order.duplicated(["user_id", "item_id"])               # first contact with an item
    is_event = first if "event" not in order.columns else first & (order["event"] == event)
    if "event" in order.columns and not (order["event"] == event).any():
        raise ValueError(f"no {event!r} events; events present: {sorted(order['event'].unique())}")
    novel = order[is_event]
    last_two = novel.groupby("user_id", sort=True).tail(2)
    counts = last_two.groupby("user_id").size()
    last_two = last_two[last_two["user_id"].isin(counts.index[counts == 2])]
    val = last_two.groupby("user_id").head(1)
    test = last_two.groupby("user_id").tail(1)

    # Training: strictly before the user's validation event (everything, for other users).
    t_val = order["user_id"].map(val.set_index("user_id")["timestamp"])
    t_test = order["user_id"].map(test.set_index("user_id")["timestamp"])
    before_val = t_val.isna() | (order["timestamp"] < t_val)
    keep = order["user_id"].isin(val["user_id"]) & before_val
    n_hist = order[keep].drop_duplicates(["user_id", "item_id"]).groupby("user_id").size()
    good = n_hist.index[n_hist >= min_history]
    val = val[val["user_id"].isin(good)]
    test = test[test["user_id"].isin(good)]
    evaluated = order["user_id"].isin(good)
    train = order[~evaluated | (evaluated & before_val)]
    history_test = order[evaluated & (order["timestamp"] < t_test)]
    if len(val) == 0:
        raise ValueError("no user has enough history to evaluate (lower min_history?)")

    cols = ["user_id", "item_id", "timestamp"]
    tidy = lambda f: f.sort_index().reset_index(drop=True)          # back to the table's order
    return LeaveLastOutSplit(train=tidy(train), val=val[cols].reset_index(drop=True),
                             test=test[cols].reset_index(drop=True), history_test=tidy(history_test),
                             n_users=n_users, n_items=n_items, event=event)


# --- ranking metrics (pure tensor code) ------------------------------------------------------
def _tensor(x) -> torch.Tensor:
    t = x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if not t.is_floating_point():
        t = t.double()
    return t


def _as(x, dtype: torch.dtype, device) -> torch.Tensor:
    """Ids or masks as a tensor (numpy, lists, pandas or torch in; a private copy out)."""
    if isinstance(x, torch.Tensor):
        return x.detach().to(device=device, dtype=dtype)
    return torch.as_tensor(np.array(x), device=device).to(dtype)


def ranks(scores, target_items, exclude_mask=None) -> np.ndarray:
    """1-based rank of each user's target among the candidates: int64 [n_users].

    scores: [n_users, n_items] (numpy or torch; higher = recommended first); target_items: [n_users];
    exclude_mask: bool [n_users, n_items], True for items that are not candidates (the target
    must not be excluded). rank = 1 + number of candidates scoring >= the target (ties lose).
    Taught in 07_recsys_classic.
    """
    s = _tensor(scores)
    if s.ndim != 2:
        raise ValueError(f"scores must be [n_users, n_items], got shape {tuple(s.shape)}")
    if torch.isnan(s).any():
        raise ValueError("scores contain NaN")
    target = _as(target_items, torch.long, s.device).reshape(-1)
    if len(target) != s.shape[0]:
        raise ValueError(f"{s.shape[0]} score rows but {len(target)} target items")
    if len(target) and (target.min() < 0 or target.max() >= s.shape[1]):
        raise ValueError(f"target items must be in 0..{s.shape[1] - 1}")
    candidates = torch.ones_like(s, dtype=torch.bool)
    if exclude_mask is not None:
        ex = _as(exclude_mask, torch.bool, s.device)
        if ex.shape != s.shape:
            raise ValueError(f"exclude_mask shape {tuple(ex.shape)} differs from scores {tuple(s.shape)}")
        if ex.gather(1, target[:, None]).any():
            raise ValueError("a target item is excluded: the held-out item must stay rankable")
        candidates = ~ex
    rows = torch.arange(len(target), device=s.device)
    t_score = s[rows, target][:, None]
    beaten = (s >= t_score) & candidates
    beaten[rows, target] = False
    return (1 + beaten.sum(1)).cpu().numpy().astype(np.int64)


def top_k(scores, k: int = 10, exclude_mask=None) -> np.ndarray:
    """Item ids of each user's k best candidates, best first: int64 [n_users, k].

    Excluded items are never returned unless a user has fewer than k candidates (then -1 pads).
    Taught in 07_recsys_classic.
    """
    s = _tensor(scores).clone()
    k = _check_k(k, s.shape[1])
    if exclude_mask is not None:
        s[_as(exclude_mask, torch.bool, s.device)] = -torch.inf
    values, items = torch.topk(s, k, dim=1)
    items[values == -torch.inf] = -1
    return items.cpu().numpy().astype(np.int64)


def _check_k(k, n_items: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_items:
        raise ValueError(f"k must be an integer in 1..{n_items}, got {k!r}")
    return int(k)


def metrics_from_ranks(rank: np.ndarray, top_items: np.ndarray, n_items: int, k: int = 10) -> dict:
    """HR@k, NDCG@k, MRR and coverage from ranks [n_users] and top-k lists [n_users, k]."""
    rank = np.asarray(rank, dtype=np.float64)
    hit = rank <= k
    shown = np.unique(top_items[top_items >= 0])
    return {"hr": float(hit.mean()), "ndcg": float(np.where(hit, 1 / np.log2(rank + 1), 0).mean()),
            "mrr": float((1 / rank).mean()), "coverage": len(shown) / n_items, "users": int(len(rank))}


def ranking_metrics(scores, target_items, exclude_mask=None, k: int = 10) -> dict:
    """Leave-one-out metrics of one held-out item per user.

    Returns {"hr": HR@k, "ndcg": NDCG@k, "mrr": MRR, "coverage": share of items in any top k,
    "users": n_users}. Inputs as in `ranks`. Taught in 07_recsys_classic.
    """
    s = _tensor(scores)
    k = _check_k(k, s.shape[1] if s.ndim == 2 else 0)
    return metrics_from_ranks(ranks(s, target_items, exclude_mask), top_k(s, k, exclude_mask), s.shape[1], k)


def evaluate(scores, split: LeaveLastOutSplit, which: str = "val", k: int = 10) -> dict:
    """Metrics of a recommender on the `which` events of a leave-last-out split.

    scores: a callable f(user_ids: int64 array) -> [len(user_ids), n_items]; or an array
    [n_users, n_items] with one row per user id; or a vector [n_items] (one ranking for all,
    e.g. popularity). Returns the dict of `ranking_metrics`. Taught in 07_recsys_classic.
    """
    events = split.events(which)
    users, targets = events["user_id"].to_numpy(), events["item_id"].to_numpy()
    seen = split.seen(which)
    all_ranks, all_top = [], []
    for start in range(0, len(users), BATCH):
        u = users[start:start + BATCH]
        s = _scores_for(scores, u, split)
        kk = _check_k(k, s.shape[1])
        all_ranks.append(ranks(s, targets[start:start + BATCH], seen[u]))
        all_top.append(top_k(s, kk, seen[u]))
    return metrics_from_ranks(np.concatenate(all_ranks), np.concatenate(all_top), split.n_items, k)


def _scores_for(scores, users: np.ndarray, split: LeaveLastOutSplit) -> torch.Tensor:
    if callable(scores):
        s = _tensor(scores(users))
        expected = (len(users), split.n_items)
    else:
        s = _tensor(scores)
        if s.ndim == 1:
            s = s[None, :].expand(len(users), -1)
            expected = (len(users), split.n_items)
        else:
            expected = (split.n_users, split.n_items)
            if tuple(s.shape) == expected:
                s = s[_as(users, torch.long, s.device)]
                expected = (len(users), split.n_items)
    if tuple(s.shape) != expected:
        raise ValueError(f"scores have shape {tuple(s.shape)}; expected {expected} "
                         f"(n_items={split.n_items}, n_users={split.n_users})")
    return s


# --- the two baselines -----------------------------------------------------------------------
def popularity_scores(split: LeaveLastOutSplit) -> np.ndarray:
    """float64 [n_items]: how many users interacted with each item in training (one ranking for all).

    Taught in 07_recsys_classic.
    """
    pairs = split.train.drop_duplicates(["user_id", "item_id"])
    return np.bincount(pairs["item_id"].to_numpy(), minlength=split.n_items).astype(np.float64)


def oracle_scores(world, split: LeaveLastOutSplit, which: str = "val") -> np.ndarray:
    """float64 [n_users, n_items]: the generator's probability of each user's held-out view.

    Rows of evaluated users hold `world.next_item_probs(user, before=event timestamp)`; other rows
    are 0. Ranking by it is the best achievable on the shop world. Taught in 07_recsys_classic.
    """
    events = split.events(which)
    out = np.zeros((split.n_users, split.n_items))
    users = events["user_id"].to_numpy()
    out[users] = world.next_item_probs(users, before=events["timestamp"].to_numpy())
    return out


# --- general top-k metrics (Microsoft Recommenders' definitions) ------------------------------
def _relevance(recommended, relevant, k: int) -> tuple[np.ndarray, np.ndarray]:
    """hits [n_users, k] (bool) and |relevant| [n_users] for users with at least one relevant item."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    rec = np.asarray(recommended)
    if rec.ndim != 2 or rec.shape[1] < k:
        raise ValueError(f"recommended must be [n_users, >= k={k}] item ids, got shape {rec.shape}")
    rec = rec[:, :k].astype(np.int64)
    if isinstance(relevant, np.ndarray) and relevant.dtype == bool:
        if relevant.ndim != 2 or len(relevant) != len(rec):
            raise ValueError(f"relevant must be bool [n_users={len(rec)}, n_items], got {relevant.shape}")
        valid = rec >= 0
        hits = valid & relevant[np.arange(len(rec))[:, None], np.where(valid, rec, 0)]
        n_rel = relevant.sum(1)
    else:
        relevant = [set(np.asarray(list(r)).tolist()) for r in relevant]
        if len(relevant) != len(rec):
            raise ValueError(f"{len(rec)} recommendation lists but {len(relevant)} relevant sets")
        hits = np.array([[i in r for i in row] for row, r in zip(rec.tolist(), relevant)], dtype=bool).reshape(rec.shape)
        n_rel = np.array([len(r) for r in relevant])
    keep = n_rel > 0
    if not keep.any():
        raise ValueError("no user has a relevant item")
    return hits[keep], n_rel[keep]


def precision_at_k(recommended, relevant, k: int = 10) -> float:
    """Mean over users of (relevant items among the top k) / k.

    recommended: item ids [n_users, >= k], best first (e.g. from `top_k`); relevant: bool
    [n_users, n_items] or one collection of item ids per user. Users without relevant items are
    left out, as in Microsoft Recommenders. Taught in 07_recsys_classic.
    """
    hits, _ = _relevance(recommended, relevant, k)
    return float((hits.sum(1) / k).mean())


def recall_at_k(recommended, relevant, k: int = 10) -> float:
    """Mean over users of (relevant items among the top k) / (number of relevant items).

    Inputs as in `precision_at_k`. Taught in 07_recsys_classic.
    """
    hits, n_rel = _relevance(recommended, relevant, k)
    return float((hits.sum(1) / n_rel).mean())


def ndcg_at_k(recommended, relevant, k: int = 10) -> float:
    """Mean over users of DCG@k / IDCG@k with binary relevance.

    DCG@k = sum over ranks r <= k of rel_r / log2(r + 1); IDCG@k is the DCG of a perfect list,
    min(k, |relevant|) hits at the top. Inputs as in `precision_at_k`. Taught in 07_recsys_classic.
    """
    hits, n_rel = _relevance(recommended, relevant, k)
    discount = 1 / np.log2(np.arange(2, k + 2))
    dcg = hits @ discount
    idcg = np.cumsum(discount)[np.minimum(n_rel, k) - 1]
    return float((dcg / idcg).mean())


def random_split_per_user(ratings: pd.DataFrame, test_frac: float = 0.25, seed: int = 0
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-user random split of rating rows into (train, test), like Microsoft Recommenders'
    `python_stratified_split(ratio=1 - test_frac)`: each user's rows are shuffled and the first
    round((1 - test_frac) * n) go to train (so a user with 1 or 2 ratings has none in test).
    Both frames keep the input's row order and index. Taught in 07_recsys_classic.
    """
    if "user_id" not in ratings.columns:
        raise ValueError("ratings need a 'user_id' column")
    if isinstance(test_frac, bool) or not isinstance(test_frac, (float, int)) or not 0 < test_frac < 1:
        raise ValueError(f"test_frac must be a number strictly between 0 and 1, got {test_frac!r}")
    rng = np.random.default_rng(seed)
    users = ratings["user_id"].to_numpy()
    order = np.lexsort((rng.random(len(ratings)), users))         # shuffle within each user
    pos = np.empty(len(ratings), dtype=np.int64)
    pos[order] = pd.Series(users[order]).groupby(users[order]).cumcount().to_numpy()
    n = pd.Series(users).map(pd.Series(users).value_counts()).to_numpy()
    in_train = pos < np.round((1 - test_frac) * n)
    return ratings[in_train], ratings[~in_train]


__all__ = ["LeaveLastOutSplit", "leave_last_out", "ranks", "top_k", "ranking_metrics", "metrics_from_ranks",
           "evaluate", "popularity_scores", "oracle_scores", "precision_at_k", "recall_at_k", "ndcg_at_k",
           "random_split_per_user"]
