"""Deep recommenders (course_lib.recsys.deep), the bench, and chapter 08's MovieLens path on fake files."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn import functional as F

from course_lib.recsys import deep as D
from course_lib.recsys import protocol as P
from course_lib.shop import load_world


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def world():
    return load_world("tiny", 0)


@pytest.fixture(scope="module")
def split(world):
    return P.leave_last_out(world)


def structured_ratings(n_users=60, n_items=50, per_user=20, seed=0) -> pd.DataFrame:
    """Ratings with real structure (biases + two taste clusters), so a model can learn them."""
    rng = np.random.default_rng(seed)
    taste = rng.integers(0, 2, n_users)
    kind = rng.integers(0, 2, n_items)
    item_bias = rng.normal(0, 0.7, n_items)
    rows = []
    for u in range(n_users):
        for i in rng.choice(n_items, per_user, replace=False):
            r = 3 + item_bias[i] + (1.2 if taste[u] == kind[i] else -1.2) + rng.normal(0, 0.3)
            rows.append((u, int(i), int(np.clip(round(r), 1, 5)), 880_000_000 + len(rows)))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


# --- matrix factorization -----------------------------------------------------------------------
def test_mf_forward_is_the_formula():
    m = D.MatrixFactorization(4, 5, dim=3, mean=3.0)
    with torch.no_grad():
        m.user_bias.weight.normal_()
        m.item_bias.weight.normal_()
    u, i = torch.tensor([0, 3, 2]), torch.tensor([4, 0, 2])
    expected = 3.0 + m.user_bias.weight[u, 0] + m.item_bias.weight[i, 0] + (m.user.weight[u] * m.item.weight[i]).sum(1)
    torch.testing.assert_close(m(u, i), expected)


def test_mf_learns_structured_ratings_and_beats_the_mean():
    r = structured_ratings()
    train, test = P.random_split_per_user(r, 0.25, seed=0)
    model, hist = D.fit_ratings(train, 60, 50, dim=4, epochs=40, lr=0.03, weight_decay=0.02, val=test)
    mean_rmse = math.sqrt(((test.rating - train.rating.mean()) ** 2).mean())
    assert hist["train_rmse"][-1] < hist["train_rmse"][0]
    assert D.rmse(model, test) < 0.8 * mean_rmse
    assert hist["val_rmse"][-1] == pytest.approx(D.rmse(model, test))


def test_fit_ratings_is_reproducible_and_validates():
    r = structured_ratings(n_users=10, n_items=10, per_user=5)
    a, _ = D.fit_ratings(r, 10, 10, dim=2, epochs=2, seed=3)
    b, _ = D.fit_ratings(r, 10, 10, dim=2, epochs=2, seed=3)
    torch.testing.assert_close(a.user.weight, b.user.weight)
    with pytest.raises(ValueError, match="item ids"):
        D.fit_ratings(r, 10, 5, epochs=1)
    with pytest.raises(ValueError, match="lack column"):
        D.fit_ratings(r.drop(columns="rating"), 10, 10)
    with pytest.raises(ValueError, match="epochs"):
        D.fit_ratings(r, 10, 10, epochs=0)


# --- BPR ------------------------------------------------------------------------------------------
def test_bpr_loss_is_stable_softplus():
    pos = torch.tensor([100.0, -100.0, 0.5], dtype=torch.float64)
    neg = torch.tensor([-100.0, 100.0, 0.0], dtype=torch.float64)
    out = D.bpr_loss(pos, neg)
    assert torch.isfinite(out)
    torch.testing.assert_close(out, F.softplus(neg - pos).mean())


def test_bpr_gradient_matches_numerical():
    pos = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    neg = torch.tensor([0.1, 0.9], dtype=torch.float64)
    D.bpr_loss(pos, neg).backward()
    h = 1e-6
    num = [(D.bpr_loss(pos.detach() + h * e, neg) - D.bpr_loss(pos.detach() - h * e, neg)) / (2 * h)
           for e in torch.eye(2, dtype=torch.float64)]
    torch.testing.assert_close(pos.grad, torch.stack(num), atol=1e-8, rtol=1e-6)


def test_sample_negatives_never_returns_a_positive():
    g = torch.Generator().manual_seed(0)
    users = torch.arange(5).repeat(200)
    items = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8])               # user 0 has seen 9 of 10 items
    keys = D.positive_keys(torch.zeros(9, dtype=torch.long), items, 10)
    keys = torch.unique(torch.cat([keys, D.positive_keys([1, 1], [3, 4], 10)]))
    neg = D.sample_negatives(users, keys, 10, g)
    assert not torch.isin(users * 10 + neg, keys).any()
    assert set(neg[users == 0].tolist()) == {9}
    assert len(set(neg[users == 2].tolist())) == 10                  # no positives: every item can come out
    full = D.positive_keys([0] * 10, list(range(10)), 10)
    with pytest.raises(ValueError, match="every item"):
        D.sample_negatives(torch.tensor([0]), full, 10, g)


def test_positive_keys_validates_items():
    with pytest.raises(ValueError, match="item ids"):
        D.positive_keys([0], [10], 10)


def test_bpr_beats_popularity_on_the_tiny_world(split):
    tr = split.train
    model, hist = D.fit_bpr(tr.user_id, tr.item_id, split.n_users, split.n_items, dim=16, epochs=15, lr=0.02)
    assert hist["train_loss"][-1] < 0.85 * math.log(2)
    assert model.score_all([0, 1]).shape == (2, split.n_items)
    bpr = P.evaluate(model.score_all, split, "val")
    pop = P.evaluate(P.popularity_scores(split), split, "val")
    assert bpr["coverage"] > pop["coverage"]
    assert bpr["mrr"] > 0


def test_dense_and_sparse_bpr_share_the_model(split):
    tr = split.train.head(300)
    for sparse in (True, False):
        model, hist = D.fit_bpr(tr.user_id, tr.item_id, split.n_users, split.n_items, dim=4, epochs=1, sparse=sparse)
        assert model.user.sparse is sparse and math.isfinite(hist["train_loss"][0])


# --- two-tower ------------------------------------------------------------------------------------
def test_two_tower_scores_are_dot_products_and_it_learns(split):
    X = split.train_matrix()
    feats = torch.rand(split.n_items, 5, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    tower = D.TwoTower(split.n_users, split.n_items, X, feats, dim=8, hidden=16)
    hist = D.fit_two_tower(tower, split.train.user_id, split.train.item_id, epochs=3, seed=0)
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    users = np.array([0, 5])
    with torch.no_grad():
        expected = tower.user_vectors(torch.as_tensor(users)) @ tower.item_vectors().T
        pair = tower(torch.tensor([5]), torch.tensor([7]))
    torch.testing.assert_close(tower.score_all(users), expected)
    torch.testing.assert_close(pair, expected[1, 7:8])


# --- sequences ------------------------------------------------------------------------------------
def test_sequences_pad_left_and_flag_sessions():
    t0 = pd.Timestamp("2024-01-01 10:00")
    events = pd.DataFrame({"user_id": [1, 1, 1, 1, 0], "item_id": [5, 6, 7, 8, 2],
                           "timestamp": [t0, t0 + pd.Timedelta("5min"), t0 + pd.Timedelta("2h"),
                                         t0 + pd.Timedelta("2h5min"), t0],
                           "event": ["view", "view", "view", "cart", "view"]})
    s = D.sequences(events, n_users=3, max_len=4)
    assert s.tokens.tolist() == [[0, 0, 0, 3], [0, 6, 7, 8], [0, 0, 0, 0]]   # the cart row is dropped
    assert s.new_session[1].tolist() == [False, True, False, True]
    assert s.last_items().tolist() == [2, 7, -1]
    short = D.sequences(events, n_users=3, max_len=2)
    assert short.tokens[1].tolist() == [7, 8]


@pytest.mark.parametrize("make", [lambda n: D.GRU4Rec(n, dim=16, context=4), lambda n: D.SASRec(n, dim=16, context=4, layers=1)])
def test_sequence_models_learn_a_deterministic_chain(make):
    # Every user walks the cycle 0 -> 1 -> ... -> 9 -> 0; the next item is fully predictable.
    n_items, n_users, length = 10, 40, 30
    rows = []
    t0 = pd.Timestamp("2024-01-01")
    for u in range(n_users):
        for k in range(length):
            rows.append((u, (u + k) % n_items, t0 + pd.Timedelta(minutes=k)))
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    seqs = D.sequences(events, n_users, max_len=length, event=None)
    torch.manual_seed(0)
    model = make(n_items)
    hist = D.fit_next_item(model, seqs, epochs=30, lr=1e-2, batch_size=64)
    assert hist["train_loss"][-1] < 0.3 * math.log(n_items)
    scores = model.score_next(seqs.tokens, torch.zeros(n_users, dtype=torch.bool))
    expected_next = (seqs.last_items() + 1) % n_items
    assert (scores.argmax(1).numpy() == expected_next).mean() > 0.9


def test_sasrec_is_causal():
    torch.manual_seed(0)
    model = D.SASRec(20, dim=8, context=5, layers=1, dropout=0.0).eval()
    a = torch.tensor([[1, 2, 3, 4, 5]])
    b = torch.tensor([[1, 2, 3, 9, 9]])
    flags = torch.zeros_like(a, dtype=torch.bool)
    with torch.no_grad():
        torch.testing.assert_close(model(a, flags)[:, :3], model(b, flags)[:, :3])


# --- the next-view mixture ---------------------------------------------------------------------------
def test_next_view_pairs_and_previous_in_session_follow_the_clock():
    t0 = pd.Timestamp("2024-01-01 10:00")
    ev = pd.DataFrame({"user_id": [0, 0, 0, 1, 1, 0], "item_id": [3, 4, 5, 7, 8, 9], "event": ["view"] * 5 + ["cart"],
                       "timestamp": [t0, t0 + pd.Timedelta("5min"), t0 + pd.Timedelta("2h"), t0, t0 + pd.Timedelta("29min"),
                                     t0 + pd.Timedelta("6min")]})
    users, prev, items = D.next_view_pairs(ev)
    np.testing.assert_array_equal(users, [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(prev, [-1, 3, -1, -1, 7])      # 2 h later: a new session; carts ignored
    np.testing.assert_array_equal(items, [3, 4, 5, 7, 8])
    held = pd.DataFrame({"user_id": [0, 1], "timestamp": [t0 + pd.Timedelta("2h10min"), t0 + pd.Timedelta("3h")]})
    np.testing.assert_array_equal(D.previous_in_session(ev, held), [5, -1])


def test_mixture_is_a_distribution_and_new_sessions_use_taste_only():
    torch.manual_seed(0)
    m = D.NextViewMixture(5, 12, dim=4, item_features=np.eye(12, 3, dtype=np.float32))
    logp = m(torch.tensor([0, 1, 2]), torch.tensor([-1, 3, 3]))
    torch.testing.assert_close(logp.exp().sum(1), torch.ones(3))
    q, c, *_ = m.item_tables()
    torch.testing.assert_close(logp[0], torch.log_softmax(m.user.weight[0] @ q.T + c, -1))
    with pytest.raises(ValueError, match="rows"):
        D.NextViewMixture(5, 12, item_features=np.zeros((11, 3)))


def test_mixture_transition_is_a_sharpened_cosine_that_never_repeats_the_last_item():
    torch.manual_seed(0)
    m = D.NextViewMixture(5, 12, dim=4, item_features=np.eye(12, 3, dtype=np.float32), direction_dim=2)
    with torch.no_grad():
        m.log_scale.fill_(math.log(3.0))
        m.mix_logit.fill_(0.4)
    users, prev = torch.tensor([0, 1]), torch.tensor([3, 7])
    q, c, g, e, f, b = m.item_tables()
    torch.testing.assert_close(g.norm(dim=1), torch.ones(12))
    logits = 3.0 * F.cosine_similarity(g[prev][:, None], g[None], dim=-1) + e[prev] @ f.T + b
    logits[torch.arange(2), prev] = -torch.inf
    w = torch.sigmoid(torch.tensor(0.4))
    taste = torch.softmax(m.user(users) @ q.T + c, -1)
    expected = w * torch.softmax(logits, -1) + (1 - w) * taste
    torch.testing.assert_close(m(users, prev).exp(), expected)
    torch.testing.assert_close(m(users, prev).exp()[torch.arange(2), prev], (1 - w) * taste[torch.arange(2), prev])
    assert m.scale == pytest.approx(3.0)
    taste_rows, transitions = m.components(users)
    torch.testing.assert_close(taste_rows, taste)
    torch.testing.assert_close(w * transitions[prev] + (1 - w) * taste_rows, expected)
    assert (transitions.diagonal() == 0).all()
    with pytest.raises(ValueError, match="direction_dim"):
        D.NextViewMixture(5, 12, direction_dim=0)


def planted_mixture(n_users=120, n_items=40, n_sessions=12, length=6, w=0.6, seed=0):
    """Views drawn from a known mixture: i -> i + 1 (mod n) with probability w within a session,
    else from the user's taste (one of two halves of the catalogue)."""
    rng = np.random.default_rng(seed)
    half = rng.integers(0, 2, n_users)
    rows, t = [], pd.Timestamp("2024-01-01")
    for u in range(n_users):
        for s in range(n_sessions):
            start = t + pd.Timedelta(days=s)
            item = -1
            for k in range(length):
                if item >= 0 and rng.random() < w:
                    item = (item + 1) % n_items
                else:
                    item = int(half[u] * n_items // 2 + rng.integers(n_items // 2))
                rows.append((u, item, start + pd.Timedelta(minutes=k)))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]), half


def test_mixture_recovers_a_planted_mixture_better_than_popularity():
    events, half = planted_mixture()
    train, test = events.iloc[:-2000], events.iloc[-2000:]
    users, prev, items = D.next_view_pairs(train, event=None)
    torch.manual_seed(0)
    model = D.NextViewMixture(120, 40, dim=8)
    history = D.fit_mixture(model, users, prev, items, epochs=8, lr=2e-2, batch_size=128, seed=0)
    assert history["train_nll"][-1] < history["train_nll"][0]
    assert abs(model.weight - 0.6) < 0.15, f"learned mixture weight {model.weight:.2f}, planted 0.6"
    tu, tp, ti = D.next_view_pairs(events, event=None)
    tu, tp, ti = tu[-2000:], tp[-2000:], ti[-2000:]
    nll = F.nll_loss(model.score_next(tu, tp), torch.as_tensor(ti)).item()
    pop = np.bincount(items, minlength=40) + 1.0
    pop_nll = float(-np.log(pop / pop.sum())[ti].mean())
    assert nll < pop_nll - 0.5, f"mixture NLL {nll:.3f} vs popularity {pop_nll:.3f}"
    cont = tp >= 0                                        # within a session, item + 1 comes first
    top = model.score_next(tu[cont], tp[cont]).argmax(1).numpy()
    assert (top == (tp[cont] + 1) % 40).mean() > 0.9


def test_fit_mixture_is_reproducible_and_validates():
    events, _ = planted_mixture(n_users=20, n_sessions=3)
    u, l, i = D.next_view_pairs(events, event=None)
    runs = []
    for _ in range(2):
        torch.manual_seed(1)
        m = D.NextViewMixture(20, 40, dim=4)
        runs.append(D.fit_mixture(m, u, l, i, epochs=2, seed=3)["train_nll"])
    assert runs[0] == runs[1]
    with pytest.raises(ValueError, match="equally long"):
        D.fit_mixture(D.NextViewMixture(20, 40), u, l[:-1], i)
    with pytest.raises(ValueError, match="epochs"):
        D.fit_mixture(D.NextViewMixture(20, 40), u, l, i, epochs=0)


# --- cold start, bias, rules ------------------------------------------------------------------------
def test_content_to_embedding_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(200, 6)), rng.normal(size=(6, 3))
    mapper = D.content_to_embedding(X[:150], X[:150] @ W, alpha=1e-6)
    np.testing.assert_allclose(mapper.predict(X[150:]), X[150:] @ W, atol=1e-4)


def test_top_share_counts_head_slots():
    popularity = np.array([10, 9, 1, 1, 1, 1, 1, 1, 1, 1.0])       # top 10 % = item 0
    assert D.top_share(np.array([[0, 1], [0, 5], [-1, 3]]), popularity, 0.1) == pytest.approx(2 / 5)
    with pytest.raises(ValueError):
        D.top_share(np.array([[0]]), popularity, 0)


def test_rerank_applies_every_rule():
    allowed = np.array([True, True, False, True, True, True])
    category = np.array([0, 0, 1, 0, 1, 2])
    out = D.rerank(np.array([0, 1, 2, 3, 4, 5]), np.array([6, 5, 4, 3, 2, 1.0]), allowed, category, k=4, max_per_category=2)
    assert out.tolist() == [0, 1, 4, 5]                               # 2 not allowed, 3 a third of category 0
    # scores re-sort the candidates
    out = D.rerank(np.array([0, 1, 3]), np.array([1.0, 2.0, 3.0]), allowed, category, k=2)
    assert out.tolist() == [3, 1]


# --- the bench ----------------------------------------------------------------------------------------
def test_bench_runs_small(capsys):
    from course_lib.recsys import bench

    assert bench.main(["--interactions", "5000", "--users", "300", "--items", "200", "--dim", "8",
                       "--batch-size", "1024"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["unique_pairs"] <= 5000 and out["epoch_seconds"] >= 0 and 0 < out["mean_loss"] < 1
    assert bench.main(["--interactions", "0"]) == 2


# --- chapter 08 on MovieLens 100K, with fake files in the official format ------------------------------
def fake_movielens(folder):
    """u.data, u.item, u.user, u1.base, u1.test with learnable structure (not the real data)."""
    from test_datasets_fakes import write_ml_zip

    r = structured_ratings(n_users=50, n_items=60, per_user=24, seed=1)
    r["user_id"] += 1                                                  # MovieLens ids start at 1
    r["item_id"] += 1
    tsv = lambda f: "".join(f"{a}\t{b}\t{c}\t{d}\n" for a, b, c, d in f.itertuples(index=False)).encode()
    base, test = r.iloc[: int(0.8 * len(r))], r.iloc[int(0.8 * len(r)):]
    items = "".join(f"{i}|Movie {i} (1995)|01-Jan-1995||http://x/{i}|" + "|".join("1" if g == i % 19 else "0" for g in range(19)) + "\n"
                    for i in range(1, 61)).encode("latin-1")
    users = "".join(f"{u}|30|M|other|12345\n" for u in range(1, 51)).encode()
    return write_ml_zip(folder / "ml-100k.zip", {"u.data": tsv(r), "u.item": items, "u.user": users,
                                                  "u1.base": tsv(base), "u1.test": tsv(test)})


@pytest.mark.slow
def test_chapter_notebook_runs_on_fake_movielens(tmp_path, monkeypatch):
    import papermill as pm

    from course_lib.paths import repo_root

    zip_path = fake_movielens(tmp_path)
    results = tmp_path / "results"
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(results))
    monkeypatch.setenv("COURSE_THREADS", "1")
    pm.execute_notebook(str(repo_root() / "notebooks" / "08_recsys_deep.ipynb"), str(tmp_path / "out.ipynb"),
                        parameters={"DATASET": "movielens-100k", "DATA_DIR": str(zip_path), "VERIFY": False,
                                    "BPR_EPOCHS": 300},
                        kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    recorded = json.loads((results / "08_recsys_deep.json").read_text())
    for key in ("rmse", "ndcg_at_10", "precision_at_10", "recall_at_10"):
        assert key in recorded and math.isfinite(recorded[key]), key
    assert "oracle_ndcg_at_10" not in recorded                         # shop-only numbers stay on the shop
    assert json.loads((results / "08_recsys_deep.meta.json").read_text())["dataset"] == "movielens-100k"


def test_chapter_notebook_stops_with_one_line_without_files(tmp_path):
    from course_lib.datasets import load
    from course_lib.datasets.errors import DatasetNotFound

    with pytest.raises(DatasetNotFound, match="movielens-100k") as e:
        load("movielens-100k", path=tmp_path)
    assert "\n" not in str(e.value)
