"""One parser per dataset: official file formats in, the shop world's types out.

Each parser takes `files` (member name -> list of `Found`, as located by `sources.scan`) and
checks the format as it reads (magic numbers, headers, sizes, sample rates), so a truncated or
corrupted file fails with a one-line `DatasetError` naming it even when checksums are skipped.
Each `count_*` function returns the numbers that `datasets check` prints and `verify` compares
with the official counts.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..types import RATINGS_COLUMNS, SALES_COLUMNS, AudioSet, ImageSet, TextSet
from .errors import DatasetError
from .sources import Found


def _fail(found: Found, message: str) -> DatasetError:
    return DatasetError(f"{found.origin}: {message}")


def _one(files: dict[str, list[Found]], name: str) -> Found:
    return files[name][0]


# ---------------------------------------------------------------- MovieLens 100K

ML_GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
             "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
             "Romance", "Sci-Fi", "Thriller", "War", "Western"]  # u.item's 19 flags, in order (README)


@dataclass
class MovieLens:
    """MovieLens 100K: `ratings` (RATINGS_COLUMNS), `items`, `users`, and the official splits.

    items: item_id, title, release_date (datetime64[ns], NaT where missing), imdb_url,
    genres ('|'-joined names; `items.genres.str.get_dummies('|')` gives the 19 flags).
    users: user_id, age, gender ('M'/'F'), occupation, zip_code (str).
    """
    ratings: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame
    splits: dict = field(default_factory=dict)  # name -> (train, test), e.g. "u1"

    def split(self, name: str = "u1") -> tuple[pd.DataFrame, pd.DataFrame]:
        """The official train/test split `name` (u1.base/u1.test), as RATINGS_COLUMNS frames."""
        if name not in self.splits:
            raise ValueError(f"unknown split {name!r}: available {', '.join(sorted(self.splits))}")
        train, test = self.splits[name]
        return train.copy(), test.copy()


def _read_ratings(found: Found) -> pd.DataFrame:
    try:
        df = pd.read_csv(io.BytesIO(found.read()), sep="\t", header=None, names=RATINGS_COLUMNS,
                         dtype="int64")
    except (ValueError, pd.errors.ParserError) as e:
        raise _fail(found, f"not a MovieLens ratings file: expected 4 tab-separated integers "
                           f"per line (user, item, rating, unix time) ({_first_line(e)})") from None
    if not df["rating"].between(1, 5).all():
        raise _fail(found, "ratings must be integers 1-5")
    df["timestamp"] = pd.to_datetime(df["timestamp"], unit="s").astype("datetime64[ns]")
    return df


def _read_pipe(found: Found, names: list[str], what: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(io.BytesIO(found.read()), sep="|", header=None, encoding="latin-1",
                         quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as e:
        raise _fail(found, f"not a MovieLens {what} file ({_first_line(e)})") from None
    if df.shape[1] != len(names):
        raise _fail(found, f"not a MovieLens {what} file: expected {len(names)} '|'-separated "
                           f"fields per line, found {df.shape[1]}")
    df.columns = names
    return df


def _int_column(found: Found, df: pd.DataFrame, column: str) -> pd.Series:
    try:
        return df[column].astype("int64")
    except ValueError:
        raise _fail(found, f"column {column} must hold integers") from None


def parse_movielens(files: dict[str, list[Found]]) -> MovieLens:
    ratings = _read_ratings(_one(files, "u.data"))
    item_file = _one(files, "u.item")
    raw = _read_pipe(item_file, ["item_id", "title", "release_date", "video_release_date",
                                 "imdb_url", *ML_GENRES], "u.item")
    flags = raw[ML_GENRES]
    if not flags.isin(["0", "1"]).all().all():
        raise _fail(item_file, "the 19 genre fields must be 0 or 1")
    items = pd.DataFrame({
        "item_id": _int_column(item_file, raw, "item_id"),
        "title": raw["title"],
        "release_date": pd.to_datetime(raw["release_date"], format="%d-%b-%Y", errors="coerce")
                          .astype("datetime64[ns]"),
        "imdb_url": raw["imdb_url"],
        "genres": flags.eq("1").apply(lambda row: "|".join(g for g, on in zip(ML_GENRES, row) if on),
                                      axis=1).astype(str),
    })
    user_file = _one(files, "u.user")
    users = _read_pipe(user_file, ["user_id", "age", "gender", "occupation", "zip_code"], "u.user")
    users["user_id"] = _int_column(user_file, users, "user_id")
    users["age"] = _int_column(user_file, users, "age")
    split = (_read_ratings(_one(files, "u1.base")), _read_ratings(_one(files, "u1.test")))
    return MovieLens(ratings=ratings, items=items, users=users, splits={"u1": split})


def count_movielens(ml: MovieLens) -> dict:
    train, test = ml.splits["u1"]
    return {"ratings": len(ml.ratings), "users": len(ml.users), "items": len(ml.items),
            "rated_users": int(ml.ratings["user_id"].nunique()),
            "rated_items": int(ml.ratings["item_id"].nunique()),
            "u1_train": len(train), "u1_test": len(test)}


# ---------------------------------------------------------------- Fashion-MNIST

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
IDX_IMAGES, IDX_LABELS = 2051, 2049  # idx magic numbers: 0x0803 (uint8, 3 dims), 0x0801 (1 dim)


def read_idx(found: Found, magic: int) -> np.ndarray:
    """An idx file (gzipped, as published): big-endian header, then uint8 data."""
    try:
        raw = gzip.decompress(found.read())
    except (EOFError, OSError, zlib.error) as e:  # truncated or corrupted gzip stream
        raise _fail(found, f"not a complete gzip file ({e}); download it again") from None
    ndim = magic - 2048
    if len(raw) < 4 + 4 * ndim or int.from_bytes(raw[:4], "big") != magic:
        raise _fail(found, f"not an idx file with magic number {magic}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise _fail(found, f"header says {shape} but the file holds {data.size} bytes of data")
    return data.reshape(shape)


def parse_fashion_mnist(files: dict[str, list[Found]]) -> ImageSet:
    arrays = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = read_idx(_one(files, f"{prefix}-images-idx3-ubyte.gz"), IDX_IMAGES)
        label_file = _one(files, f"{prefix}-labels-idx1-ubyte.gz")
        y = read_idx(label_file, IDX_LABELS).astype(np.int64)
        if x.shape[1:] != (28, 28):
            raise _fail(_one(files, f"{prefix}-images-idx3-ubyte.gz"), f"images are {x.shape[1:]}, not 28x28")
        if len(x) != len(y):
            raise _fail(label_file, f"{len(y)} labels for {len(x)} images")
        if y.size and y.max() >= len(FASHION_CLASSES):
            raise _fail(label_file, f"labels must be 0-9, found {y.max()}")
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x.copy(), y  # copy: writable, not a view of bytes
    return ImageSet(**arrays, class_names=list(FASHION_CLASSES))


def count_images(ds: ImageSet) -> dict:
    return {"train": len(ds.x_train), "test": len(ds.x_test), "classes": len(ds.class_names)}


# ---------------------------------------------------------------- Free Spoken Digit Dataset

FSDD_FILE = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)\.wav$")  # {digit}_{speaker}_{index}.wav
DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
FSDD_RATE = 8_000


def fit_length(wave: np.ndarray, length: int) -> np.ndarray:
    """Centre `wave` in `length` samples: zero-pad both sides, or keep the middle part."""
    extra = len(wave) - length
    if extra >= 0:
        return wave[extra // 2: extra // 2 + length]
    left = -extra // 2
    return np.pad(wave, (left, -extra - left))


def _read_wav(found: Found) -> np.ndarray:
    from scipy.io import wavfile

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", wavfile.WavFileWarning)  # "reached EOF": truncated
            rate, wave = wavfile.read(io.BytesIO(found.read()))
    except Exception as e:  # scipy raises ValueError, struct.error, EOFError... for bad files
        raise _fail(found, f"not a complete wav file ({_first_line(e)})") from None
    if rate != FSDD_RATE or wave.ndim != 1 or wave.dtype != np.int16:
        channels = 1 if wave.ndim == 1 else wave.shape[1]
        raise _fail(found, f"expected 8 kHz mono 16-bit, found {rate} Hz, {channels} channel(s), {wave.dtype}")
    return wave


def parse_fsdd(files: dict[str, list[Found]], sample_rate: int = 16_000) -> AudioSet:
    """Recordings -> 1 s clips at `sample_rate`; recordings with index 0-4 are the test split."""
    from ..audio import resample

    clips = sorted(files["recordings"], key=lambda f: _fsdd_key(f.name))
    waves, digits, speakers, indices = [], [], [], []
    for found in clips:
        digit, speaker, index = _fsdd_key(found.name)
        wave = resample(_read_wav(found).astype(np.float32) / 32768.0, FSDD_RATE, sample_rate)
        waves.append(fit_length(np.clip(wave, -1.0, 1.0), sample_rate))
        digits.append(digit), speakers.append(speaker), indices.append(index)
    indices = np.array(indices, dtype=np.int64)
    return AudioSet(
        waves=np.stack(waves).astype(np.float32) if waves else np.zeros((0, sample_rate), np.float32),
        labels=np.array(digits, dtype=np.int64),
        split=np.where(indices <= 4, "test", "train"),
        class_names=list(DIGIT_NAMES), sample_rate=sample_rate,
        extra={"speaker": np.array(speakers, dtype=str), "index": indices,
               "file": np.array([f.name for f in clips], dtype=str)})


def _fsdd_key(name: str) -> tuple[int, str, int]:
    digit, speaker, index = FSDD_FILE.match(name).groups()
    return int(digit), speaker, int(index)


def count_audio(ds: AudioSet) -> dict:
    return {"files": len(ds.labels), "train": int((ds.split == "train").sum()),
            "test": int((ds.split == "test").sum()), "classes": len(ds.class_names),
            "speakers": len(set(ds.extra.get("speaker", [])))}


# ---------------------------------------------------------------- CLINC150 and Banking77

OOS = "oos"
CLINC_KEYS = {"train": "train", "val": "val", "test": "test",
              "oos_train": "train", "oos_val": "val", "oos_test": "test"}


def _text_set(rows: pd.DataFrame, class_names: list[str], **extra) -> TextSet:
    label = {c: i for i, c in enumerate(class_names)}
    rows = rows.reset_index(drop=True)
    rows["label"] = rows["intent"].map(label).astype("int64")
    return TextSet(data=rows[["text", "intent", "label", "split"]], class_names=class_names, extra=extra)


def parse_clinc150(files: dict[str, list[Found]]) -> TextSet:
    """data_full.json -> TextSet; out-of-scope queries keep intent 'oos', the last label."""
    found = _one(files, "data_full.json")
    try:
        data = json.loads(found.read())
    except (ValueError, UnicodeDecodeError) as e:
        raise _fail(found, f"not valid JSON ({_first_line(e)}); it may be truncated") from None
    missing = sorted(set(CLINC_KEYS) - set(data)) if isinstance(data, dict) else sorted(CLINC_KEYS)
    if missing:
        raise _fail(found, f"not CLINC150's data_full.json: missing keys {missing}")
    frames = []
    for key, split in CLINC_KEYS.items():
        pairs = data[key]
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise _fail(found, f"{key}: every entry must be [text, intent]")
        frames.append(pd.DataFrame(pairs, columns=["text", "intent"], dtype=str).assign(split=split))
    rows = pd.concat(frames)
    in_scope = sorted(set(rows["intent"]) - {OOS})
    return _text_set(rows, in_scope + [OOS], oos_intent=OOS)


def _read_banking(found: Found, split: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(io.BytesIO(found.read()), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise _fail(found, f"not a Banking77 csv ({_first_line(e)})") from None
    if list(df.columns) != ["text", "category"]:
        raise _fail(found, f"expected the header 'text,category', found {','.join(map(str, df.columns))}")
    return pd.DataFrame({"text": df["text"], "intent": df["category"], "split": split})


def validation_split(intents: pd.Series, fraction: float, seed: int) -> np.ndarray:
    """A boolean mask: `fraction` of each intent's rows (rounded), drawn with `seed`."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {fraction!r}")
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(intents), dtype=bool)
    for intent in sorted(intents.unique()):
        rows = np.flatnonzero(intents.to_numpy() == intent)
        mask[rng.permutation(rows)[: int(round(fraction * len(rows)))]] = True
    return mask


def parse_banking77(files: dict[str, list[Found]], val_fraction: float = 0.1, seed: int = 0) -> TextSet:
    """train.csv/test.csv -> TextSet; `val_fraction` of each intent's train rows become 'val'.

    The official release has no validation split; ours is drawn per intent with `seed`, so it is
    the same on every machine. `val_fraction=0` keeps the official train set whole.
    """
    train = _read_banking(_one(files, "train.csv"), "train")
    train.loc[validation_split(train["intent"], val_fraction, seed), "split"] = "val"
    test = _read_banking(_one(files, "test.csv"), "test")
    rows = pd.concat([train, test])
    return _text_set(rows, sorted(rows["intent"].unique()), val_fraction=val_fraction, seed=seed)


def count_text(ds: TextSet) -> dict:
    sizes = ds.data["split"].value_counts()
    counts = {s: int(sizes.get(s, 0)) for s in ("train", "val", "test")}
    counts["classes"] = len(ds.class_names)
    if OOS in ds.class_names:  # CLINC150: out-of-scope rows per split, and the 150 in-scope intents
        oos = ds.data[ds.data["intent"] == OOS]["split"].value_counts()
        counts.update({f"oos_{s}": int(oos.get(s, 0)) for s in ("train", "val", "test")})
        counts["intents"] = len(ds.class_names) - 1
    else:  # Banking77: the official train.csv is our train + val
        counts["train_csv"] = counts["train"] + counts["val"]
    return counts


# ---------------------------------------------------------------- Online Retail (UCI)

RETAIL_COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                  "CustomerID", "Country"]


@dataclass
class OnlineRetail:
    """UCI Online Retail: one row per invoice line, canonical columns with parsed types.

    InvoiceNo/StockCode/Description/Country: str; Quantity: int64; InvoiceDate: datetime64[ns];
    UnitPrice: float64; CustomerID: Int64 (missing for guest checkouts). An InvoiceNo starting
    with 'C' is a cancellation.
    """
    transactions: pd.DataFrame

    def daily_sales(self) -> pd.DataFrame:
        """Units sold and their average price per day and product (SALES_COLUMNS).

        Left out: cancellations (InvoiceNo 'C...'), lines with a non-positive quantity or price
        (returns, write-offs, bad-debt adjustments) and service lines, whose StockCode has no
        digit (POST, DOT, M, BANK CHARGES, AMAZONFEE...). price is units-weighted: revenue / units.
        Days on which a product sold nothing have no row.
        """
        t = self.transactions
        sold = t[~t["InvoiceNo"].str.startswith("C") & (t["Quantity"] > 0) & (t["UnitPrice"] > 0)
                 & t["StockCode"].str.contains(r"\d")]
        sold = pd.DataFrame({"date": sold["InvoiceDate"].dt.normalize(), "product_id": sold["StockCode"],
                             "units": sold["Quantity"], "revenue": sold["Quantity"] * sold["UnitPrice"]})
        daily = sold.groupby(["date", "product_id"], as_index=False, sort=True)[["units", "revenue"]].sum()
        daily["price"] = daily["revenue"] / daily["units"]
        return daily[SALES_COLUMNS].reset_index(drop=True)


def parse_online_retail(files: dict[str, list[Found]]) -> OnlineRetail:
    found = _one(files, "Online Retail.xlsx")
    if found.name.lower().endswith(".xlsx"):
        raw = _read_xlsx(found)
    else:
        raw = _read_retail_csv(found)
    missing = [c for c in RETAIL_COLUMNS if c not in raw.columns]
    if missing:
        raise _fail(found, f"missing columns {missing}; Online Retail needs {', '.join(RETAIL_COLUMNS)}")
    raw = raw[RETAIL_COLUMNS]
    try:
        t = pd.DataFrame({
            "InvoiceNo": _text(raw["InvoiceNo"]),
            "StockCode": _text(raw["StockCode"]),
            "Description": _text(raw["Description"]),
            "Quantity": pd.to_numeric(raw["Quantity"]).astype("int64"),
            "InvoiceDate": _retail_dates(raw["InvoiceDate"]),
            "UnitPrice": pd.to_numeric(raw["UnitPrice"]).astype("float64"),
            "CustomerID": pd.to_numeric(raw["CustomerID"]).astype("Int64"),
            "Country": _text(raw["Country"]),
        })
    except (ValueError, TypeError) as e:
        raise _fail(found, f"unreadable values ({_first_line(e)})") from None
    return OnlineRetail(transactions=t)


def _text(values: pd.Series) -> pd.Series:
    """str, with missing values (some descriptions) as '' whether they came from xlsx or csv."""
    return values.fillna("").astype(str).str.strip()


def _read_retail_csv(found: Found) -> pd.DataFrame:
    data = found.read()
    text_columns = {c: str for c in ("InvoiceNo", "StockCode", "Description", "Country", "InvoiceDate")}
    for encoding in ("utf-8", "latin-1"):  # exports of the xlsx come in both
        try:
            return pd.read_csv(io.BytesIO(data), dtype=text_columns, encoding=encoding,
                               keep_default_na=False, na_values={"CustomerID": [""]})
        except UnicodeDecodeError:
            continue
        except (ValueError, pd.errors.ParserError) as e:
            raise _fail(found, f"not a readable csv ({_first_line(e)})") from None
    raise _fail(found, "not a text csv file")


def _read_xlsx(found: Found) -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401  (pandas' xlsx reader)
    except ImportError:
        raise _fail(found, "reading .xlsx needs openpyxl: pip install openpyxl, or export the sheet "
                           f"to CSV (columns {','.join(RETAIL_COLUMNS)}) and load that") from None
    try:
        return pd.read_excel(io.BytesIO(found.read()), engine="openpyxl",
                             dtype={"InvoiceNo": str, "StockCode": str, "Description": str, "Country": str})
    except Exception as e:  # openpyxl raises many kinds (zipfile, xml, KeyError) for a bad file
        raise _fail(found, f"not a readable xlsx file ({_first_line(e)})") from None


RETAIL_DATE_FORMATS = ("ISO8601", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")


def _retail_dates(values: pd.Series) -> pd.Series:
    """The xlsx holds datetimes; CSV exports hold ISO text or the sheet's US 'm/d/Y H:M' (or a
    day-first locale's). The whole column must parse in one format, tried month-first before
    day-first: the full year has days past the 12th, so a day-first export never passes as
    month-first, but a subset whose days are all <= 12 is read month-first, as the sheet is."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[ns]")
    for fmt in RETAIL_DATE_FORMATS:
        try:
            return pd.to_datetime(values, format=fmt).astype("datetime64[ns]")
        except (ValueError, TypeError):
            continue
    raise ValueError(f"InvoiceDate matches none of the formats {', '.join(RETAIL_DATE_FORMATS)}")


def count_retail(r: OnlineRetail) -> dict:
    t = r.transactions
    return {"rows": len(t), "columns": t.shape[1], "invoices": int(t["InvoiceNo"].nunique()),
            "products": int(t["StockCode"].nunique()), "customers": int(t["CustomerID"].nunique()),
            "countries": int(t["Country"].nunique())}


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
