"""The shop world: determinism, CLI, schemas, and the properties its data cards promise."""
from __future__ import annotations

import json
import sys
import types

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from course_lib.cli import main
from course_lib.shop import CATEGORIES, TABLES, load_world
from course_lib.types import RATINGS_COLUMNS, SALES_COLUMNS


pytestmark = pytest.mark.usefixtures("private_cache")   # never the user's cache (conftest)


# --- inputs and determinism -------------------------------------------------------------------
@pytest.mark.parametrize("size, seed, message", [
    ("huge", 0, "choose one of tiny, small, large"),
    ("tiny", -1, "non-negative integer"),
    ("tiny", 1.5, "non-negative integer"),
    ("tiny", True, "non-negative integer"),
])
def test_bad_inputs_give_clear_errors(size, seed, message):
    with pytest.raises(ValueError, match=message):
        load_world(size, seed)


def test_cli_bad_size_is_one_line_error(capsys):
    assert main(["world", "describe", "--size", "huge"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "tiny, small, large" in err and "\n" not in err


def test_export_is_byte_identical_for_a_seed_and_differs_across_seeds(tmp_path, monkeypatch, capsys):
    # First export builds cold in one cache; the second reads another cache filled separately.
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache_a"))
    assert main(["world", "export", "--size", "tiny", "--seed", "3", str(tmp_path / "a")]) == 0
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache_b"))
    load_world("tiny", 3)   # fill cache b, so the export below reads from the cache
    assert main(["world", "export", "--size", "tiny", "--seed", "3", str(tmp_path / "b")]) == 0
    assert main(["world", "export", "--size", "tiny", "--seed", "4", str(tmp_path / "c")]) == 0
    capsys.readouterr()
    for name in TABLES:
        a = (tmp_path / "a" / f"{name}.csv").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.csv").read_bytes(), name
        assert a != (tmp_path / "c" / f"{name}.csv").read_bytes(), name
    assert pd.read_csv(tmp_path / "a" / "ratings.csv").columns.tolist() == RATINGS_COLUMNS


def test_export_into_a_file_is_a_clear_error(tmp_path, capsys):
    target = tmp_path / "not_a_dir"
    target.write_text("keep me")
    assert main(["world", "export", "--size", "tiny", str(target)]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert target.read_text() == "keep me"


def test_describe_prints_only_one_json_object(capsys):
    assert main(["world", "describe", "--size", "tiny", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    info = json.loads(out)
    assert out.strip().count("\n") == 0
    for key in ("n_users", "n_items", "n_interactions", "sparsity", "build_seconds"):
        assert key in info
    assert info["n_items"] == 300 and info["n_users"] == 300


# --- schemas ----------------------------------------------------------------------------------
def test_schemas(world):
    p = world.products
    assert p["product_id"].tolist() == list(range(len(p)))
    assert set(p["category"]) == set(range(10))
    assert (p["category_name"] == np.array(CATEGORIES)[p["category"]]).all()
    assert (p["base_price"] > 0).all() and p["title"].str.len().min() > 10
    assert list(world.ratings.columns) == RATINGS_COLUMNS
    assert world.ratings["rating"].between(1, 5).all() and world.ratings["rating"].dtype == np.int64
    assert pd.api.types.is_datetime64_dtype(world.ratings["timestamp"])
    assert set(SALES_COLUMNS + ["category", "competitor_price", "promo", "holiday", "in_stock",
                                "expected_units", "noise_sd"]) <= set(world.sales.columns)
    assert set(world.interactions["event"]) == {"view", "cart", "purchase"}
    hidden = {"cat_pref", "price_sensitivity", "activity"}
    assert not hidden & set(world.customers.columns) and hidden <= set(world.user_truth)
    # Sessions are ordered: positions 0..k-1 with increasing time.
    s = world.sessions
    assert (s.groupby("session_id")["position"].transform(lambda x: x.to_numpy() - np.arange(len(x))) == 0).all()
    assert (s.groupby("session_id")["timestamp"].diff().dropna() > pd.Timedelta(0)).all()


def test_sparsity(world):
    assert world.describe()["sparsity"] >= 0.95


# --- sales ------------------------------------------------------------------------------------
def _acf(u, lag):
    return np.corrcoef(u[:-lag], u[lag:])[0, 1]


def test_sales_seasonality_weekly_and_yearly(world):
    cs = world.category_sales
    for c in (CATEGORIES.index("Coat"), CATEGORIES.index("Sandal")):
        units = cs.loc[cs["category"] == c, "units"].to_numpy(float)
        assert len(units) == 730
        assert _acf(units, 364) > 0.3                                  # the same season a year later
        log_units = np.log1p(units)
        wiggle = log_units - pd.Series(log_units).rolling(7, center=True, min_periods=1).mean().to_numpy()
        assert _acf(wiggle, 7) > 0.2 and _acf(wiggle, 3) < 0            # the weekly rhythm


def test_price_elasticity_is_negative_and_noise_matches(world):
    s = world.sales[world.sales["in_stock"]]
    log_price = np.log(s["price"] / world.products["base_price"].to_numpy()[s["product_id"]])
    log_units = np.log(s["units"] + 0.5)
    demean = lambda v: v - v.groupby(s["product_id"]).transform("mean")
    slope = (demean(log_price) * demean(log_units)).sum() / (demean(log_price) ** 2).sum()
    assert slope < -0.5
    assert (world.sales.loc[~world.sales["in_stock"], "units"] == 0).all()   # stock-outs censor sales
    resid_sd = np.std(s["units"] - s["expected_units"])
    assert resid_sd == pytest.approx(world.sales_noise["rmse_floor"], rel=0.15)
    holidays = set(world.sales.loc[world.sales["holiday"] != "", "date"].dt.strftime("%Y-%m-%d"))
    assert {"2023-11-24", "2024-11-29", "2024-11-11", "2024-06-18"} <= holidays


# --- recommender truth and learnable signal ---------------------------------------------------
def _last_views(world):
    s = world.sessions.sort_values(["user_id", "timestamp"], kind="stable")
    last = s.groupby("user_id").tail(1)
    return s.drop(last.index), last


def test_next_item_probs_is_an_oracle_that_beats_popularity(world):
    train, last = _last_views(world)
    users = last["user_id"].to_numpy()
    probs = world.next_item_probs(users, before=last["timestamp"].to_numpy())
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-9)
    np.testing.assert_allclose(world.next_item_probs(users).sum(1), 1.0, atol=1e-9)
    popularity = np.bincount(train["item_id"], minlength=len(world.products)).astype(float)
    truth = last["item_id"].to_numpy()
    oracle_ll = np.log(probs[np.arange(len(users)), truth]).mean()
    pop_ll = np.log((popularity[truth] + 1) / (popularity + 1).sum()).mean()
    assert oracle_ll > pop_ll + 0.3
    hit = lambda scores: np.mean([t in np.argsort(-row)[:10] for row, t in zip(scores, truth)])
    assert hit(probs) > hit(np.tile(popularity, (len(users), 1))) + 0.1


def test_next_item_probs_is_the_generators_distribution(world):
    """Observed views are as likely under the oracle as its own entropy predicts (it is calibrated)."""
    s = world.sessions
    probs = world.next_item_probs(s["user_id"].to_numpy(), before=s["timestamp"].to_numpy())
    observed = np.log(probs[np.arange(len(s)), s["item_id"].to_numpy()]).mean()
    expected = (probs * np.log(np.where(probs > 0, probs, 1))).sum(1).mean()
    assert observed == pytest.approx(expected, abs=0.15)


def test_next_item_probs_rejects_bad_users(world):
    with pytest.raises(ValueError, match="user ids"):
        world.next_item_probs([len(world.customers)])


def test_ratings_follow_true_preferences(world):
    r = world.ratings
    scores = world.preference_scores()[r["user_id"], r["item_id"]]
    assert np.corrcoef(r["rating"], scores)[0, 1] > 0.4


def test_sessions_predict_the_next_category(world):
    """A first-order transition table beats always guessing the most common category by 20 points."""
    cat = world.products["category"].to_numpy()
    s = world.sessions.sort_values(["session_id", "position"])
    prev = s.groupby("session_id")["item_id"].shift(1)
    keep = prev.notna().to_numpy()
    prev_cat, next_cat = cat[prev[keep].astype(int)], cat[s["item_id"].to_numpy()[keep]]
    fit = s["session_id"].to_numpy()[keep] % 2 == 0
    table = np.zeros((10, 10))
    np.add.at(table, (prev_cat[fit], next_cat[fit]), 1)
    accuracy = np.mean(table.argmax(1)[prev_cat[~fit]] == next_cat[~fit])
    majority = np.mean(next_cat[~fit] == np.bincount(next_cat[fit]).argmax())
    assert accuracy > majority + 0.2


def test_purchases_are_predictable_from_visible_data(world):
    """Logistic regression on what a shop sees beats chance (AUC 0.5) by a clear margin."""
    views = world.interactions[world.interactions["event"] == "view"]
    bought = world.interactions[world.interactions["event"] == "purchase"][["session_id", "item_id"]]
    views = views.merge(bought.drop_duplicates().assign(y=1), how="left", on=["session_id", "item_id"])
    p = world.products
    cat = p["category"].to_numpy()[views["item_id"]]
    # The customer's share of their views in this category (their taste, as the shop can see it).
    counts = pd.crosstab(views["user_id"], cat).reindex(columns=range(10), fill_value=0).to_numpy()
    share = (counts[views["user_id"], cat] - 1) / np.maximum(counts[views["user_id"]].sum(1) - 1, 1)
    rel_price = np.log(p["base_price"].to_numpy() / p.groupby("category")["base_price"].transform("median").to_numpy())
    bargain = (world.customers["segment"].to_numpy()[views["user_id"]] == "bargain hunter")
    x = np.column_stack([share, rel_price[views["item_id"]], bargain * rel_price[views["item_id"]]])
    y = views["y"].fillna(0).to_numpy()
    train = views["user_id"].to_numpy() % 2 == 0
    model = LogisticRegression().fit(x[train], y[train])
    assert roc_auc_score(y[~train], model.predict_proba(x[~train])[:, 1]) > 0.6


# --- images -----------------------------------------------------------------------------------
def test_images_shape_labels_and_split(world):
    imgs = world.images()
    assert imgs.x_train.dtype == np.uint8 and imgs.x_train.shape[1:] == (28, 28)
    assert imgs.class_names == CATEGORIES
    cat = world.products["category"].to_numpy()
    assert (imgs.y_train == cat[imgs.extra["product_id_train"]]).all()
    assert (imgs.y_test == cat[imgs.extra["product_id_test"]]).all()
    assert not set(imgs.extra["product_id_train"]) & set(imgs.extra["product_id_test"])
    assert imgs.extra["unlabeled"].dtype == np.uint8 and len(imgs.extra["unlabeled"]) == 200
    assert len(imgs.y_train) + len(imgs.y_test) == 300 * 4
    np.testing.assert_array_equal(imgs.x_test, world.images().x_test)     # cached and deterministic


def test_images_are_learnable_but_not_trivial(world):
    imgs = world.images()
    flat = lambda x: x.reshape(len(x), -1) / 255.0
    model = LogisticRegression(max_iter=200).fit(flat(imgs.x_train), imgs.y_train)
    accuracy = model.score(flat(imgs.x_test), imgs.y_test)
    assert 0.4 < accuracy < 0.95


@pytest.mark.slow
def test_cnn_beats_logistic_regression_on_product_images():
    """The calibration promise: a small CNN clearly beats multinomial logistic regression."""
    import torch
    from torch import nn
    from course_lib.shop.images import make_images
    from course_lib.shop.catalog import make_catalog
    products, item = make_catalog(600, 0)
    a = make_images(products["category"].to_numpy(), item["style_index"], item["shade"],
                    item["pattern_index"], 15, 0, seed=0)
    xtr, ytr, xte, yte = a["x_train"] / 255.0, a["y_train"], a["x_test"] / 255.0, a["y_test"]
    lr = LogisticRegression(max_iter=150).fit(xtr.reshape(len(xtr), -1), ytr)
    lr_acc = lr.score(xte.reshape(len(xte), -1), yte)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(32 * 49, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    x, y = torch.tensor(xtr, dtype=torch.float32)[:, None], torch.tensor(ytr)
    for _ in range(5):
        for idx in torch.randperm(len(x)).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    with torch.no_grad():
        cnn_acc = (net(torch.tensor(xte, dtype=torch.float32)[:, None]).argmax(1).numpy() == yte).mean()
    print(f"logistic regression {lr_acc:.3f}, CNN {cnn_acc:.3f}")
    assert 0.6 < lr_acc < 0.9
    assert cnn_acc > lr_acc + 0.04


# --- other media: delegated to the voice and dialogue generators ------------------------------
def _fake_module(monkeypatch, name, **funcs):
    module = types.ModuleType(name)
    module.__dict__.update(funcs)
    monkeypatch.setitem(sys.modules, name, module)


def test_voice_and_dialogue_are_delegated(world, monkeypatch):
    calls = {}
    _fake_module(monkeypatch, "course_lib.shop.voice",
                 make_voice_commands=lambda size, seed: calls.setdefault("voice", (size, seed)))
    _fake_module(monkeypatch, "course_lib.shop.dialogue",
                 make_dialogue=lambda products, size, seed: calls.setdefault("dialogue", (len(products), size, seed)))
    assert world.voice_commands() == ("tiny", 0)
    assert world.dialogue() == (300, "tiny", 0)


def test_data_command_reports_each_part(monkeypatch, capsys):
    _fake_module(monkeypatch, "course_lib.shop.voice", make_voice_commands=lambda size, seed: None)
    _fake_module(monkeypatch, "course_lib.shop.dialogue", make_dialogue=lambda products, size, seed: None)
    assert main(["data", "--size", "tiny"]) == 0
    out = capsys.readouterr().out
    for part in ("tables", "images", "voice_commands", "dialogue"):
        assert part in out
