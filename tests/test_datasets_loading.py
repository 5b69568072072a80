"""Finding, verifying and downloading real datasets, and the `datasets` CLI.

No network: downloads come from a tiny HTTP server on 127.0.0.1, or urlopen is replaced.
"""
from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import json
import re
import sys
import tarfile
import threading
from pathlib import Path
from urllib.error import URLError

import pytest

from course_lib import datasets
from course_lib.cli import main
from course_lib.datasets import fetch
from course_lib.datasets.errors import DatasetError, DatasetNotFound, DownloadError
from course_lib.datasets.registry import REGISTRY, Member, Remote
from course_lib.paths import repo_root

sys.path.insert(0, str(Path(__file__).parent))
import test_datasets_fakes as fakes  # noqa: E402


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(fetch, "RETRY_DELAYS", (0.0, 0.0))


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def one_line(error) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


# ---------------------------------------------------------------- a local HTTP server

class Server:
    """Serves `files` (path -> bytes); `fail[path]` answers 503 that many times first;
    `short[path]` sends only that many bytes while announcing the full length."""

    def __init__(self):
        self.files, self.fail, self.short, self.requests = {}, {}, {}, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                if outer.fail.get(self.path, 0) > 0:
                    outer.fail[self.path] -= 1
                    self.send_error(503, "busy")
                    return
                if self.path not in outer.files:
                    self.send_error(404, "no such file")
                    return
                data = outer.files[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: outer.short.get(self.path, len(data))])

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def serve_clinc(monkeypatch, server, data: bytes, published: bytes | None = None):
    """Point clinc150's registry entry at the local server, with the checksum of `published`."""
    checksum = sha256(fakes.clinc_bytes() if published is None else published)
    server.files["/data_full.json"] = data
    spec = dataclasses.replace(REGISTRY["clinc150"],
                               remotes=(Remote(server.url + "/data_full.json", "data_full.json", checksum),),
                               members=(Member("data_full.json", checksum),),
                               counts={"train": 4, "val": 2, "test": 4, "classes": 3})
    monkeypatch.setitem(REGISTRY, "clinc150", spec)
    return spec


def cache_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


# ---------------------------------------------------------------- names and paths

def test_unknown_name_lists_the_known_ones():
    with pytest.raises(DatasetNotFound) as e:
        datasets.load("movielens-1m")
    assert one_line(e).startswith("unknown dataset 'movielens-1m': known datasets are movielens-100k, "
                                  "fashion-mnist, fsdd, clinc150, banking77, online-retail")


def test_registry_metadata_is_complete():
    assert list(REGISTRY) == ["movielens-100k", "fashion-mnist", "fsdd", "clinc150", "banking77",
                              "online-retail"]
    for name, spec in REGISTRY.items():
        card = datasets.info(name)
        assert all(card[k] for k in ("homepage", "licence", "citation", "size", "checksum_source", "urls"))
        assert all(u.startswith(("https://", "http://")) for u in card["urls"])
        for member in spec.members:
            assert member.checksum is None or re.fullmatch(r"(md5:[0-9a-f]{32}|sha256:[0-9a-f]{64})",
                                                           member.checksum)
    # datasets with no published checksum are checked by their counts
    assert datasets.info("fsdd")["files"] == {"recordings": None}
    assert datasets.info("online-retail")["counts"] == {"rows": 541_909, "columns": 8}


def test_path_as_archive_folder_recursive_and_single_file(tmp_path):
    zipped = datasets.load("movielens-100k", path=fakes.write_ml_zip(tmp_path / "z" / "ml-100k.zip"),
                           verify=False)
    unzipped = datasets.load("movielens-100k", path=fakes.write_ml_folder(tmp_path / "a" / "b" / "ml-100k").parents[1],
                             verify=False)
    assert zipped.ratings.equals(unzipped.ratings) and zipped.items.equals(unzipped.items)
    # an archive found inside a folder is searched too
    assert len(datasets.load("movielens-100k", path=tmp_path / "z", verify=False).ratings) == 5
    # a one-file dataset accepts the file under any name
    renamed = tmp_path / "my_clinc.json"
    renamed.write_bytes(fakes.clinc_bytes())
    assert len(datasets.load("clinc150", path=renamed, verify=False).data) == 10


def test_path_as_tar_gz(tmp_path):
    archive = tmp_path / "fsdd.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, data in fakes.fsdd_members().items():
            info = tarfile.TarInfo(f"free-spoken-digit-dataset-1.0.10/recordings/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    ds = datasets.load("fsdd", path=archive, verify=False)
    assert ds.waves.shape == (5, 16_000)


def test_wrong_path_lists_the_files_expected(tmp_path):
    folder = fakes.write_fashion(tmp_path / "fm")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFound) as e:
        datasets.load("fashion-mnist", path=folder)
    text = one_line(e)
    assert "missing t10k-labels-idx1-ubyte.gz" in text
    assert "expected train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, " \
           "t10k-labels-idx1-ubyte.gz" in text
    with pytest.raises(DatasetNotFound) as e:
        datasets.load("movielens-100k", path=tmp_path / "nowhere")
    assert "nowhere does not exist; movielens-100k needs u.data, u.item, u.user, u1.base, u1.test" in one_line(e)
    with pytest.raises(ValueError, match="pass one of them"):
        datasets.load("fsdd", path=folder, download=True)


def test_missing_cache_says_what_to_download_and_where(tmp_path):
    with pytest.raises(DatasetNotFound) as e:
        datasets.load("movielens-100k", cache_dir=tmp_path)
    text = one_line(e)
    assert "download https://files.grouplens.org/datasets/movielens/ml-100k.zip into " \
           f"{tmp_path / 'movielens-100k'}" in text
    assert "download=True" in text and "path=" in text


# ---------------------------------------------------------------- verification

def test_checksum_mismatch_names_the_file(tmp_path):
    path = tmp_path / "data_full.json"
    path.write_bytes(fakes.clinc_bytes())
    with pytest.raises(DatasetError) as e:
        datasets.load("clinc150", path=path)
    assert one_line(e).startswith(f"{path}: sha256 mismatch (expected 36923c3705a5..., got ")
    assert "verify=False" in str(e.value)
    with pytest.raises(DatasetError, match=r"ml-100k\.zip:ml-100k/u\.data: sha256 mismatch"):
        datasets.load("movielens-100k", path=fakes.write_ml_zip(tmp_path / "ml-100k.zip"))
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte\.gz: md5 mismatch"):
        datasets.load("fashion-mnist", path=fakes.write_fashion(tmp_path / "fm"))


def test_verified_files_must_also_have_the_official_counts(tmp_path, monkeypatch):
    members = fakes.ml_members()
    spec = dataclasses.replace(REGISTRY["movielens-100k"],
                               members=tuple(Member(n, sha256(d)) for n, d in members.items()),
                               counts={"ratings": 5, "users": 3, "items": 3, "u1_train": 4, "u1_test": 1})
    monkeypatch.setitem(REGISTRY, "movielens-100k", spec)
    archive = fakes.write_ml_zip(tmp_path / "ml-100k.zip")
    assert len(datasets.load("movielens-100k", path=archive).ratings) == 5   # checksums and counts pass
    monkeypatch.setitem(REGISTRY, "movielens-100k", dataclasses.replace(spec, counts={"ratings": 100_000}))
    with pytest.raises(DatasetError) as e:
        datasets.load("movielens-100k", path=archive)
    assert "ratings 5 (official 100,000); truncated or not the official release" in one_line(e)


def test_files_without_checksums_are_checked_by_counts(tmp_path):
    with pytest.raises(DatasetError, match="found 5 recordings files, the official release has 3000"):
        datasets.load("fsdd", path=fakes.write_fsdd_zip(tmp_path / "fsdd.zip"))
    csv = tmp_path / "Online Retail.csv"
    csv.write_text(fakes.RETAIL_CSV)
    with pytest.raises(DatasetError, match=r"rows 8 \(official 541,909\)"):
        datasets.load("online-retail", path=csv)


def test_truncated_official_file_is_caught_with_or_without_verify(tmp_path, monkeypatch):
    published = {n: sha256(d) for n, d in fakes.fashion_members().items()}  # the fakes play "official"
    monkeypatch.setitem(REGISTRY, "fashion-mnist", dataclasses.replace(
        REGISTRY["fashion-mnist"], members=tuple(Member(n, c) for n, c in published.items()), counts={}))
    folder = fakes.write_fashion(tmp_path / "fm")
    assert len(datasets.load("fashion-mnist", path=folder).x_test) == 4
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz: sha256 mismatch"):
        datasets.load("fashion-mnist", path=folder)
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz: not a complete gzip file"):
        datasets.load("fashion-mnist", path=folder, verify=False)
    archive = fakes.write_ml_zip(tmp_path / "ml-100k.zip")
    archive.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(DatasetError, match=r"ml-100k\.zip: unreadable archive"):
        datasets.load("movielens-100k", path=archive, verify=False)


# ---------------------------------------------------------------- downloads

def test_download_retries_then_succeeds(tmp_path, monkeypatch, server):
    serve_clinc(monkeypatch, server, fakes.clinc_bytes())
    server.fail["/data_full.json"] = 2   # two 503s, the third attempt works
    ds = datasets.load("clinc150", download=True, cache_dir=tmp_path)
    assert len(ds.data) == 10 and len(server.requests) == 3
    assert cache_files(tmp_path) == ["clinc150", "data_full.json"]
    datasets.load("clinc150", download=True, cache_dir=tmp_path)   # intact in the cache: not fetched again
    assert len(server.requests) == 3


def test_download_gives_up_after_retries_and_leaves_nothing(tmp_path, monkeypatch, server):
    serve_clinc(monkeypatch, server, fakes.clinc_bytes())
    server.fail["/data_full.json"] = 5
    with pytest.raises(DownloadError) as e:
        datasets.download("clinc150", cache_dir=tmp_path)
    assert f"could not download {server.url}/data_full.json after 3 attempts (HTTP 503" in one_line(e)
    assert f"put it at {tmp_path / 'clinc150' / 'data_full.json'}" in str(e.value)
    assert cache_files(tmp_path) == ["clinc150"]


def test_truncated_transfer_is_retried_and_never_cached(tmp_path, monkeypatch, server):
    data = fakes.clinc_bytes()
    serve_clinc(monkeypatch, server, data)
    server.short["/data_full.json"] = len(data) // 2   # the connection drops half way, every time
    with pytest.raises(DownloadError, match="after 3 attempts"):
        datasets.download("clinc150", cache_dir=tmp_path)
    assert cache_files(tmp_path) == ["clinc150"] and len(server.requests) == 3


def test_download_checksum_mismatch_names_the_file_and_leaves_nothing(tmp_path, monkeypatch, server):
    serve_clinc(monkeypatch, server, fakes.clinc_bytes()[:-1] + b" ", published=fakes.clinc_bytes())
    with pytest.raises(DatasetError) as e:
        datasets.load("clinc150", download=True, cache_dir=tmp_path)
    assert one_line(e).startswith(f"data_full.json from {server.url}/data_full.json: sha256 mismatch")
    assert "the download was discarded" in str(e.value)
    assert cache_files(tmp_path) == ["clinc150"]


def test_http_404_is_not_retried(tmp_path, monkeypatch, server):
    serve_clinc(monkeypatch, server, b"")
    del server.files["/data_full.json"]
    with pytest.raises(DownloadError, match="HTTP 404"):
        datasets.download("clinc150", cache_dir=tmp_path)
    assert len(server.requests) == 1


def test_real_entries_verify_what_they_download(tmp_path, monkeypatch):
    """The real registry entries, served fake bytes instead of the network: all are refused."""
    served = {"ml-100k.zip": fakes.write_ml_zip(tmp_path / "src" / "ml-100k.zip").read_bytes(),
              "train-images-idx3-ubyte.gz": fakes.fashion_members()["train-images-idx3-ubyte.gz"],
              "data_full.json": fakes.clinc_bytes()}

    class Response(io.BytesIO):  # what urlopen returns: a context manager with headers
        headers: dict = {}

    monkeypatch.setattr(fetch, "urlopen",
                        lambda request, timeout: Response(served[request.full_url.rsplit("/", 1)[-1]]))
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError) as e:
        datasets.download("movielens-100k", cache_dir=cache)
    assert one_line(e).startswith("https://files.grouplens.org/datasets/movielens/ml-100k.zip:ml-100k/u.data: "
                                  "sha256 mismatch")
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz from http://fashion-mnist.*md5 mismatch"):
        datasets.download("fashion-mnist", cache_dir=cache)
    with pytest.raises(DatasetError, match="data_full.json from https://raw.githubusercontent.com/clinc"):
        datasets.download("clinc150", cache_dir=cache)
    assert [p for p in cache.rglob("*") if p.is_file()] == []


def test_archive_without_the_needed_files_is_refused(tmp_path, monkeypatch, server):
    members = fakes.fsdd_members()
    server.files["/fsdd.zip"] = fakes.write_fsdd_zip(tmp_path / "src.zip", members).read_bytes()
    spec = dataclasses.replace(REGISTRY["fsdd"], remotes=(Remote(server.url + "/fsdd.zip", "fsdd.zip"),))
    monkeypatch.setitem(REGISTRY, "fsdd", spec)
    with pytest.raises(DatasetError, match=r"/fsdd.zip: found 5 recordings files, the official release has 3000"):
        datasets.download("fsdd", cache_dir=tmp_path / "cache")
    assert cache_files(tmp_path / "cache") == ["fsdd"]
    server.files["/fsdd.zip"] = fakes.write_fsdd_zip(tmp_path / "empty.zip", {}).read_bytes()
    with pytest.raises(DatasetError, match=r"/fsdd.zip: the archive lacks recordings; the download was discarded"):
        datasets.download("fsdd", cache_dir=tmp_path / "cache")
    server.files["/fsdd.zip"] = fakes.write_fsdd_zip(tmp_path / "src.zip", members).read_bytes()
    monkeypatch.setitem(REGISTRY, "fsdd", dataclasses.replace(
        spec, members=(dataclasses.replace(spec.members[0], count=5),), counts={}))
    ds = datasets.load("fsdd", download=True, cache_dir=tmp_path / "cache")
    assert ds.waves.shape == (5, 16_000)
    assert cache_files(tmp_path / "cache") == ["fsdd", "fsdd.zip"]


def test_damaged_cache_file_is_fetched_again(tmp_path, monkeypatch, server):
    serve_clinc(monkeypatch, server, fakes.clinc_bytes())
    cached = tmp_path / "clinc150" / "data_full.json"
    cached.parent.mkdir()
    cached.write_bytes(b"{}")
    with pytest.raises(DatasetError, match="sha256 mismatch.*delete it, or load with download=True"):
        datasets.load("clinc150", cache_dir=tmp_path)
    assert len(datasets.load("clinc150", download=True, cache_dir=tmp_path).data) == 10
    assert cached.read_bytes() == fakes.clinc_bytes()


def test_offline_names_the_url_and_the_destination(tmp_path, monkeypatch):
    def offline(request, timeout):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(fetch, "urlopen", offline)
    with pytest.raises(DownloadError) as e:
        datasets.load("banking77", download=True, cache_dir=tmp_path)
    text = one_line(e)
    assert "could not download https://raw.githubusercontent.com/PolyAI-LDN/task-specific-datasets/" in text
    assert "Temporary failure in name resolution" in text
    assert f"put it at {tmp_path / 'banking77' / 'train.csv'}" in text
    assert cache_files(tmp_path) == ["banking77"]


# ---------------------------------------------------------------- CLI

def test_cli_check_prints_one_json_object(tmp_path, capsys):
    archive = fakes.write_ml_zip(tmp_path / "ml-100k.zip")
    assert main(["datasets", "check", "movielens-100k", "--path", str(archive), "--no-verify"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == {"dataset": "movielens-100k", "verified": False, "ratings": 5, "users": 3,
                               "items": 3, "rated_users": 3, "rated_items": 3, "u1_train": 4, "u1_test": 1}
    assert out.count("\n") == 1


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path, capsys):
    assert main(["datasets", "check", "nope"]) == 2
    assert main(["datasets", "check", "clinc150", "--path", str(tmp_path / "missing.json")]) == 2
    assert main(["datasets", "check", "banking77", "--cache-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines)
    assert "known datasets are" in lines[0] and "does not exist" in lines[1] and "download https://" in lines[2]


def test_cli_list_and_info(tmp_path, capsys):
    fakes.write_banking(tmp_path / "banking77")
    assert main(["datasets", "list", "--cache-dir", str(tmp_path)]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert set(rows) == set(REGISTRY)
    assert rows["banking77"].endswith("cached") and rows["clinc150"].endswith("-")
    assert main(["datasets", "info", "fashion-mnist"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["licence"] == "MIT" and len(card["urls"]) == 4


# ---------------------------------------------------------------- the team's checksum notes

SHARED_CHECKSUMS = repo_root().parent / "shared" / "dataset-checksums.md"


@pytest.mark.skipif(not SHARED_CHECKSUMS.exists(), reason="the shared checksum notes are not here")
def test_registry_checksums_equal_the_shared_notes():
    rows = [line.split("|")[1:5] for line in SHARED_CHECKSUMS.read_text().splitlines()
            if line.startswith("| ") and not line.startswith(("| dataset", "|---"))]
    noted = {}
    for dataset, file, checksum, _ in (map(str.strip, r) for r in rows):
        match = re.fullmatch(r"(md5|sha256) ([0-9a-f]+)", checksum)
        base = file.split()[0].rsplit("/", 1)[-1]
        noted[(dataset, base)] = f"{match[1]}:{match[2]}" if match else None
    ours = {(name, m.name): m.checksum for name, spec in REGISTRY.items() for m in spec.members
            if m.checksum}
    assert ours == {k: v for k, v in noted.items() if v}
    assert len(ours) == 12
    # those noted as "none published" have no checksum here either
    for dataset, _ in (k for k, v in noted.items() if v is None):
        assert all(m.checksum is None for m in REGISTRY[dataset].members)
