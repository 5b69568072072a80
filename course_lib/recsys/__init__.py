"""Recommender systems: the evaluation protocol (protocol) and the classic recommenders (classic).

Taught in 07_recsys_classic; chapter 08 builds on both.
"""
from . import classic, protocol

__all__ = ["protocol", "classic"]
