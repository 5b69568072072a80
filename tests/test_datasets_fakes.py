"""Tiny files in the exact official formats of the registry's datasets (no real data).

Imported by the other test_datasets_* files; it has no tests of its own.
"""
from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np
from scipy.io import wavfile

# ---------------------------------------------------------------- MovieLens 100K

ML_DATA = [(1, 10, 5, 874965758), (1, 20, 3, 876893171), (2, 10, 4, 878542960),
           (2, 30, 1, 876893119), (3, 20, 2, 889751712)]
ML_U1_BASE, ML_U1_TEST = ML_DATA[:4], ML_DATA[4:]
ML_ITEM = [  # id|title|release|video release|url|19 genre flags (latin-1, as published)
    "10|Café Society (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Caf%E9|" + "|".join("0100100000000000000"),
    "20|\"Quoted\" Title (1996)|22-Mar-1996||http://us.imdb.com/x|" + "|".join("0000000010000000000"),
    "30|unknown||||" + "|".join("1000000000000000000"),
]
ML_USER = ["1|24|M|technician|85711", "2|53|F|other|94043", "3|23|M|writer|32067"]


def ml_members() -> dict[str, bytes]:
    """The five files the parser needs, as bytes, keyed by base name."""
    def tsv(rows):
        return "".join("\t".join(map(str, r)) + "\n" for r in rows).encode("ascii")
    return {"u.data": tsv(ML_DATA), "u.item": ("\n".join(ML_ITEM) + "\n").encode("latin-1"),
            "u.user": ("\n".join(ML_USER) + "\n").encode("ascii"),
            "u1.base": tsv(ML_U1_BASE), "u1.test": tsv(ML_U1_TEST)}


def write_ml_zip(path: Path, members: dict[str, bytes] | None = None) -> Path:
    """ml-100k.zip as GroupLens publishes it: files inside an ml-100k/ folder."""
    members = ml_members() if members is None else members
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ml-100k/README", "MovieLens 100K (fake for tests)\n")
        for name, data in members.items():
            zf.writestr(f"ml-100k/{name}", data)
    return path


def write_ml_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in ml_members().items():
        (folder / name).write_bytes(data)
    return folder


# ---------------------------------------------------------------- Fashion-MNIST

FASHION_NAMES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                 "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def idx_bytes(array: np.ndarray) -> bytes:
    """An idx file: magic 0x0000 08 <ndim>, big-endian int32 dims, then uint8 data; gzipped."""
    array = np.asarray(array, dtype=np.uint8)
    header = (0x0800 + array.ndim).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.tobytes(), mtime=0)


def fashion_arrays(n_train: int = 6, n_test: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": np.arange(n_train) % 10, "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": (np.arange(n_test) + 3) % 10}


def fashion_members(arrays: dict[str, np.ndarray] | None = None) -> dict[str, bytes]:
    a = fashion_arrays() if arrays is None else arrays
    out = {}
    for split, (images, labels) in FASHION_NAMES.items():
        out[images], out[labels] = idx_bytes(a[f"x_{split}"]), idx_bytes(a[f"y_{split}"])
    return out


def write_fashion(folder: Path, arrays: dict[str, np.ndarray] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in fashion_members(arrays).items():
        (folder / name).write_bytes(data)
    return folder


# ---------------------------------------------------------------- FSDD

def wav_bytes(samples: np.ndarray, rate: int = 8_000) -> bytes:
    buf = io.BytesIO()
    wavfile.write(buf, rate, samples)
    return buf.getvalue()


def tone(freq: float, seconds: float, rate: int = 8_000, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


FSDD_CLIPS = {  # name -> (frequency, seconds): short clips are padded, the long one trimmed
    "0_jackson_0.wav": (300, 0.4), "0_jackson_7.wav": (300, 0.5), "3_theo_4.wav": (500, 0.3),
    "3_theo_12.wav": (500, 1.5), "9_lucas_49.wav": (700, 0.6),
}


def fsdd_members() -> dict[str, bytes]:
    return {name: wav_bytes(tone(f, s)) for name, (f, s) in FSDD_CLIPS.items()}


def write_fsdd_zip(path: Path, members: dict[str, bytes] | None = None) -> Path:
    """The GitHub archive's layout: <repo>-<rev>/recordings/*.wav, plus other files."""
    members = fsdd_members() if members is None else members
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("free-spoken-digit-dataset-x/README.md", "# FSDD (fake)\n")
        for name, data in members.items():
            zf.writestr(f"free-spoken-digit-dataset-x/recordings/{name}", data)
    return path


# ---------------------------------------------------------------- CLINC150, Banking77

CLINC = {
    "train": [["what is my balance", "balance"], ["book a table for two", "restaurant_reservation"],
              ["how much money do i have", "balance"]],
    "val": [["check my balance", "balance"]],
    "test": [["reserve a table at noon", "restaurant_reservation"], ["balance please", "balance"]],
    "oos_train": [["how tall is everest", "oos"]],
    "oos_val": [["who won the match", "oos"]],
    "oos_test": [["tell me a poem", "oos"], ["what is a quark", "oos"]],
}


def clinc_bytes(data: dict | None = None) -> bytes:
    return json.dumps(CLINC if data is None else data).encode("utf-8")


BANKING_TRAIN = ("text,category\n"
                 "How do I locate my card?,card_arrival\n"
                 "\"I ordered a card, where is it?\",card_arrival\n"
                 "My card has not arrived yet.,card_arrival\n"
                 "When will I get my card?,card_arrival\n"
                 "What exchange rates do you offer?,exchange_rate\n"
                 "How are exchange rates calculated?,exchange_rate\n"
                 "What is the exchange rate like?,exchange_rate\n"
                 "Why is there an extra €1 fee?,extra_charge_on_statement\n")
BANKING_TEST = ("text,category\n"
                "Is there a way to know when my card will arrive?,card_arrival\n"
                "\"The exchange rate, is it good?\",exchange_rate\n"
                "What is this $1 charge on my statement?,extra_charge_on_statement\n")


def write_banking(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.csv").write_text(BANKING_TRAIN, encoding="utf-8")
    (folder / "test.csv").write_text(BANKING_TEST, encoding="utf-8")
    return folder


# ---------------------------------------------------------------- Online Retail

RETAIL_CSV = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n"
    "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom\n"
    "536366,85123A,WHITE HANGING HEART T-LIGHT HOLDER,2,12/1/2010 9:00,2.95,,United Kingdom\n"
    "C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,12/1/2010 9:41,2.55,14527.0,United Kingdom\n"
    "536380,22423,REGENCY CAKESTAND 3 TIER,1,12/2/2010 10:00,12.75,13047.0,France\n"
    "536381,22423,\"CAKESTAND, DAMAGED\",-3,12/2/2010 11:00,0.0,,United Kingdom\n"
    "536382,POST,POSTAGE,1,12/2/2010 11:30,18.0,12583.0,France\n"
    "536383,22633,,5,12/2/2010 12:00,1.85,,United Kingdom\n"
)
