"""Sequences from the shop's sessions: ordered view streams, padding, next-token targets.

Taught in 04_rnn (recurrent networks); 05_attention and 08_recsys_deep reuse it.

Conventions: model *inputs* hold token id + 1 so that 0 (`PAD`) can mean "no token here";
*targets* hold plain token ids (classes for cross-entropy) and `IGNORE` (-100, the default
`ignore_index` of `torch.nn.functional.cross_entropy`) where there is nothing to predict.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

PAD = 0
IGNORE = -100
_SESSION_COLUMNS = ("session_id", "user_id", "position", "item_id", "timestamp")


@dataclass
class Streams:
    """Ordered view streams, one per session (`by="session"`) or per customer (`by="user"`).

    `tokens[k]`, `times[k]` and `new_session[k]` describe stream k view by view, in time order;
    `keys[k]` is its session_id or user_id; tokens are ids in 0..n_tokens-1.
    """
    keys: np.ndarray
    tokens: list[np.ndarray]
    times: list[np.ndarray]
    new_session: list[np.ndarray]
    n_tokens: int

    def __len__(self) -> int:
        return len(self.keys)

    def lengths(self) -> np.ndarray:
        """Number of views in each stream."""
        return np.array([len(t) for t in self.tokens], dtype=np.int64)


def view_streams(sessions: pd.DataFrame, products: pd.DataFrame | None = None, by: str = "session",
                 token: str = "item", min_length: int = 2) -> Streams:
    """Cut the shop's `sessions` table into ordered streams of item or category ids.

    by="session": one stream per session (anonymous, as a shop sees a visitor);
    by="user": one stream per customer, all their sessions in time order (`new_session` marks
    where each session starts). token="category" needs `products` (its `category` column).
    Streams shorter than `min_length` views are dropped (a single view has nothing to predict).
    Taught in 04_rnn.
    """
    if by not in ("session", "user"):
        raise ValueError(f"by must be 'session' or 'user', got {by!r}")
    if token not in ("item", "category"):
        raise ValueError(f"token must be 'item' or 'category', got {token!r}")
    missing = [c for c in _SESSION_COLUMNS if c not in sessions.columns]
    if missing:
        raise ValueError(f"sessions table lacks columns {missing}: pass world.sessions")
    if token == "category" and (products is None or "category" not in products.columns):
        raise ValueError("token='category' needs the products table (world.products)")
    key = f"{by}_id"
    s = sessions.sort_values([key, "timestamp", "session_id", "position"], kind="stable")
    items = s["item_id"].to_numpy()
    if token == "category":
        ids = products["category"].to_numpy()[items].astype(np.int64)
        n_tokens = int(products["category"].max()) + 1
    else:
        ids = items.astype(np.int64)
        n_tokens = len(products) if products is not None else int(items.max()) + 1
    keys, starts = np.unique(s[key].to_numpy(), return_index=True)
    cuts = starts[1:]
    tokens = np.split(ids, cuts)
    times = np.split(s["timestamp"].to_numpy().astype("datetime64[ns]"), cuts)
    new_session = np.split(s["position"].to_numpy() == 0, cuts)
    keep = np.array([len(t) >= min_length for t in tokens], dtype=bool)
    pick = lambda parts: [p for p, k in zip(parts, keep) if k]
    return Streams(keys[keep], pick(tokens), pick(times), pick(new_session), n_tokens)


def pad_sequences(seqs, max_len: int | None = None, value=0, side: str = "end", dtype=np.int64) -> np.ndarray:
    """Stack sequences of different lengths into one array [n, L], filling with `value`.

    side="end" pads after the tokens (what a left-to-right RNN wants: padding comes after every
    real step, so it cannot change them); side="start" pads before. A sequence longer than
    `max_len` keeps its last `max_len` tokens (the most recent ones). Taught in 04_rnn.
    """
    if side not in ("end", "start"):
        raise ValueError(f"side must be 'end' or 'start', got {side!r}")
    seqs = [np.asarray(s) for s in seqs]
    if max_len is None:
        max_len = max((len(s) for s in seqs), default=0)
    if max_len < 0:
        raise ValueError(f"max_len must be non-negative, got {max_len}")
    out = np.full((len(seqs), max_len), value, dtype=dtype)
    for row, seq in enumerate(seqs):
        seq = seq[len(seq) - max_len:] if len(seq) > max_len else seq
        if len(seq):
            if side == "end":
                out[row, :len(seq)] = seq
            else:
                out[row, max_len - len(seq):] = seq
    return out


@dataclass
class NextTokenArrays:
    """Padded arrays for next-token prediction, all [n_streams, L] (end-padded).

    inputs: token + 1 of view t (PAD = 0 past the end); targets: token of view t + 1 (IGNORE
    past the end); target_time: time of view t + 1 (NaT past the end); target_new_session: view
    t + 1 starts a session (a shop knows this when the shopper arrives, so it may be an input).
    """
    inputs: np.ndarray
    targets: np.ndarray
    target_time: np.ndarray
    target_new_session: np.ndarray

    def mask(self, before=None, after=None) -> np.ndarray:
        """Positions with a target, optionally only targets at times in [after, before)."""
        m = self.targets != IGNORE
        if before is not None:
            m &= self.target_time < np.datetime64(pd.Timestamp(before), "ns")
        if after is not None:
            m &= self.target_time >= np.datetime64(pd.Timestamp(after), "ns")
        return m


def next_token_arrays(streams: Streams, max_len: int | None = None) -> NextTokenArrays:
    """Inputs and shifted targets for predicting each next view of every stream (teacher forcing).

    A stream of T views gives T - 1 (input, target) steps; with `max_len` only the last `max_len`
    steps are kept. Taught in 04_rnn.
    """
    inputs = pad_sequences([t[:-1] + 1 for t in streams.tokens], max_len, value=PAD)
    targets = pad_sequences([t[1:] for t in streams.tokens], max_len, value=IGNORE)
    times = pad_sequences([t[1:] for t in streams.times], max_len, value=np.datetime64("NaT"),
                          dtype="datetime64[ns]")
    fresh = pad_sequences([f[1:] for f in streams.new_session], max_len, value=False, dtype=bool)
    return NextTokenArrays(inputs, targets, times, fresh)


def split_time(sessions: pd.DataFrame, test_fraction: float = 0.2) -> pd.Timestamp:
    """The cutoff time: sessions that start at or after it (the last `test_fraction` of them) are the test period.

    Splitting by time keeps the future out of training, as in a shop. Taught in 04_rnn.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    starts = np.sort(sessions.drop_duplicates("session_id")["start"].to_numpy())
    if len(starts) == 0:
        raise ValueError("the sessions table is empty")
    n_test = max(1, int(round(test_fraction * len(starts))))
    return pd.Timestamp(starts[len(starts) - n_test])


class MarkovBaseline:
    """First-order Markov (bigram) baseline: predict the most frequent successor of the current token.

    fit(current, following, n_tokens) counts transitions; predict_proba gives each row's
    successor distribution (the overall one for a token never seen); predict gives its argmax.
    Taught in 04_rnn.
    """

    def fit(self, current, following, n_tokens: int) -> "MarkovBaseline":
        current, following = np.asarray(current, dtype=np.int64), np.asarray(following, dtype=np.int64)
        if current.shape != following.shape:
            raise ValueError(f"current and following differ in shape: {current.shape} vs {following.shape}")
        if current.size and (min(current.min(), following.min()) < 0 or max(current.max(), following.max()) >= n_tokens):
            raise ValueError(f"tokens must lie in 0..{n_tokens - 1}")
        self.counts_ = np.bincount(current * n_tokens + following, minlength=n_tokens**2).reshape(n_tokens, n_tokens)
        self.popular_ = np.bincount(following, minlength=n_tokens)
        return self

    def predict_proba(self, current) -> np.ndarray:
        rows = self.counts_[np.asarray(current, dtype=np.int64)].astype(float)
        unseen = rows.sum(1) == 0
        rows[unseen] = self.popular_
        return rows / rows.sum(1, keepdims=True).clip(min=1)

    def predict(self, current) -> np.ndarray:
        return self.predict_proba(current).argmax(1)


class NextTokenRNN(nn.Module):
    """Embedding -> recurrent layer (rnn, gru or lstm) -> linear: next-token logits at every step.

    forward(inputs [n, L] of token + 1 with PAD = 0, extra [n, L, n_extra] floats or None)
    returns logits [n, L, n_tokens]. `extra` carries per-step side information (e.g. "the next
    view starts a new session"). Because the layer reads left to right, end padding never changes
    the outputs at real steps. Taught in 04_rnn; a GRU4Rec-style recommender in 08_recsys_deep.
    """
    KINDS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}

    def __init__(self, n_tokens: int, embed_dim: int = 16, hidden_size: int = 32, kind: str = "gru",
                 n_extra: int = 0, num_layers: int = 1):
        super().__init__()
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {', '.join(self.KINDS)}, got {kind!r}")
        self.kind, self.n_extra = kind, n_extra
        self.embed = nn.Embedding(n_tokens + 1, embed_dim, padding_idx=PAD)
        self.rnn = self.KINDS[kind](embed_dim + n_extra, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, n_tokens)

    def forward(self, inputs: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        x = self.embed(inputs)
        if self.n_extra:
            if extra is None or extra.shape[:2] != inputs.shape or extra.shape[-1] != self.n_extra:
                raise ValueError(f"this model needs extra features of shape {(*inputs.shape, self.n_extra)}")
            x = torch.cat([x, extra.to(x.dtype)], dim=-1)
        out, _ = self.rnn(x)
        return self.head(out)
