"""Check functions of the exercise notebooks, one module per chapter.

Each check raises AssertionError with specific feedback when an answer is wrong, and prints
what passed. Check cells call them; the grader runs its own copy of those cells.
"""
from __future__ import annotations


def passed(question: str, points: float, detail: str = "") -> None:
    print(f"✓ {question} passed ({points:g}/{points:g} points){': ' + detail if detail else ''}")


def fail(message: str) -> None:
    raise AssertionError(message)


def ensure_callable(obj, name: str) -> None:
    if not callable(obj):
        fail(f"{name} should be a function, got {type(obj).__name__}")


def call(fn, name: str, *args, **kwargs):
    """Call the learner's `fn`: an unanswered stub's NotImplementedError passes through (the
    grader reports "not answered yet"); any other exception becomes one line of feedback."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as e:
        fail(f"{name} raised {e.__class__.__name__}: {e}")


def tensor_of_shape(out, name: str, shape=None):
    """`out` if it is a torch.Tensor (of `shape`, when given); else feedback that says what is wrong."""
    import torch

    if not isinstance(out, torch.Tensor):
        fail(f"{name} should return a torch.Tensor, got {type(out).__name__}")
    if shape is not None and tuple(out.shape) != tuple(shape):
        fail(f"{name} returned shape {tuple(out.shape)}; expected {tuple(shape)}")
    return out
