"""The registry: what each real dataset is, where it comes from, and how to check it.

Checksums are those published by the dataset's authors or a trusted loader, or verified by the
course team (`dataset-checksums.md` in the course's shared notes); a dataset with none published
says so (`checksum=None`) and is checked by its official counts after parsing instead.
The data cards in `datasets/real_datasets.md` repeat this for people.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from . import parsers
from .errors import DatasetNotFound


@dataclass(frozen=True)
class Member:
    """A file the parser needs, found by its base name (or by `pattern` when names vary)."""
    name: str
    checksum: str | None = None   # "sha256:<hex>" or "md5:<hex>"; None: none published
    pattern: str | None = None    # regex on the base name, e.g. all of FSDD's recordings
    many: bool = False            # all matching files (FSDD), rather than the first one
    count: int | None = None      # how many files the official release has (many=True)

    def matches(self, basename: str) -> bool:
        if self.pattern is not None:
            return re.fullmatch(self.pattern, basename) is not None
        return basename == self.name


@dataclass(frozen=True)
class Remote:
    """A file to download, the name it gets in the cache folder, and its checksum if published."""
    url: str
    filename: str
    checksum: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    homepage: str
    licence: str
    citation: str
    size: str
    checksum_source: str
    returns: str
    remotes: tuple[Remote, ...]
    members: tuple[Member, ...]
    parse: Callable = field(repr=False)
    count: Callable = field(repr=False)
    counts: dict = field(default_factory=dict)  # official counts, compared when verifying

    def describe(self) -> dict:
        """The metadata as plain data (for printing or JSON)."""
        return {"name": self.name, "title": self.title, "homepage": self.homepage,
                "licence": self.licence, "citation": self.citation, "size": self.size,
                "checksum_source": self.checksum_source, "returns": self.returns,
                "urls": [r.url for r in self.remotes],
                "files": {m.name: m.checksum for m in self.members}, "counts": dict(self.counts)}


FSDD_REVISION = "26eb9aaf76e81b692f806f9140c2d2777410d7a1"
CLINC_REVISION = "828f8093932c8fe6ca7936c3d2e52903b1c523de"
BANKING_REVISION = "57ec275d8078af65b7731c2a98be812d844a6d6b"
FASHION_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FASHION_FILES = {  # md5 as published by Zalando and used by torchvision
    "train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
}
ML100K_MEMBERS = {  # sha256 of the archive's members (the archive's own hash is not relied on)
    "u.data": "sha256:06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
    "u.item": "sha256:553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701",
    "u.user": "sha256:f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c",
    "u1.base": "sha256:ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a",
    "u1.test": "sha256:18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950",
}
CLINC_SHA256 = "sha256:36923c3705a59e08fe9c3883d8bc2dd966ef93e22cb78ac41171782a698d56e0"
BANKING_FILES = {
    "train.csv": "sha256:b06e26ac675513959a63135f11b94ea7786ed02da65db93a5650d8838cbc664b",
    "test.csv": "sha256:d12d6e3bc4c3103966ae786dc435913c0c563dfa328f5a3646d0e62cfeeb474d",
}

_SPECS = [
    DatasetSpec(
        name="movielens-100k",
        title="MovieLens 100K (GroupLens, 1998)",
        homepage="https://grouplens.org/datasets/movielens/100k/",
        licence="GroupLens research licence: research use, cite the paper, no redistribution "
                "without permission (never commit it)",
        citation="F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History "
                 "and Context. ACM TiiS 5, 4, Article 19. https://doi.org/10.1145/2827872",
        size="ml-100k.zip, about 5 MB",
        checksum_source="sha256 of the members u.data, u.item, u.user, u1.base, u1.test, verified "
                        "by the course team (dataset-checksums.md); GroupLens's archive hash is not used",
        returns="MovieLens: ratings (user_id, item_id, rating, timestamp), items, users, split('u1')",
        remotes=(Remote("https://files.grouplens.org/datasets/movielens/ml-100k.zip", "ml-100k.zip"),),
        members=tuple(Member(n, c) for n, c in ML100K_MEMBERS.items()),
        parse=parsers.parse_movielens, count=parsers.count_movielens,
        counts={"ratings": 100_000, "users": 943, "items": 1_682, "rated_users": 943,
                "rated_items": 1_682, "u1_train": 80_000, "u1_test": 20_000},
    ),
    DatasetSpec(
        name="fashion-mnist",
        title="Fashion-MNIST (Zalando Research)",
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        licence="MIT",
        citation="Han Xiao, Kashif Rasul, Roland Vollgraf. Fashion-MNIST: a Novel Image Dataset for "
                 "Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017",
        size="4 gzipped idx files, about 30 MB",
        checksum_source="md5 published by Zalando (README) and used by torchvision; verified by the "
                        "course team (dataset-checksums.md)",
        returns="ImageSet: uint8 [N, 28, 28] images, int64 labels, 10 class names",
        remotes=tuple(Remote(FASHION_MIRROR + n, n, c) for n, c in FASHION_FILES.items()),
        members=tuple(Member(n, c) for n, c in FASHION_FILES.items()),
        parse=parsers.parse_fashion_mnist, count=parsers.count_images,
        counts={"train": 60_000, "test": 10_000, "classes": 10},
    ),
    DatasetSpec(
        name="fsdd",
        title="Free Spoken Digit Dataset (Zohar Jackson et al.)",
        homepage="https://github.com/Jakobovski/free-spoken-digit-dataset",
        licence="CC BY-SA 4.0",
        citation="Zohar Jackson et al. Free Spoken Digit Dataset (FSDD), 2016. "
                 "https://github.com/Jakobovski/free-spoken-digit-dataset",
        size=f"GitHub archive of the repository at {FSDD_REVISION[:7]}; 3,000 short wav files",
        checksum_source="none published (GitHub archives are not byte-stable); checked by structure: "
                        "3,000 files, 8 kHz mono 16-bit, 300 test recordings",
        returns="AudioSet: 1 s float32 clips at 16 kHz, labels 0-9 ('zero'..'nine'), split test for "
                "recording index 0-4, speaker/index/file in extra",
        remotes=(Remote("https://github.com/Jakobovski/free-spoken-digit-dataset/archive/"
                        f"{FSDD_REVISION}.zip", f"free-spoken-digit-dataset-{FSDD_REVISION[:7]}.zip"),),
        members=(Member("recordings", pattern=parsers.FSDD_FILE.pattern, many=True, count=3_000),),
        parse=parsers.parse_fsdd, count=parsers.count_audio,
        counts={"files": 3_000, "train": 2_700, "test": 300, "classes": 10, "speakers": 6},
    ),
    DatasetSpec(
        name="clinc150",
        title="CLINC150 intent classification with out-of-scope queries (Larson et al., 2019)",
        homepage="https://github.com/clinc/oos-eval",
        licence="CC BY 3.0",
        citation="Stefan Larson et al. An Evaluation Dataset for Intent Classification and "
                 "Out-of-Scope Prediction. EMNLP-IJCNLP 2019. arXiv:1909.02027",
        size="data_full.json, about 2.5 MB",
        checksum_source=f"sha256 of data/data_full.json at clinc/oos-eval@{CLINC_REVISION[:7]}, "
                        "verified by the course team (dataset-checksums.md)",
        returns="TextSet: train/val/test; 150 intents plus 'oos' (the last label)",
        remotes=(Remote(f"https://raw.githubusercontent.com/clinc/oos-eval/{CLINC_REVISION}/data/"
                        "data_full.json", "data_full.json", CLINC_SHA256),),
        members=(Member("data_full.json", CLINC_SHA256),),
        parse=parsers.parse_clinc150, count=parsers.count_text,
        counts={"train": 15_100, "val": 3_100, "test": 5_500, "oos_train": 100, "oos_val": 100,
                "oos_test": 1_000, "intents": 150, "classes": 151},
    ),
    DatasetSpec(
        name="banking77",
        title="Banking77 intent detection (PolyAI, 2020)",
        homepage="https://github.com/PolyAI-LDN/task-specific-datasets",
        licence="CC BY 4.0",
        citation="Iñigo Casanueva, Tadas Temčinas, Daniela Gerz, Matthew Henderson, Ivan Vulić. "
                 "Efficient Intent Detection with Dual Sentence Encoders. 2020. arXiv:2003.04807",
        size="train.csv and test.csv, about 1.1 MB",
        checksum_source="sha256 of banking_data/train.csv and test.csv at PolyAI-LDN/"
                        f"task-specific-datasets@{BANKING_REVISION[:7]}, verified by the course team "
                        "(dataset-checksums.md)",
        returns="TextSet: train/val/test, 77 intents; val = 10% of each intent's train rows "
                "(seed 0; val_fraction=0 for none)",
        remotes=tuple(Remote(f"https://raw.githubusercontent.com/PolyAI-LDN/task-specific-datasets/"
                             f"{BANKING_REVISION}/banking_data/{n}", n, c) for n, c in BANKING_FILES.items()),
        members=tuple(Member(n, c) for n, c in BANKING_FILES.items()),
        parse=parsers.parse_banking77, count=parsers.count_text,
        counts={"train_csv": 10_003, "test": 3_080, "classes": 77},
    ),
    DatasetSpec(
        name="online-retail",
        title="Online Retail (UCI Machine Learning Repository, id 352)",
        homepage="https://archive.ics.uci.edu/dataset/352/online+retail",
        licence="CC BY 4.0",
        citation="Daqing Chen. Online Retail [Dataset]. UCI Machine Learning Repository, 2015. "
                 "https://doi.org/10.24432/C5BW33",
        size="online+retail.zip holding 'Online Retail.xlsx', about 23 MB",
        checksum_source="none published; checked by structure: 541,909 rows, 8 columns",
        returns="OnlineRetail: transactions (canonical columns, parsed types), daily_sales() "
                "(date, product_id, units, price)",
        remotes=(Remote("https://archive.ics.uci.edu/static/public/352/online+retail.zip",
                        "online_retail.zip"),),
        # the xlsx as published, or a CSV export of it with the same columns
        members=(Member("Online Retail.xlsx", pattern=r"(?i)online[ _-]?retail.*\.(xlsx|csv)"),),
        parse=parsers.parse_online_retail, count=parsers.count_retail,
        counts={"rows": 541_909, "columns": 8},
    ),
]

REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in _SPECS}


def get_spec(name: str) -> DatasetSpec:
    """The spec of dataset `name`; an unknown name raises a one-line error listing the known ones."""
    if name not in REGISTRY:
        raise DatasetNotFound(f"unknown dataset {name!r}: known datasets are {', '.join(REGISTRY)}")
    return REGISTRY[name]


def info(name: str) -> dict:
    """Metadata of dataset `name`: URLs, licence, citation, size, checksums and their source."""
    return get_spec(name).describe()
