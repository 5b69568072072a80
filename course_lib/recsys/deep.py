"""Deep recommenders: matrix factorization, BPR, two-tower, GRU4Rec- and SASRec-style sequence models,
and an FPMC-style next-view mixture.

Taught in 08_recsys_deep; section 8 joins them into the full build (candidates ->
ranking -> business rules). Every model scores *all* items for a batch of users, so the
protocol of chapter 07 (`course_lib.recsys.protocol.evaluate`) ranks them unchanged.

Item ids are 0..n_items-1 everywhere. Sequence models read padded id matrices in which 0 is
padding and item i is token i + 1 (`sequences`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

# --- explicit ratings: matrix factorization --------------------------------------------------


class MatrixFactorization(nn.Module):
    """r̂(u, i) = μ + b_u + b_i + p_u · q_i: ratings as a global mean, two biases and a dot product.

    Taught in 08_recsys_deep.
    """

    def __init__(self, n_users: int, n_items: int, dim: int = 16, mean: float = 0.0, init_std: float = 0.05):
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = nn.Embedding(n_items, 1)
        self.register_buffer("mean", torch.tensor(float(mean)))
        for emb in (self.user, self.item):
            nn.init.normal_(emb.weight, std=init_std)
        for emb in (self.user_bias, self.item_bias):
            nn.init.zeros_(emb.weight)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        dot = (self.user(users) * self.item(items)).sum(-1)
        return self.mean + self.user_bias(users).squeeze(-1) + self.item_bias(items).squeeze(-1) + dot


def fit_ratings(ratings: pd.DataFrame, n_users: int, n_items: int, dim: int = 16, epochs: int = 30,
                lr: float = 0.02, weight_decay: float = 0.05, batch_size: int = 1024, seed: int = 0,
                val: pd.DataFrame | None = None) -> tuple[MatrixFactorization, dict]:
    """Fit `MatrixFactorization` to rating rows (user_id, item_id, rating) by minibatch Adam on MSE.

    weight_decay is an L2 penalty on the embeddings *used in each batch* (λ ||p_u||² + λ ||q_i||²,
    the classic per-rating regularizer), so rarely seen users are not shrunk more than busy ones.
    Returns the model and its history (train_rmse per epoch; val_rmse too when `val` is given).
    Taught in 08_recsys_deep.
    """
    _check_positive(dim=dim, epochs=epochs, batch_size=batch_size)
    u, i, r = _rating_tensors(ratings, n_users, n_items)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = MatrixFactorization(n_users, n_items, dim, mean=r.mean().item())
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"train_rmse": [], **({"val_rmse": []} if val is not None else {})}
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(r), generator=gen).split(batch_size):
            pred = model(u[idx], i[idx])
            mse = F.mse_loss(pred, r[idx], reduction="sum")
            penalty = weight_decay * (model.user(u[idx]).pow(2).sum() + model.item(i[idx]).pow(2).sum()
                                      + model.user_bias(u[idx]).pow(2).sum() + model.item_bias(i[idx]).pow(2).sum())
            opt.zero_grad()
            ((mse + penalty) / len(idx)).backward()
            opt.step()
            total += mse.item()
        history["train_rmse"].append(math.sqrt(total / len(r)))
        if val is not None:
            history["val_rmse"].append(rmse(model, val))
    return model, history


@torch.no_grad()
def rmse(model: nn.Module, ratings: pd.DataFrame, clip: tuple[float, float] = (1.0, 5.0)) -> float:
    """Root mean squared error of `model(users, items)` on rating rows, predictions clipped to the scale.

    Taught in 08_recsys_deep.
    """
    u, i, r = _rating_tensors(ratings)
    pred = model(u, i).clamp(*clip)
    return float(torch.sqrt(F.mse_loss(pred, r)))


def _rating_tensors(ratings: pd.DataFrame, n_users: int | None = None, n_items: int | None = None):
    missing = {"user_id", "item_id", "rating"} - set(ratings.columns)
    if missing:
        raise ValueError(f"ratings lack column(s) {sorted(missing)}")
    if len(ratings) == 0:
        raise ValueError("no ratings")
    u = torch.tensor(ratings["user_id"].to_numpy(dtype=np.int64))
    i = torch.tensor(ratings["item_id"].to_numpy(dtype=np.int64))
    for name, ids, n in (("user", u, n_users), ("item", i, n_items)):
        if ids.min() < 0 or (n is not None and ids.max() >= n):
            raise ValueError(f"{name} ids must be in 0..{'n-1' if n is None else n - 1}")
    return u, i, torch.tensor(ratings["rating"].to_numpy(dtype=np.float32))


# --- implicit feedback: BPR ------------------------------------------------------------------


class DotModel(nn.Module):
    """score(u, i) = p_u · q_i + b_i: the model behind BPR-MF (sparse=True: sparse embedding gradients).

    Taught in 08_recsys_deep.
    """

    def __init__(self, n_users: int, n_items: int, dim: int = 32, sparse: bool = False, init_std: float = 0.1):
        super().__init__()
        self.user = nn.Embedding(n_users, dim, sparse=sparse)
        self.item = nn.Embedding(n_items, dim, sparse=sparse)
        self.item_bias = nn.Embedding(n_items, 1, sparse=sparse)
        nn.init.normal_(self.user.weight, std=init_std)
        nn.init.normal_(self.item.weight, std=init_std)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return (self.user(users) * self.item(items)).sum(-1) + self.item_bias(items).squeeze(-1)

    @torch.no_grad()
    def score_all(self, users) -> torch.Tensor:
        """Scores [len(users), n_items] of every item: one matrix product."""
        users = torch.tensor(np.asarray(users), dtype=torch.long)
        return self.user(users) @ self.item.weight.T + self.item_bias.weight.T


def bpr_loss(pos_scores: torch.Tensor, neg_scores: torch.Tensor) -> torch.Tensor:
    """Bayesian personalized ranking: mean of -log σ(s(u, i⁺) - s(u, i⁻)).

    Taught in 08_recsys_deep.
    """
    return -F.logsigmoid(pos_scores - neg_scores).mean()


def sample_negatives(users: torch.Tensor, positives: torch.Tensor, n_items: int,
                     generator: torch.Generator | None = None, max_rounds: int = 100) -> torch.Tensor:
    """One item per user drawn uniformly from the items that user has *not* interacted with.

    positives: the sorted keys user * n_items + item of every interaction (`positive_keys`), a
    representation that scales to millions of users where a dense [n_users, n_items] mask cannot.
    Draws uniformly and redraws the collisions (rejection sampling): exact, and fast while users
    have seen a small share of the catalogue. Taught in 08_recsys_deep.
    """
    users = torch.as_tensor(users, dtype=torch.long)
    neg = torch.randint(0, n_items, users.shape, generator=generator)
    bad = _contains(positives, users * n_items + neg)
    for _ in range(max_rounds):
        if not bad.any():
            return neg
        neg[bad] = torch.randint(0, n_items, (int(bad.sum()),), generator=generator)
        bad[bad.clone()] = _contains(positives, users[bad] * n_items + neg[bad])
    # Users who have seen almost everything: draw from their own complement exactly.
    for k in torch.nonzero(bad).flatten().tolist():
        lo, hi = torch.searchsorted(positives, torch.tensor([users[k] * n_items, (users[k] + 1) * n_items]))
        free = np.setdiff1d(np.arange(n_items), (positives[lo:hi] - users[k] * n_items).numpy())
        if len(free) == 0:
            raise ValueError(f"user {int(users[k])} has interacted with every item: no negative to sample")
        neg[k] = int(free[torch.randint(len(free), (1,), generator=generator)])
    return neg


def positive_keys(users, items, n_items: int) -> torch.Tensor:
    """Sorted unique keys user * n_items + item of (user, item) pairs, for `sample_negatives`.

    Taught in 08_recsys_deep.
    """
    u = torch.tensor(np.asarray(users, dtype=np.int64))
    i = torch.tensor(np.asarray(items, dtype=np.int64))
    if len(i) and (i.min() < 0 or i.max() >= n_items):
        raise ValueError(f"item ids must be in 0..{n_items - 1}")
    return torch.unique(u * n_items + i)


def _contains(sorted_keys: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    if len(sorted_keys) == 0:
        return torch.zeros_like(keys, dtype=torch.bool)
    pos = torch.searchsorted(sorted_keys, keys).clamp(max=len(sorted_keys) - 1)
    return sorted_keys[pos] == keys


def fit_bpr(users, items, n_users: int, n_items: int, dim: int = 32, epochs: int = 20, lr: float = 0.05,
            batch_size: int = 4096, weight_decay: float = 1e-4, seed: int = 0, sparse: bool = True
            ) -> tuple[DotModel, dict]:
    """Fit BPR-MF on implicit (user, item) pairs: each epoch visits every pair once with one fresh negative.

    Duplicate pairs count once. sparse=True uses sparse embedding gradients and `SparseAdam`, so a
    step touches only the rows in the batch (what makes BPR scale); weight_decay is then an L2
    penalty on those rows. Returns the model and history (train_loss per epoch).
    Taught in 08_recsys_deep.
    """
    _check_positive(dim=dim, epochs=epochs, batch_size=batch_size)
    positives = positive_keys(users, items, n_items)
    u_all, i_all = positives // n_items, positives % n_items
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = DotModel(n_users, n_items, dim, sparse=sparse)
    opt = torch.optim.SparseAdam(model.parameters(), lr=lr) if sparse else torch.optim.Adam(model.parameters(), lr=lr)
    history = {"train_loss": []}
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(u_all), generator=gen).split(batch_size):
            u, i = u_all[idx], i_all[idx]
            j = sample_negatives(u, positives, n_items, gen)
            loss = bpr_loss(model(u, i), model(u, j))
            reg = weight_decay * (model.user(u).pow(2).sum() + model.item(i).pow(2).sum()
                                  + model.item(j).pow(2).sum()) / len(idx)
            opt.zero_grad()
            (loss + reg).backward()
            opt.step()
            total += loss.item() * len(idx)
        history["train_loss"].append(total / len(u_all))
    return model, history


# --- two-tower retrieval ---------------------------------------------------------------------


class TwoTower(nn.Module):
    """User tower (id + mean of the items in the user's history) and item tower (id + content
    features), each an MLP into one d-dimensional space; score = dot product of the two towers.

    history: bool/float [n_users, n_items] the user tower averages over (a buffer; replace it with
    `set_history` to score from a later history). item_features: float [n_items, f] or None.
    Taught in 08_recsys_deep.
    """

    def __init__(self, n_users: int, n_items: int, history: torch.Tensor, item_features: torch.Tensor | None = None,
                 dim: int = 32, hidden: int = 64):
        super().__init__()
        self.user_id = nn.Embedding(n_users, dim)
        self.item_id = nn.Embedding(n_items, dim)
        self.hist_item = nn.Embedding(n_items, dim)
        n_feat = 0 if item_features is None else item_features.shape[1]
        self.register_buffer("features", torch.zeros(n_items, 0) if item_features is None
                             else torch.as_tensor(item_features, dtype=torch.float32))
        self.set_history(history)
        self.user_mlp = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))
        self.item_mlp = nn.Sequential(nn.Linear(dim + n_feat, hidden), nn.ReLU(), nn.Linear(hidden, dim))
        for emb in (self.user_id, self.item_id, self.hist_item):
            nn.init.normal_(emb.weight, std=0.1)

    def set_history(self, history) -> None:
        h = torch.as_tensor(np.asarray(history), dtype=torch.float32)
        self.register_buffer("history", h / h.sum(1, keepdim=True).clamp(min=1))

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        hist = self.history[users] @ self.hist_item.weight
        return self.user_mlp(torch.cat([self.user_id(users), hist], -1))

    def item_vectors(self, items: torch.Tensor | None = None) -> torch.Tensor:
        items = torch.arange(self.item_id.num_embeddings) if items is None else items
        return self.item_mlp(torch.cat([self.item_id(items), self.features[items]], -1))

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return (self.user_vectors(users) * self.item_vectors(items)).sum(-1)

    @torch.no_grad()
    def score_all(self, users) -> torch.Tensor:
        users = torch.tensor(np.asarray(users), dtype=torch.long)
        return self.user_vectors(users) @ self.item_vectors().T


def fit_two_tower(model: TwoTower, users, items, epochs: int = 10, lr: float = 3e-3, batch_size: int = 1024,
                  n_negatives: int = 4, weight_decay: float = 0.0, seed: int = 0) -> dict:
    """Train a `TwoTower` with negative sampling: logistic loss on each positive (user, item) pair
    and `n_negatives` uniform items per pair that the user has not interacted with.

    Returns the history (train_loss per epoch). Taught in 08_recsys_deep.
    """
    _check_positive(epochs=epochs, batch_size=batch_size, n_negatives=n_negatives)
    n_users, n_items = model.user_id.num_embeddings, model.item_id.num_embeddings
    positives = positive_keys(users, items, n_items)
    u_all, i_all = positives // n_items, positives % n_items
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = {"train_loss": []}
    model.train()
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(u_all), generator=gen).split(batch_size):
            u = u_all[idx]
            neg_u = u.repeat_interleave(n_negatives)
            neg_i = sample_negatives(neg_u, positives, n_items, gen)
            uv = model.user_vectors(u)
            iv = model.item_vectors()                       # the whole catalogue once: cheaper than per pair
            pos = (uv * iv[i_all[idx]]).sum(-1)
            neg = (uv.repeat_interleave(n_negatives, 0) * iv[neg_i]).sum(-1)
            loss = (F.binary_cross_entropy_with_logits(pos, torch.ones_like(pos))
                    + F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history["train_loss"].append(total / len(u_all))
    model.eval()
    return history


# --- sequence models -------------------------------------------------------------------------


@dataclass
class Sequences:
    """Each user's most recent views as left-padded token ids [n_users, max_len] (0 = padding,
    item i = token i + 1), and `new_session` [n_users, max_len] (True where a view starts a session).

    Built by `sequences`. Taught in 08_recsys_deep.
    """
    tokens: torch.Tensor
    new_session: torch.Tensor

    def last_items(self) -> np.ndarray:
        """Item id of each user's latest view (-1 for users without views)."""
        return (self.tokens[:, -1] - 1).numpy()


def sequences(events: pd.DataFrame, n_users: int, max_len: int = 50, session_gap_minutes: float = 30,
              event: str | None = "view") -> Sequences:
    """Users' histories as padded sequences, oldest first, latest at the right edge.

    events: rows with user_id, item_id, timestamp (and event; only `event` rows are kept when
    both exist). A view starts a new session when it comes `session_gap_minutes` or more after the
    user's previous one. Taught in 08_recsys_deep.
    """
    _check_positive(max_len=max_len)
    e = events
    if event is not None and "event" in e.columns:
        e = e[e["event"] == event]
    e = e.sort_values(["user_id", "timestamp"], kind="stable")
    users = e["user_id"].to_numpy()
    gap = e["timestamp"].diff().to_numpy() >= np.timedelta64(int(session_gap_minutes * 60), "s")
    first = np.r_[True, users[1:] != users[:-1]]
    starts = first | gap
    pos_from_end = e.groupby("user_id").cumcount(ascending=False).to_numpy()
    keep = pos_from_end < max_len
    tokens = torch.zeros(n_users, max_len, dtype=torch.long)
    new = torch.zeros(n_users, max_len, dtype=torch.bool)
    col = max_len - 1 - pos_from_end[keep]
    tokens[users[keep], col] = torch.as_tensor(e["item_id"].to_numpy()[keep] + 1)
    new[users[keep], col] = torch.as_tensor(starts[keep])
    return Sequences(tokens, new)


class _NextItemModel(nn.Module):
    """Shared parts: item embedding (tied with the output layer), a 'next view starts a new
    session' embedding, and the scoring of the last position against every item."""

    def __init__(self, n_items: int, dim: int, context: int):
        super().__init__()
        _check_positive(n_items=n_items, dim=dim, context=context)
        self.n_items = n_items
        self.context = context                     # how many recent views the model reads
        self.item = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.gap = nn.Embedding(2, dim)            # is the *next* view the start of a new session?
        self.out_bias = nn.Parameter(torch.zeros(n_items))
        nn.init.normal_(self.item.weight, std=0.1)
        with torch.no_grad():
            self.item.weight[0].zero_()

    def inputs(self, tokens: torch.Tensor, next_new: torch.Tensor) -> torch.Tensor:
        return self.item(tokens) + self.gap(next_new.long())

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden @ self.item.weight[1:].T + self.out_bias

    def encode(self, tokens: torch.Tensor, next_new: torch.Tensor) -> torch.Tensor:  # [B, L, d]
        raise NotImplementedError

    def forward(self, tokens: torch.Tensor, next_new: torch.Tensor) -> torch.Tensor:
        """Logits [B, L, n_items] of the item that follows each position."""
        return self.logits(self.encode(tokens, next_new))

    @torch.no_grad()
    def score_next(self, tokens: torch.Tensor, next_new: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Scores [B, n_items] of the item after the last position. next_new: [B] bool, whether
        that item starts a new session (known at serving time from the clock)."""
        was = self.training
        self.eval()
        out = []
        for start in range(0, len(tokens), batch_size):
            t = tokens[start:start + batch_size, -self.context:]
            flags = torch.zeros_like(t, dtype=torch.bool)
            flags[:, -1] = torch.as_tensor(next_new[start:start + batch_size], dtype=torch.bool)
            out.append(self.logits(self.encode(t, flags)[:, -1]))
        self.train(was)
        return torch.cat(out) if out else torch.zeros(0, self.n_items)


class GRU4Rec(_NextItemModel):
    """GRU4Rec-style: item embeddings -> GRU -> dot product with every item embedding.

    Taught in 08_recsys_deep.
    """

    def __init__(self, n_items: int, dim: int = 64, context: int = 16, dropout: float = 0.1):
        super().__init__(n_items, dim, context)
        self.drop = nn.Dropout(dropout)
        self.gru = nn.GRU(dim, dim, batch_first=True)

    def encode(self, tokens, next_new):
        h, _ = self.gru(self.drop(self.inputs(tokens, next_new)))
        return h


class SASRec(_NextItemModel):
    """SASRec-style: item + position embeddings -> causal self-attention blocks -> dot product
    with every item embedding. Taught in 08_recsys_deep (attention itself: 05_attention).
    """

    def __init__(self, n_items: int, dim: int = 64, context: int = 16, heads: int = 2, layers: int = 2,
                 dropout: float = 0.1):
        super().__init__(n_items, dim, context)
        self.pos = nn.Embedding(context, dim)
        block = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim, dropout=dropout,
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)
        self.register_buffer("causal", nn.Transformer.generate_square_subsequent_mask(context), persistent=False)

    def encode(self, tokens, next_new):
        L = tokens.shape[1]
        x = self.inputs(tokens, next_new) * math.sqrt(self.item.embedding_dim) + self.pos.weight[-L:]
        h = self.blocks(self.drop(x), mask=self.causal[-L:, -L:], is_causal=True)
        return self.norm(h)


def fit_next_item(model: _NextItemModel, seqs: Sequences, epochs: int = 10, lr: float = 1e-2,
                  batch_size: int = 256, seed: int = 0) -> dict:
    """Train a sequence model to predict every next view (full softmax cross-entropy).

    Each user's sequence is cut into windows of `model.context` + 1 views that overlap by one, so
    every view is a target exactly once and a batch is many short sequences (cheap on a CPU).
    Position t's input flag says whether the view at t + 1 starts a new session.
    Returns the history (train_loss per epoch). Taught in 08_recsys_deep.
    """
    _check_positive(epochs=epochs, batch_size=batch_size)
    w = model.context
    tokens, flags = seqs.tokens, seqs.new_session
    pad = (-tokens.shape[1] + 1) % w                       # left-pad so windows tile the sequence
    tokens = F.pad(tokens, (pad, 0))
    flags = F.pad(flags, (pad, 0))
    tokens = tokens.unfold(1, w + 1, w).reshape(-1, w + 1)
    flags = flags.unfold(1, w + 1, w).reshape(-1, w + 1)
    useful = (tokens[:, 1:] > 0).any(1) & (tokens[:, :-1] > 0).any(1)
    tokens, flags = tokens[useful], flags[useful]
    x, target, next_new = tokens[:, :-1], tokens[:, 1:] - 1, flags[:, 1:]
    target = torch.where(x > 0, target, -1)               # no target without an input before it
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"train_loss": []}
    model.train()
    for _ in range(epochs):
        total, n = 0.0, 0
        for idx in torch.randperm(len(x), generator=gen).split(batch_size):
            logits = model(x[idx], next_new[idx])
            # padding targets are -1 and skipped
            loss = F.cross_entropy(logits.reshape(-1, model.n_items), target[idx].reshape(-1), ignore_index=-1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            count = int((target[idx] >= 0).sum())
            total, n = total + loss.item() * count, n + count
        history["train_loss"].append(total / max(n, 1))
    model.eval()
    return history


# --- an explicit next-view mixture (FPMC-style) ----------------------------------------------


def next_view_pairs(events: pd.DataFrame, session_gap_minutes: float = 30, event: str | None = "view"
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every view as a training example (user, previous item in the session, item), oldest first.

    previous item = the user's previous view if it came less than `session_gap_minutes` earlier,
    else -1 (the view opens a new session). Rows with another `event` are dropped when both exist.
    Returns int64 arrays users, prev_items, items. Taught in 08_recsys_deep.
    """
    e = events
    if event is not None and "event" in e.columns:
        e = e[e["event"] == event]
    e = e.sort_values(["user_id", "timestamp"], kind="stable")
    users, items, times = (e[c].to_numpy() for c in ("user_id", "item_id", "timestamp"))
    gap = np.timedelta64(int(session_gap_minutes * 60), "s")
    same_session = np.r_[False, (users[1:] == users[:-1]) & (times[1:] - times[:-1] < gap)]
    prev = np.where(same_session, np.r_[-1, items[:-1]], -1)
    return users.astype(np.int64), prev.astype(np.int64), items.astype(np.int64)


def previous_in_session(history: pd.DataFrame, events: pd.DataFrame, session_gap_minutes: float = 30,
                        event: str | None = "view") -> np.ndarray:
    """For each row of `events` (user_id, timestamp): the item of that user's last view in `history`
    strictly before it, if less than `session_gap_minutes` earlier; else -1 (a new session).

    This is what a shop knows at serving time from its clock. Taught in 08_recsys_deep.
    """
    h = history
    if event is not None and "event" in h.columns:
        h = h[h["event"] == event]
    h = h.sort_values(["user_id", "timestamp"], kind="stable")
    out = np.full(len(events), -1, dtype=np.int64)
    uid, times, items = (h[c].to_numpy() for c in ("user_id", "timestamp", "item_id"))
    gap = np.timedelta64(int(session_gap_minutes * 60), "s")
    ev_users, ev_times = events["user_id"].to_numpy(), events["timestamp"].to_numpy()
    lo, hi = np.searchsorted(uid, ev_users, "left"), np.searchsorted(uid, ev_users, "right")
    for k, (a, b, t) in enumerate(zip(lo, hi, ev_times)):
        j = a + np.searchsorted(times[a:b], t, "left") - 1
        if j >= a and t - times[j] < gap:
            out[k] = items[j]
    return out


class NextViewMixture(nn.Module):
    """What comes next depends on what you just looked at AND who you are:

        p(i | u, l) = w · softmax_{i≠l}(s · cos(g_l, g_i) + e_l · f_i + b_i) + (1 - w) · softmax_i(p_u · q_i + c_i)

    a *transition* component (from the previous item l of the session) and a *taste* component
    (the user's fresh-visit distribution), mixed with a learned weight w. A view that opens a new
    session (l = -1) uses the taste component alone. This is Factorizing Personalized Markov Chains
    (Rendle et al., 2010) written as a mixture of two normalized distributions.

    The transition scores the *cosine* of one item vector g per item, sharpened by a learned scale
    s: "similar to what I just saw" is symmetric, and tying the two ends of each transition to one
    vector halves what must be learned from sparse item pairs. Small free vectors e_l, f_i
    (`direction_dim`) add what is not symmetric (a phone, then its case). item_features (float [n_items, f],
    e.g. one-hot category/brand/price band) are projected into every item vector, so items with few
    views borrow strength from similar ones. Taught in 08_recsys_deep.
    """

    def __init__(self, n_users: int, n_items: int, dim: int = 16, item_features=None, init_std: float = 0.05,
                 direction_dim: int = 4):
        super().__init__()
        _check_positive(n_users=n_users, n_items=n_items, dim=dim, direction_dim=direction_dim)
        feats = torch.zeros(n_items, 0) if item_features is None else torch.as_tensor(np.asarray(item_features),
                                                                                    dtype=torch.float32)
        if feats.shape[0] != n_items:
            raise ValueError(f"item_features has {feats.shape[0]} rows for {n_items} items")
        self.register_buffer("features", feats)
        n_feat = feats.shape[1]
        self.n_items = n_items
        self.user = nn.Embedding(n_users, dim)           # p_u
        self.taste_item = nn.Embedding(n_items, dim)     # q_i (plus features)
        self.similar = nn.Embedding(n_items, dim)        # g_i (plus features)
        self.src = nn.Embedding(n_items, direction_dim)  # e_l
        self.dst = nn.Embedding(n_items, direction_dim)  # f_i
        # Content parts of q_i (+ 1: of the bias c_i) and g_i; none without features.
        self.taste_from_features = nn.Linear(n_feat, dim + 1) if n_feat else None
        self.similar_from_features = nn.Linear(n_feat, dim, bias=False) if n_feat else None
        self.taste_bias = nn.Parameter(torch.zeros(n_items))     # c_i: popularity in the feed
        self.next_bias = nn.Parameter(torch.zeros(n_items))      # b_i: popularity as a next item
        self.log_scale = nn.Parameter(torch.zeros(()))           # s = exp(log_scale), starts at 1
        self.mix_logit = nn.Parameter(torch.zeros(()))           # w = sigmoid(mix_logit)
        for emb in (self.user, self.taste_item, self.similar, self.src, self.dst):
            nn.init.normal_(emb.weight, std=init_std)

    @property
    def weight(self) -> float:
        """w, the share of continued-session views that follow the previous item."""
        return float(torch.sigmoid(self.mix_logit.detach()))

    @property
    def scale(self) -> float:
        """s, how sharply the transition prefers the most similar items."""
        return float(self.log_scale.detach().exp())

    def item_tables(self):
        """Item tables with their content parts: q, c (taste); g with unit rows, e, f, b (transition)."""
        q, c, g = self.taste_item.weight, self.taste_bias, self.similar.weight
        if self.taste_from_features is not None:
            t = self.taste_from_features(self.features)
            q, c, g = q + t[:, :-1], c + t[:, -1], g + self.similar_from_features(self.features)
        return q, c, F.normalize(g, dim=1), self.src.weight, self.dst.weight, self.next_bias

    def _logits(self, users: torch.Tensor, prev: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Taste logits [len(users), n_items] and transition logits [len(prev), n_items] (prev >= 0)."""
        q, c, g, e, f, b = self.item_tables()
        moves = self.log_scale.exp() * (g[prev] @ g.T) + e[prev] @ f.T + b
        moves = moves.masked_fill(F.one_hot(prev, self.n_items).bool(), -torch.inf)   # browse ON: i ≠ l
        return self.user(users) @ q.T + c, moves

    def forward(self, users: torch.Tensor, prev_items: torch.Tensor) -> torch.Tensor:
        """log p(i | u, l) [B, n_items]; prev_items = -1 where the view opens a new session."""
        taste_logits, move_logits = self._logits(users, prev_items.clamp(min=0))
        taste, trans = F.log_softmax(taste_logits, -1), F.log_softmax(move_logits, -1)
        w = torch.sigmoid(self.mix_logit)
        mixed = torch.logaddexp(torch.log(w) + trans, torch.log1p(-w) + taste)
        return torch.where((prev_items >= 0)[:, None], mixed, taste)

    @torch.no_grad()
    def components(self, users) -> tuple[torch.Tensor, torch.Tensor]:
        """The two halves as probabilities: taste [len(users), n_items] and the transition matrix
        [n_items, n_items] (row l: the next item after l, 0 on the diagonal)."""
        taste_logits, move_logits = self._logits(_ids(users), torch.arange(self.n_items))
        return torch.softmax(taste_logits, -1), torch.softmax(move_logits, -1)

    @torch.no_grad()
    def score_next(self, users, prev_items, batch_size: int = 1024) -> torch.Tensor:
        """log p(next view = i) [len(users), n_items] for ranking (prev_items: -1 = new session)."""
        users, prev_items = _ids(users), _ids(prev_items)
        out = [self(users[s:s + batch_size], prev_items[s:s + batch_size]) for s in range(0, len(users), batch_size)]
        return torch.cat(out) if out else torch.zeros(0, self.n_items)


def fit_mixture(model: NextViewMixture, users, prev_items, items, epochs: int = 4, lr: float = 5e-3,
                batch_size: int = 256, weight_decay: float = 0.003, seed: int = 0) -> dict:
    """Maximum likelihood of every next view: minibatch Adam on -log p(i | u, l), full softmax.

    weight_decay: L2 penalty on the user rows of each batch plus the ID item tables (scaled so
    one epoch adds it once). Returns the history (train_nll per epoch, and w). Taught in 08_recsys_deep.
    """
    _check_positive(epochs=epochs, batch_size=batch_size)
    u, l, i = (torch.as_tensor(np.asarray(x), dtype=torch.long) for x in (users, prev_items, items))
    if not len(u) == len(l) == len(i) or len(i) == 0:
        raise ValueError(f"users, prev_items and items must be equally long and non-empty, got {len(u)}, {len(l)}, {len(i)}")
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * math.ceil(len(i) / batch_size)
    # The learning rate falls linearly to 0: the last steps average out minibatch noise.
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1 - step / steps)
    history = {"train_nll": [], "weight": []}
    model.train()
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(i), generator=gen).split(batch_size):
            nll = F.nll_loss(model(u[idx], l[idx]), i[idx])
            tables = sum(t.weight.pow(2).sum() for t in (model.taste_item, model.similar, model.src, model.dst))
            penalty = weight_decay * (model.user(u[idx]).pow(2).sum(1).mean() + tables * len(idx) / len(i))
            opt.zero_grad()
            (nll + penalty).backward()
            opt.step()
            schedule.step()
            total += nll.item() * len(idx)
        history["train_nll"].append(total / len(i))
        history["weight"].append(model.weight)
    model.eval()
    return history


# --- cold start, popularity bias, the full build ---------------------------------------------


def content_to_embedding(features: np.ndarray, embeddings: np.ndarray, alpha: float = 1.0):
    """Ridge regression from item content features to learned item embeddings (cold start).

    Fit on items that have interactions; apply to new items: `predict(features_new)` gives the
    embedding a collaborative model would have learned, so a new item can be ranked on day one.
    Returns a fitted sklearn `Ridge`. Taught in 08_recsys_deep.
    """
    from sklearn.linear_model import Ridge

    return Ridge(alpha=alpha).fit(np.asarray(features, dtype=np.float64), np.asarray(embeddings, dtype=np.float64))


def top_share(top_items: np.ndarray, popularity: np.ndarray, top_frac: float = 0.1) -> float:
    """Share of recommendation slots that go to the most popular `top_frac` of items.

    top_items: [n_users, k] item ids (-1 = empty slot, ignored); popularity: [n_items].
    Taught in 08_recsys_deep.
    """
    if not 0 < top_frac <= 1:
        raise ValueError(f"top_frac must be in (0, 1], got {top_frac!r}")
    n_top = max(1, int(round(top_frac * len(popularity))))
    head = np.zeros(len(popularity), dtype=bool)
    head[np.argsort(-np.asarray(popularity), kind="stable")[:n_top]] = True
    shown = np.asarray(top_items)
    shown = shown[shown >= 0]
    return float(head[shown].mean()) if len(shown) else 0.0


def rerank(candidates: np.ndarray, scores: np.ndarray, allowed: np.ndarray, category: np.ndarray,
           k: int = 10, max_per_category: int | None = None) -> np.ndarray:
    """Business-rule re-ranking of one user's candidate list.

    candidates: item ids best first; scores: their ranking scores (re-sorted here); allowed: bool
    [n_items] (e.g. in stock and not already bought); category: [n_items]. Keeps the best allowed
    items, at most `max_per_category` from one category (diversity), and returns up to k ids.
    Taught in 08_recsys_deep.
    """
    candidates = np.asarray(candidates)
    order = candidates[np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")]
    picked, per_cat = [], {}
    for item in order:
        if not allowed[item]:
            continue
        c = category[item]
        if max_per_category is not None and per_cat.get(c, 0) >= max_per_category:
            continue
        picked.append(int(item))
        per_cat[c] = per_cat.get(c, 0) + 1
        if len(picked) == k:
            break
    return np.array(picked, dtype=np.int64)


def _ids(x) -> torch.Tensor:
    """int64 tensor of ids from a tensor, array or list (a copy, so read-only arrays are fine)."""
    return x.long() if isinstance(x, torch.Tensor) else torch.as_tensor(np.array(x), dtype=torch.long)


def _check_positive(**values) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")


__all__ = ["MatrixFactorization", "fit_ratings", "rmse", "DotModel", "bpr_loss", "sample_negatives",
           "positive_keys", "fit_bpr", "TwoTower", "fit_two_tower", "Sequences", "sequences", "GRU4Rec",
           "SASRec", "fit_next_item", "next_view_pairs", "previous_in_session",
           "NextViewMixture", "fit_mixture", "content_to_embedding", "top_share", "rerank"]
