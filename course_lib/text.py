"""Text to token ids: a regex tokenizer, a vocabulary, and padded batches.

Taught in 05_attention (a tiny transformer reads shop messages); chapter 12 reuses it.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

import torch

# A word (inner apostrophes, hyphens, dots, slashes kept: "don't", "crew-neck", "03/14"),
# optionally after '#' (order ids), or a single punctuation mark.
TOKEN_RE = re.compile(r"#?\w+(?:['’./-]\w+)*|[^\w\s]")
PAD, UNK = "<pad>", "<unk>"


def tokenize(text: str, lower: bool = True) -> list[str]:
    """Split `text` into words and punctuation marks, lower-cased by default.

    >>> tokenize("Where's order #A123?")
    ["where's", 'order', '#a123', '?']

    Taught in 05_attention.
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize needs a str, got {type(text).__name__}")
    return TOKEN_RE.findall(text.lower() if lower else text)


class Vocab:
    """Token <-> id. Id 0 is padding (`<pad>`), id 1 stands for any unknown token (`<unk>`).

    Build it from training texts only, so test words the model never saw map to `<unk>`.
    Tokens are ordered by frequency (ties alphabetically), so the same texts give the same ids.
    Taught in 05_attention.
    """

    pad_id, unk_id = 0, 1

    def __init__(self, token_lists: Iterable[list[str]], min_freq: int = 1, max_size: int | None = None):
        if min_freq < 1:
            raise ValueError(f"min_freq must be at least 1, got {min_freq}")
        counts = Counter(tok for tokens in token_lists for tok in tokens)
        kept = sorted((t for t, c in counts.items() if c >= min_freq and t not in (PAD, UNK)),
                      key=lambda t: (-counts[t], t))
        self.itos = [PAD, UNK] + kept[:max_size]
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.counts = counts

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: list[str]) -> list[int]:
        """Ids of `tokens`; unknown tokens get `unk_id`."""
        return [self.stoi.get(t, self.unk_id) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of `ids`, padding dropped."""
        return [self.itos[i] for i in ids if i != self.pad_id]


def encode_batch(texts: Iterable[str], vocab: Vocab, max_len: int | None = None) -> torch.Tensor:
    """Token ids [n, L] (int64), padded with `vocab.pad_id` on the right, cut at `max_len`.

    L is the longest text's length (at most `max_len`). Taught in 05_attention.
    """
    ids = [vocab.encode(tokenize(t))[:max_len] for t in texts]
    if not ids:
        raise ValueError("encode_batch needs at least one text")
    width = max(1, max(map(len, ids)))
    out = torch.full((len(ids), width), vocab.pad_id, dtype=torch.long)
    for row, seq in enumerate(ids):
        out[row, :len(seq)] = torch.tensor(seq, dtype=torch.long)
    return out
