"""`python -m course_lib world export|describe` and `python -m course_lib data`."""
from __future__ import annotations

import json
import time

from ..cli import CourseError
from .config import PRESETS


def register(subparsers) -> None:
    world = subparsers.add_parser("world", help="export or describe the simulated shop world")
    sub = world.add_subparsers(dest="world_command", metavar="ACTION")
    sub.required = True
    export = sub.add_parser("export", help="write the world's tables as CSV files into DIR")
    describe = sub.add_parser("describe", help="print the world's headline sizes as one JSON object")
    for p in (export, describe):
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--size", default="small", help=f"one of {', '.join(PRESETS)} (default small)")
    export.add_argument("dir", help="output folder (created if missing)")
    export.set_defaults(func=_export)
    describe.set_defaults(func=_describe)

    data = subparsers.add_parser("data", help="fill the data cache for every part of the shop world")
    data.add_argument("--size", default="small", help=f"one of {', '.join(PRESETS)} (default small)")
    data.add_argument("--seed", type=int, default=0)
    data.set_defaults(func=_data)


def _load(args):
    from . import load_world
    try:
        return load_world(args.size, args.seed)
    except ValueError as e:
        raise CourseError(str(e)) from None


def _export(args) -> int:
    world = _load(args)
    try:
        paths = world.export(args.dir)
    except (ValueError, OSError) as e:
        raise CourseError(f"cannot export to {args.dir}: {e}") from None
    for p in paths:
        print(p)
    return 0


def _describe(args) -> int:
    print(json.dumps(_load(args).describe()))
    return 0


def _data(args) -> int:
    """Build (or load) each part and say how long it took; a part whose module is absent is skipped."""
    from .world import is_cached
    cached = {part: is_cached(part, args.size, args.seed) if args.size in PRESETS else False
              for part in ("tables", "images")}
    t = time.perf_counter()
    world = _load(args)
    state = "already cached" if cached["tables"] else "cold build"
    print(f"tables: {state}, {time.perf_counter() - t:.1f} s (cold build {world.build_seconds:.1f} s)")
    for part in ("images", "voice_commands", "dialogue"):
        t = time.perf_counter()
        try:
            getattr(world, part)()
        except ModuleNotFoundError as e:
            if e.name in (f"{__package__}.voice", f"{__package__}.dialogue"):
                print(f"{part}: skipped ({e.name} is not built yet)")
                continue
            raise
        state = ("already cached" if cached["images"] else "cold build") if part == "images" else "built or loaded"
        print(f"{part}: {state}, {time.perf_counter() - t:.1f} s")
    return 0
