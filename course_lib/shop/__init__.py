"""The shop world: one deterministic simulated e-commerce shop used by every chapter.

`load_world(size, seed)` returns a World with the catalog, customers, interactions, ratings,
sessions, daily sales, product photos (`World.images()`), and the generator's ground truth.
Data cards: datasets/README.md.
"""
from .config import CATEGORIES, GENERATOR_VERSION, PRESETS
from .world import TABLES, World, load_world

__all__ = ["load_world", "World", "CATEGORIES", "PRESETS", "GENERATOR_VERSION", "TABLES"]
