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
