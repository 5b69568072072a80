"""Attention from scratch: scaled dot-product, multi-head, additive; positional encoding; a tiny
transformer encoder classifier.

Taught in 05_attention; chapters 08 (sequence recommenders) and 12 (chatbot) reuse it.

Mask convention (the one of `nn.MultiheadAttention`): a boolean mask is True where attention is
*blocked*: future positions in a causal mask, padding in a key padding mask.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q kᵀ / √d + mask) v for q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv].

    `mask` (bool, broadcastable to [..., Lq, Lk]) is True where a query may NOT look.
    Returns (output [..., Lq, dv], weights [..., Lq, Lk]); each row of weights sums to 1.
    A query whose keys are all blocked gets NaN (there is nothing to average). Taught in 05_attention.
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def causal_mask(n: int, device=None) -> torch.Tensor:
    """[n, n] bool, True above the diagonal: position i may not look at positions after i.

    Taught in 05_attention.
    """
    return torch.ones(n, n, dtype=torch.bool, device=device).triu(1)


def padding_mask(lengths, max_len: int | None = None) -> torch.Tensor:
    """[batch, max_len] bool, True at padding (position >= length). Taught in 05_attention."""
    lengths = torch.as_tensor(lengths)
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device) >= lengths[:, None]


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """[batch, L, d_model] -> [batch, n_heads, L, d_model / n_heads]. Taught in 05_attention."""
    b, n, d = x.shape
    if d % n_heads:
        raise ValueError(f"d_model={d} is not divisible by n_heads={n_heads}")
    return x.view(b, n, n_heads, d // n_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """[batch, n_heads, L, d_head] -> [batch, L, n_heads * d_head] (inverse of split_heads)."""
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


class MultiHeadAttention(nn.Module):
    """Multi-head attention written out: project, split into heads, attend, merge, project.

    Same parameters and semantics as `nn.MultiheadAttention(d_model, n_heads, batch_first=True)`
    (see `copy_from`). forward returns (output [B, Lq, d_model], weights [B, n_heads, Lq, Lk]).
    Taught in 05_attention.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.q_proj, self.k_proj, self.v_proj = (nn.Linear(d_model, d_model) for _ in range(3))
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None):
        """key_padding_mask [B, Lk] (True = padding); attn_mask [Lq, Lk] (True = blocked)."""
        q, k, v = (split_heads(proj(x), self.n_heads) for proj, x in
                   ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        mask = None
        if key_padding_mask is not None:
            mask = key_padding_mask[:, None, None, :]          # broadcast over heads and queries
        if attn_mask is not None:
            mask = attn_mask if mask is None else mask | attn_mask
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if mask is not None:
            scores = scores.masked_fill(mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        out = merge_heads(self.dropout(weights) @ v)
        return self.out_proj(out), weights

    @torch.no_grad()
    def copy_from(self, torch_mha: nn.MultiheadAttention) -> "MultiHeadAttention":
        """Take the weights of an `nn.MultiheadAttention` (which stacks q, k, v in `in_proj_weight`)."""
        if torch_mha.in_proj_weight is None or torch_mha.in_proj_bias is None:
            raise ValueError("copy_from needs an nn.MultiheadAttention with equal q/k/v sizes and bias=True")
        for proj, w, b in zip((self.q_proj, self.k_proj, self.v_proj),
                              torch_mha.in_proj_weight.chunk(3), torch_mha.in_proj_bias.chunk(3)):
            proj.weight.copy_(w)
            proj.bias.copy_(b)
        self.out_proj.weight.copy_(torch_mha.out_proj.weight)
        self.out_proj.bias.copy_(torch_mha.out_proj.bias)
        return self


def sinusoidal_positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """[max_len, d_model]: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same).

    d_model must be even. Taught in 05_attention.
    """
    if d_model % 2:
        raise ValueError(f"d_model must be even for sin/cos pairs, got {d_model}")
    position = torch.arange(max_len, dtype=torch.float32)[:, None]
    frequency = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(position * frequency)
    pe[:, 1::2] = torch.cos(position * frequency)
    return pe


class AdditiveAttention(nn.Module):
    """Bahdanau's additive attention: score(q, h_t) = vᵀ tanh(W_q q + W_h h_t).

    forward(query [B, dq], keys [B, L, dk], key_padding_mask [B, L] or None) returns
    (context [B, dk] = Σ_t α_t h_t, weights α [B, L]). The article's "recurrent attention":
    attention over an RNN's hidden states. Taught in 05_attention.
    """

    def __init__(self, query_dim: int, key_dim: int, hidden: int):
        super().__init__()
        self.w_query = nn.Linear(query_dim, hidden, bias=False)
        self.w_key = nn.Linear(key_dim, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)

    def forward(self, query, keys, key_padding_mask=None):
        scores = self.v(torch.tanh(self.w_query(query)[:, None, :] + self.w_key(keys))).squeeze(-1)
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return (weights[:, :, None] * keys).sum(1), weights


class EncoderLayer(nn.Module):
    """One pre-norm transformer encoder layer: x + MHA(LN(x)), then x + FFN(LN(x)).

    Matches `nn.TransformerEncoderLayer(d_model, n_heads, d_ff, batch_first=True, norm_first=True)`
    with ReLU. Keeps the last attention weights in `self.last_weights` [B, H, L, L] for plotting.
    Taught in 05_attention.
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.1):
        super().__init__()
        self.attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model))
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)
        self.last_weights: torch.Tensor | None = None

    def forward(self, x, key_padding_mask=None, attn_mask=None):
        h = self.norm1(x)
        a, self.last_weights = self.attn(h, h, h, key_padding_mask=key_padding_mask, attn_mask=attn_mask)
        x = x + self.dropout1(a)
        return x + self.dropout2(self.ff(self.norm2(x)))

    @torch.no_grad()
    def copy_from(self, layer: nn.TransformerEncoderLayer) -> "EncoderLayer":
        """Take the weights of an `nn.TransformerEncoderLayer` (for checking this one against it)."""
        self.attn.copy_from(layer.self_attn)
        for mine, theirs in ((self.norm1, layer.norm1), (self.norm2, layer.norm2),
                             (self.ff[0], layer.linear1), (self.ff[3], layer.linear2)):
            mine.load_state_dict(theirs.state_dict())
        return self


class TransformerClassifier(nn.Module):
    """A tiny transformer encoder for sequence classification.

    token ids [B, L] (pad_id marks padding) -> embeddings + sinusoidal positions -> n_layers
    encoder layers -> mean over real tokens -> LayerNorm -> linear -> logits [B, n_classes].
    `attention_maps(tokens)` returns each layer's weights [B, n_heads, L, L]. Taught in 05_attention.
    """

    def __init__(self, vocab_size: int, n_classes: int, d_model: int = 64, n_heads: int = 4,
                 n_layers: int = 2, d_ff: int = 128, max_len: int = 128, dropout: float = 0.1, pad_id: int = 0):
        super().__init__()
        self.pad_id = pad_id
        self.embed = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.register_buffer("positions", sinusoidal_positional_encoding(max_len, d_model), persistent=False)
        self.layers = nn.ModuleList(EncoderLayer(d_model, n_heads, d_ff, dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(d_model, n_classes)
        self.scale = math.sqrt(d_model)

    def encode(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Contextual token vectors [B, L, d_model] and the padding mask [B, L]."""
        if tokens.shape[1] > len(self.positions):
            raise ValueError(f"sequence length {tokens.shape[1]} exceeds max_len={len(self.positions)}")
        pad = tokens == self.pad_id
        # an empty text would block every key (NaN): let it attend to its first position
        pad[:, 0] &= ~pad.all(1)
        x = self.dropout(self.embed(tokens) * self.scale + self.positions[: tokens.shape[1]])
        for layer in self.layers:
            x = layer(x, key_padding_mask=pad)
        return self.norm(x), pad

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        # trailing columns that are padding in every row change nothing: skip their compute
        width = max(1, int((tokens != self.pad_id).sum(1).max())) if tokens.numel() else 1
        x, pad = self.encode(tokens[:, :width] if (tokens[:, width:] == self.pad_id).all() else tokens)
        keep = (~pad).unsqueeze(-1).to(x.dtype)
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1)
        return self.head(pooled)

    @torch.no_grad()
    def attention_maps(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        """Each layer's attention weights [B, n_heads, L, L] for `tokens` (in eval mode)."""
        was_training = self.training
        self.eval()
        self.encode(tokens)
        self.train(was_training)
        return [layer.last_weights for layer in self.layers]
