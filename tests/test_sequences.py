"""Unit tests of course_lib.sequences (taught in 04_rnn)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from course_lib.sequences import (IGNORE, PAD, MarkovBaseline, NextTokenRNN, next_token_arrays, pad_sequences,
                                  split_time, view_streams)


@pytest.fixture
def shop():
    """Two customers, three sessions; rows deliberately shuffled."""
    t = pd.Timestamp("2024-06-01 10:00")
    minute = pd.Timedelta(minutes=1)
    day = pd.Timedelta(days=1)
    rows = [  # session, user, position, item, time
        (0, 7, 0, 3, t), (0, 7, 1, 1, t + minute), (0, 7, 2, 4, t + 2 * minute),
        (1, 5, 0, 2, t + 5 * minute), (1, 5, 1, 0, t + 6 * minute),
        (2, 7, 0, 0, t + day), (2, 7, 1, 2, t + day + minute),
    ]
    sessions = pd.DataFrame(rows, columns=["session_id", "user_id", "position", "item_id", "timestamp"])
    sessions["start"] = sessions.groupby("session_id")["timestamp"].transform("min")
    products = pd.DataFrame({"product_id": range(5), "category": [0, 1, 1, 2, 0]})
    return sessions.sample(frac=1, random_state=0).reset_index(drop=True), products


def test_view_streams_by_session_orders_views(shop):
    sessions, products = shop
    streams = view_streams(sessions, products, by="session", token="item")
    assert streams.keys.tolist() == [0, 1, 2]
    assert [s.tolist() for s in streams.tokens] == [[3, 1, 4], [2, 0], [0, 2]]
    assert streams.n_tokens == 5
    assert all(s[0] and not s[1:].any() for s in streams.new_session)
    assert all((np.diff(t) > np.timedelta64(0)).all() for t in streams.times)


def test_view_streams_by_user_joins_sessions_in_time(shop):
    sessions, products = shop
    streams = view_streams(sessions, products, by="user", token="category")
    assert streams.keys.tolist() == [5, 7]
    assert [s.tolist() for s in streams.tokens] == [[1, 0], [2, 1, 0, 0, 1]]
    assert streams.new_session[1].tolist() == [True, False, False, True, False]
    assert streams.n_tokens == 3
    assert streams.lengths().tolist() == [2, 5]


def test_view_streams_drops_short_streams_and_rejects_bad_input(shop):
    sessions, products = shop
    assert len(view_streams(sessions, products, min_length=3)) == 1
    with pytest.raises(ValueError, match="by must be"):
        view_streams(sessions, products, by="day")
    with pytest.raises(ValueError, match="token must be"):
        view_streams(sessions, products, token="brand")
    with pytest.raises(ValueError, match="needs the products"):
        view_streams(sessions, None, token="category")
    with pytest.raises(ValueError, match="lacks columns"):
        view_streams(sessions.drop(columns="position"), products)


def test_pad_sequences_pads_and_keeps_the_most_recent():
    seqs = [[1, 2, 3], [4], []]
    assert pad_sequences(seqs).tolist() == [[1, 2, 3], [4, 0, 0], [0, 0, 0]]
    assert pad_sequences(seqs, side="start", value=-1).tolist() == [[1, 2, 3], [-1, -1, 4], [-1, -1, -1]]
    assert pad_sequences(seqs, max_len=2).tolist() == [[2, 3], [4, 0], [0, 0]]
    assert pad_sequences(seqs, max_len=0).shape == (3, 0)
    with pytest.raises(ValueError, match="side"):
        pad_sequences(seqs, side="left")
    with pytest.raises(ValueError, match="max_len"):
        pad_sequences(seqs, max_len=-1)


def test_next_token_arrays_shift_by_one_and_mark_padding(shop):
    sessions, products = shop
    arrays = next_token_arrays(view_streams(sessions, products, by="user", token="category"))
    assert arrays.inputs.tolist() == [[2, PAD, PAD, PAD], [3, 2, 1, 1]]          # token + 1
    assert arrays.targets.tolist() == [[0, IGNORE, IGNORE, IGNORE], [1, 0, 0, 1]]
    assert arrays.target_new_session.tolist() == [[False] * 4, [False, False, True, False]]
    assert np.isnat(arrays.target_time[0, 1:]).all()
    assert arrays.mask().sum() == 5
    cut = pd.Timestamp("2024-06-02")
    assert arrays.mask(before=cut).sum() == 3 and arrays.mask(after=cut).sum() == 2
    short = next_token_arrays(view_streams(sessions, products, by="user", token="category"), max_len=2)
    assert short.targets.tolist() == [[0, IGNORE], [0, 1]]


def test_split_time_takes_the_latest_sessions(shop):
    sessions, _ = shop
    cut = split_time(sessions, test_fraction=0.34)
    test = sessions.drop_duplicates("session_id")["start"] >= cut
    assert test.sum() == 1
    with pytest.raises(ValueError, match="test_fraction"):
        split_time(sessions, 1.5)


def test_markov_baseline_counts_successors():
    current = [0, 0, 0, 1, 1, 2]
    following = [1, 1, 2, 0, 0, 1]
    markov = MarkovBaseline().fit(current, following, n_tokens=4)
    assert markov.predict([0, 1, 2]).tolist() == [1, 0, 1]
    np.testing.assert_allclose(markov.predict_proba([0])[0], [0, 2 / 3, 1 / 3, 0])
    # Token 3 was never seen as a current token: fall back to the overall successor distribution.
    assert markov.predict([3]).tolist() == [1]
    with pytest.raises(ValueError, match="lie in"):
        MarkovBaseline().fit([0, 5], [1, 1], n_tokens=4)
    with pytest.raises(ValueError, match="shape"):
        MarkovBaseline().fit([0, 1], [1], n_tokens=4)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_next_token_rnn_shapes_and_end_padding_changes_nothing(kind):
    torch.manual_seed(0)
    model = NextTokenRNN(n_tokens=6, embed_dim=4, hidden_size=8, kind=kind)
    inputs = torch.tensor([[1, 2, 3, PAD, PAD], [4, 5, 6, 1, 2]])
    logits = model(inputs)
    assert logits.shape == (2, 5, 6)
    # The first row's real steps give the same scores with or without the trailing padding.
    torch.testing.assert_close(model(inputs[:1, :3]), logits[:1, :3])


def test_next_token_rnn_learns_a_deterministic_successor():
    torch.manual_seed(0)
    model = NextTokenRNN(n_tokens=4, embed_dim=4, hidden_size=8, kind="gru")
    tokens = torch.tensor([[0, 1, 2, 3, 0, 1, 2, 3]] * 4)            # always token + 1 (mod 4)
    inputs, targets = tokens[:, :-1] + 1, tokens[:, 1:]
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(model(inputs).reshape(-1, 4), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert (model(inputs).argmax(-1) == targets).all()


def test_next_token_rnn_extra_features_and_bad_kind():
    model = NextTokenRNN(n_tokens=3, hidden_size=4, n_extra=1)
    inputs = torch.tensor([[1, 2, 3]])
    assert model(inputs, torch.ones(1, 3, 1)).shape == (1, 3, 3)
    with pytest.raises(ValueError, match="extra features"):
        model(inputs)
    with pytest.raises(ValueError, match="kind"):
        NextTokenRNN(3, kind="transformer")


def test_view_streams_on_the_tiny_world():
    from course_lib.shop import load_world

    world = load_world("tiny", seed=0)
    streams = view_streams(world.sessions, world.products, by="user", token="category", min_length=1)
    assert streams.lengths().sum() == len(world.sessions)
    assert all(t.max() < 10 for t in streams.tokens)
    arrays = next_token_arrays(streams)
    assert arrays.mask().sum() == len(world.sessions) - len(streams)
