"""Unit tests of course_lib's core: runtime, results contract, training loop, metrics, CLI."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import course_lib as cl
from course_lib import results, runtime
from course_lib.metrics import accuracy, binary_accuracy, confusion_matrix
from course_lib.train import evaluate, fit, make_loader


def test_seed_everything_repeats_random_numbers():
    cl.seed_everything(3)
    a = (np.random.rand(3), torch.rand(3))
    cl.seed_everything(3)
    b = (np.random.rand(3), torch.rand(3))
    np.testing.assert_array_equal(a[0], b[0])
    torch.testing.assert_close(a[1], b[1])
    with pytest.raises(TypeError):
        cl.seed_everything("3")


def test_device_override_and_bad_values(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert cl.get_device() == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="choose one of cuda, mps, cpu"):
        cl.get_device()
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="not available"):
            cl.get_device("cuda")


def test_setup_rejects_a_bad_name():
    for bad in ("", "notebooks/01_neurons", None):
        with pytest.raises(ValueError, match="file stem"):
            cl.setup(bad, quiet=True)


def test_record_follows_the_results_contract(tmp_results):
    cl.setup("99_contract", quiet=True)
    cl.record(a=1, b=np.float32(0.5))
    cl.record(c=torch.tensor(2.5))
    path = tmp_results / "99_contract.json"
    assert json.loads(path.read_text()) == {"a": 1, "b": 0.5, "c": 2.5}
    meta = json.loads((tmp_results / "99_contract.meta.json").read_text())
    assert meta["notebook"] == "99_contract" and meta["course_lib"] == cl.__version__ and meta["seed"] == 0
    # a new run replaces the file
    cl.setup("99_contract", quiet=True)
    cl.record(d=4)
    assert json.loads(path.read_text()) == {"d": 4}


@pytest.mark.parametrize("value,error", [(float("nan"), ValueError), (float("inf"), ValueError),
                                         (True, TypeError), ("0.9", TypeError), ([1], TypeError)])
def test_record_refuses_non_finite_and_non_numbers(tmp_results, value, error):
    cl.setup("99_bad", quiet=True)
    with pytest.raises(error):
        cl.record(x=value)
    assert not (tmp_results / "99_bad.json").exists()


def test_record_needs_setup_first(monkeypatch):
    monkeypatch.setitem(results._run, "name", None)
    with pytest.raises(RuntimeError, match="setup"):
        cl.record(x=1)


def test_results_dir_defaults_to_repo_root_not_cwd(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_RESULTS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert cl.results_dir() == cl.repo_root() / "results"


def test_fit_learns_and_returns_history():
    cl.seed_everything(0)
    x = torch.randn(256, 2)
    y = (x[:, 0] + x[:, 1] > 0).long()
    model = torch.nn.Linear(2, 2)
    loader = make_loader(x, y, batch_size=32)
    history = fit(model, torch.nn.functional.cross_entropy, torch.optim.Adam(model.parameters(), lr=0.1),
                  loader, epochs=8, val_loader=make_loader(x, y, shuffle=False),
                  metrics={"acc": accuracy}, plot=False, progress=False)
    assert set(history) == {"train_loss", "val_loss", "val_acc"}
    assert len(history["train_loss"]) == 8
    assert history["train_loss"][-1] < history["train_loss"][0] / 2
    assert history["val_acc"][-1] > 0.9
    assert evaluate(model, loader, torch.nn.functional.cross_entropy)["loss"] == pytest.approx(
        history["val_loss"][-1], rel=1e-5)
    with pytest.raises(ValueError):
        fit(model, torch.nn.functional.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.1), loader, epochs=0)


def test_make_loader_is_reproducible():
    x = torch.arange(20)
    first = [b[0].tolist() for b in make_loader(x, batch_size=5, seed=1)]
    again = [b[0].tolist() for b in make_loader(x, batch_size=5, seed=1)]
    assert first == again and first != [list(range(i, i + 5)) for i in range(0, 20, 5)]


def test_metrics():
    assert accuracy([0, 1, 1], [0, 1, 0]) == pytest.approx(2 / 3)
    assert accuracy(torch.tensor([1, 0]), torch.tensor([[0.1, 0.9], [0.8, 0.2]])) == 1.0
    assert binary_accuracy([1, 0, 1], [0.7, 0.2, 0.4]) == pytest.approx(2 / 3)
    cm = confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], 3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    with pytest.raises(ValueError):
        accuracy([0, 1], [0])


def test_intro_table_is_deterministic_and_learnable():
    from course_lib.intro_data import buy_table, true_buy_probability

    a, b = buy_table(200, seed=5), buy_table(200, seed=5)
    assert a.equals(b) and not a.equals(buy_table(200, seed=6))
    p = true_buy_probability(a.minutes, a.discount)
    assert ((p >= 0.5) == a.bought).mean() > max(a.bought.mean(), 1 - a.bought.mean())
    with pytest.raises(ValueError):
        buy_table(1)


def test_cli_help_and_unknown_command():
    out = subprocess.run([sys.executable, "-m", "course_lib", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "grade" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "course_lib", "fly"], capture_output=True, text=True)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr


def test_cache_writes_atomically(tmp_path):
    from course_lib.cache import atomic_path, cached_arrays

    calls = []

    def build():
        calls.append(1)
        return {"x": np.arange(3)}

    first = cached_arrays("thing", "v1", build, folder=tmp_path)
    second = cached_arrays("thing", "v1", build, folder=tmp_path)
    np.testing.assert_array_equal(first["x"], second["x"])
    assert len(calls) == 1
    cached_arrays("thing", "v2", build, folder=tmp_path)
    assert len(calls) == 2  # a new generator version never reads the old file
    target = tmp_path / "a.txt"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert not target.exists() and list(tmp_path.glob("*.part")) == []


def test_threads_default_to_one_and_follow_the_environment(monkeypatch):
    monkeypatch.delenv("COURSE_THREADS", raising=False)
    assert cl.set_threads() == 1 and torch.get_num_threads() == 1
    monkeypatch.setenv("COURSE_THREADS", "2")
    assert cl.set_threads() == 2 and torch.get_num_threads() == 2
    with pytest.raises(ValueError):
        cl.set_threads(0)
    cl.set_threads(1)
