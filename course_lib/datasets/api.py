"""`load` and `download`: find a dataset's files, verify them, parse them.

Verification rule (documented in datasets/real_datasets.md):

* Downloads are always verified before they enter the cache: the file's checksum where one is
  published; for an archive, its integrity (CRCs), that it holds every file the parser needs,
  their checksums, and the number of files of a many-file dataset. A failure discards the
  download, so the cache only ever holds complete, verified files.
* `load(..., verify=True)` (the default) checks local files the same way (every published
  checksum must match), parses them, then compares the parsed counts with the official ones
  (100,000 ratings, 60,000 images, ...). Datasets with no published checksum (FSDD, Online
  Retail) are checked by these counts alone.
* `verify=False` skips checksums and counts, so small files in the official format (tests,
  a learner's subset) load. The parsers' format checks cannot be switched off: a truncated or
  corrupted file (a gzip stream cut short, an idx header that promises more bytes than the file
  has, a wav that ends early, a CSV without the right header) still fails with a one-line
  error naming the file.
"""
from __future__ import annotations

import inspect
from pathlib import Path

from .. import paths
from .errors import DatasetError, DatasetNotFound
from .fetch import check_checksum, fetch
from .registry import DatasetSpec, Member, Remote, get_spec
from .sources import Found, is_archive, scan

Files = dict[str, list[Found]]


def dataset_dir(name: str, cache_dir: str | Path | None = None) -> Path:
    """Where dataset `name` lives in the cache: `cache_dir` (default course_lib.paths.cache_dir()) / name."""
    return Path(cache_dir if cache_dir is not None else paths.cache_dir()) / get_spec(name).name


def load(name: str, path: str | Path | None = None, download: bool = False,
         cache_dir: str | Path | None = None, verify: bool = True, **options):
    """Load the real dataset `name` and return it as the shop world's type.

    path: files you already have: the file itself, an archive (zip, tar), or a folder that holds
        them anywhere below it. Without it the cache folder `cache_dir/name` is used.
    download: fetch what is missing from the cache first (progress bar, checksums, retries).
    verify: compare checksums and the official counts (see the module docstring); False loads
        small or partial files in the official format.
    options: passed to the parser (banking77: val_fraction, seed; fsdd: sample_rate).

    Returns movielens-100k -> MovieLens, fashion-mnist -> ImageSet, fsdd -> AudioSet,
    clinc150 / banking77 -> TextSet, online-retail -> OnlineRetail.
    """
    data, _ = load_with_counts(name, path=path, download=download, cache_dir=cache_dir,
                               verify=verify, **options)
    return data


def load_with_counts(name: str, path=None, download: bool = False, cache_dir=None,
                     verify: bool = True, **options):
    """`load`, also returning the parsed counts (what `datasets check` prints)."""
    spec = get_spec(name)
    _check_options(spec, options)
    if path is not None:
        if download:
            raise ValueError("path= loads files you already have and download=True fills the cache "
                             "(cache_dir=): pass one of them")
        root = Path(path).expanduser()
        if not root.exists():
            raise DatasetNotFound(f"{root} does not exist; {spec.name} needs {expected_files(spec)}")
        hint = "pass verify=False (CLI: --no-verify) to load it anyway"
    else:
        root = dataset_dir(name, cache_dir)
        if download:
            download_dataset(name, cache_dir)
        hint = "delete it, or load with download=True to fetch it again"
    files, missing = locate(spec, root)
    if missing:
        raise _not_found(spec, root, missing, from_user=path is not None)
    if verify:
        verify_files(spec, files, hint, root)
    data = spec.parse(files, **options)
    counts = spec.count(data)
    if verify:
        verify_counts(spec, counts, root)
    return data, counts


def download_dataset(name: str, cache_dir: str | Path | None = None) -> Path:
    """Fetch dataset `name` into its cache folder (skipping files already there and intact)."""
    spec = get_spec(name)
    folder = dataset_dir(name, cache_dir)
    for remote in spec.remotes:
        dest = folder / remote.filename
        if dest.exists():
            try:
                _check_remote(spec, remote, dest)
                continue
            except DatasetError:
                pass  # damaged or stale: fetch it again, replacing it atomically
        fetch(remote.url, dest, check=lambda tmp, remote=remote: _check_remote(spec, remote, tmp))
    return folder


def locate(spec: DatasetSpec, root: Path) -> tuple[Files, list[Member]]:
    """The files of `spec` under `root` (member name -> Found), and the members not found."""
    found = scan(root, lambda base: any(m.matches(base) for m in spec.members)) if root.exists() else []
    lone = len(spec.members) == 1 and not spec.members[0].many
    if not found and lone and root.is_file() and not is_archive(root.name):
        found = [Found(root.name, str(root), root.read_bytes)]  # one-file dataset: any file name
        return {spec.members[0].name: found}, []
    return group(spec, found)


def group(spec: DatasetSpec, found: list[Found]) -> tuple[Files, list[Member]]:
    """Sort found files into the spec's members; the first file of each base name wins."""
    files: Files = {}
    for member in spec.members:
        matches, seen = [], set()
        for f in found:
            if member.matches(f.name) and f.name not in seen:
                seen.add(f.name)
                matches.append(f)
        if matches:
            files[member.name] = matches if member.many else matches[:1]
    return files, [m for m in spec.members if m.name not in files]


def verify_files(spec: DatasetSpec, files: Files, hint: str, where: Path | str) -> None:
    """Published checksums must match; a many-file member must have its official number of files."""
    for member in spec.members:
        found = files[member.name]
        if member.checksum:
            for f in found:
                check_checksum(f.read(), member.checksum, f.origin, hint)
        if member.count is not None and len(found) != member.count:
            raise DatasetError(f"{where}: found {len(found)} {member.name} files, the official "
                               f"release has {member.count}; {hint}")


def verify_counts(spec: DatasetSpec, counts: dict, where: Path) -> None:
    wrong = [f"{k} {counts.get(k)} (official {v:,})" for k, v in spec.counts.items() if counts.get(k) != v]
    if wrong:
        raise DatasetError(f"{spec.name} in {where}: {', '.join(wrong)}; truncated or not the official "
                           "release (pass verify=False (CLI: --no-verify) to load it anyway)")


def expected_files(spec: DatasetSpec) -> str:
    names = [f"{m.name} ({m.count:,} files like 0_jackson_0.wav)" if m.many else m.name for m in spec.members]
    return ", ".join(names)


def _not_found(spec: DatasetSpec, root: Path, missing: list[Member], from_user: bool) -> DatasetNotFound:
    lacking = ", ".join(m.name for m in missing)
    if from_user:
        return DatasetNotFound(f"{root}: {spec.name} files not found (missing {lacking}); expected "
                               f"{expected_files(spec)}, as a folder, an archive or the file itself")
    urls = " ".join(r.url for r in spec.remotes)
    return DatasetNotFound(f"{spec.name} is not in {root} (missing {lacking}): download {urls} "
                           f"into {root}, or load with download=True, or pass path= to files you have")


def _check_remote(spec: DatasetSpec, remote: Remote, path: Path) -> None:
    """Verify one downloaded file: its checksum, and an archive's members and their checksums."""
    hint = "the download was discarded; try again later or report it"
    if remote.checksum:
        check_checksum(path, remote.checksum, f"{remote.filename} from {remote.url}", hint)
    if not is_archive(remote.filename):
        return
    found = scan(path, lambda base: any(m.matches(base) for m in spec.members), name=remote.filename)
    found = [Found(f.name, f.origin.replace(str(path), remote.url, 1), f.read) for f in found]
    files, missing = group(spec, found)
    if missing:
        raise DatasetError(f"{remote.url}: the archive lacks {', '.join(m.name for m in missing)}; {hint}")
    verify_files(spec, files, hint, remote.url)


def _check_options(spec: DatasetSpec, options: dict) -> None:
    accepted = [p for p in inspect.signature(spec.parse).parameters if p != "files"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"{spec.name} has no option {', '.join(unknown)}; its options: "
                         f"{', '.join(accepted) or 'none'}")
