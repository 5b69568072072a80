"""`python -m course_lib datasets list | info NAME | check NAME [--path P] | download NAME`."""
from __future__ import annotations

import json

from ..cli import CourseError
from .api import dataset_dir, download_dataset, load_with_counts, locate
from .registry import REGISTRY, get_spec, info


def register(subparsers) -> None:
    parser = subparsers.add_parser("datasets", help="real public datasets: list, check, download")
    sub = parser.add_subparsers(dest="datasets_command", metavar="ACTION")
    sub.required = True

    p = sub.add_parser("list", help="the known datasets, their size and licence, and whether cached")
    p.add_argument("--cache-dir", help="cache folder (default: course_lib.paths.cache_dir())")
    p.set_defaults(func=_list)

    p = sub.add_parser("info", help="a dataset's card as JSON: URLs, licence, citation, checksums")
    p.add_argument("name")
    p.set_defaults(func=_info)

    p = sub.add_parser("check", help="parse a dataset's files and print their counts as one JSON object")
    p.add_argument("name")
    p.add_argument("--path", help="the file, archive or folder to check (default: the cache)")
    p.add_argument("--cache-dir", help="cache folder (default: course_lib.paths.cache_dir())")
    p.add_argument("--no-verify", action="store_true",
                   help="skip checksums and official counts (small files in the official format)")
    p.set_defaults(func=_check)

    p = sub.add_parser("download", help="fetch a dataset into the cache, verified")
    p.add_argument("name")
    p.add_argument("--cache-dir", help="cache folder (default: course_lib.paths.cache_dir())")
    p.set_defaults(func=_download)


def _list(args) -> int:
    rows = [(spec.name, spec.size, spec.licence.split(":")[0],
             "cached" if not locate(spec, dataset_dir(spec.name, args.cache_dir))[1] else "-")
            for spec in REGISTRY.values()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])
    return 0


def _info(args) -> int:
    print(json.dumps(info(args.name), indent=2, ensure_ascii=False))
    return 0


def _check(args) -> int:
    try:
        _, counts = load_with_counts(args.name, path=args.path, cache_dir=args.cache_dir,
                                     verify=not args.no_verify)
    except ValueError as e:
        raise CourseError(str(e)) from None
    print(json.dumps({"dataset": args.name, "verified": not args.no_verify, **counts}))
    return 0


def _download(args) -> int:
    get_spec(args.name)
    folder = download_dataset(args.name, args.cache_dir)
    print(f"{args.name}: downloaded to {folder}")
    _, counts = load_with_counts(args.name, cache_dir=args.cache_dir)
    print(f"{args.name}: parsed and verified: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0
