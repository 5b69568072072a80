"""Time one BPR-MF epoch over synthetic implicit feedback: `python -m course_lib.recsys.bench`.

Taught in 08_recsys_deep (section "Scale"). The default is the course's yardstick: 1 M
interactions, d = 64, which must take well under 60 s on 2 CPU cores. Efficiency comes from
three choices: large batches (few Python steps), sparse embedding gradients with `SparseAdam`
(a step touches only the rows in its batch, never the whole table), and negatives drawn by
rejection sampling against sorted interaction keys (no dense user x item mask).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from .deep import DotModel, bpr_loss, positive_keys, sample_negatives


def synthetic_interactions(n_interactions: int, n_users: int, n_items: int, seed: int = 0):
    """(users, items) int64 arrays: users uniform, items Zipf-like popular (as in real shops)."""
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, n_interactions)
    weights = 1.0 / np.arange(1, n_items + 1) ** 0.8
    items = rng.choice(n_items, size=n_interactions, p=weights / weights.sum())
    return users.astype(np.int64), items.astype(np.int64)


def time_bpr_epoch(n_interactions: int = 1_000_000, n_users: int = 100_000, n_items: int = 20_000,
                   dim: int = 64, batch_size: int = 16_384, lr: float = 0.01, seed: int = 0) -> dict:
    """Build the data, then time one BPR epoch (every pair once, one fresh negative each).

    Returns a dict of sizes and seconds (setup, epoch) and the mean loss of the epoch.
    Taught in 08_recsys_deep.
    """
    for name, v in (("n_interactions", n_interactions), ("n_users", n_users), ("n_items", n_items),
                    ("dim", dim), ("batch_size", batch_size)):
        if v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v}")
    t0 = time.perf_counter()
    users, items = synthetic_interactions(n_interactions, n_users, n_items, seed)
    keys = positive_keys(users, items, n_items)
    u_all, i_all = keys // n_items, keys % n_items
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = DotModel(n_users, n_items, dim, sparse=True)
    opt = torch.optim.SparseAdam(model.parameters(), lr=lr)
    setup_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    total = 0.0
    for idx in torch.randperm(len(keys), generator=gen).split(batch_size):
        u, i = u_all[idx], i_all[idx]
        j = sample_negatives(u, keys, n_items, gen)
        loss = bpr_loss(model(u, i), model(u, j))
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    epoch_s = time.perf_counter() - t0
    table_mb = (n_users + 2 * n_items) * dim * 4 / 2**20
    return {"interactions": n_interactions, "unique_pairs": len(keys), "users": n_users, "items": n_items,
            "dim": dim, "batch_size": batch_size, "threads": torch.get_num_threads(),
            "setup_seconds": round(setup_s, 2), "epoch_seconds": round(epoch_s, 2),
            "pairs_per_second": round(len(keys) / epoch_s), "mean_loss": round(total / len(keys), 4),
            "embedding_tables_MiB": round(table_mb, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_lib.recsys.bench", description=__doc__.splitlines()[0])
    p.add_argument("--interactions", type=int, default=1_000_000)
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--items", type=int, default=20_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=16_384)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: sparse steps are small, extra threads mostly wait)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    try:
        result = time_bpr_epoch(args.interactions, args.users, args.items, args.dim, args.batch_size, seed=args.seed)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    print(f"one BPR-MF epoch over {result['unique_pairs']:,} pairs (d={args.dim}): "
          f"{result['epoch_seconds']:.1f} s on {result['threads']} thread(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
