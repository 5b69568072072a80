"""Parsers of the real-dataset registry: tiny files in the official formats -> the shared types.

No real data and no network: every file is written here (see test_datasets_fakes.py).
"""
from __future__ import annotations

import gzip
import re
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from course_lib import datasets
from course_lib.datasets.errors import DatasetError
from course_lib.types import RATINGS_COLUMNS, SALES_COLUMNS, AudioSet, ImageSet, TextSet

sys.path.insert(0, str(Path(__file__).parent))
import test_datasets_fakes as fakes  # noqa: E402


def load(name, path, **kw):
    return datasets.load(name, path=path, verify=False, **kw)


# ---------------------------------------------------------------- MovieLens 100K

def test_movielens_ratings_items_users_and_split(tmp_path):
    ml = load("movielens-100k", fakes.write_ml_zip(tmp_path / "ml-100k.zip"))
    assert list(ml.ratings.columns) == RATINGS_COLUMNS
    assert [str(t) for t in ml.ratings.dtypes] == ["int64", "int64", "int64", "datetime64[ns]"]
    assert ml.ratings[["user_id", "item_id", "rating"]].values.tolist() == [list(r[:3]) for r in fakes.ML_DATA]
    assert ml.ratings["timestamp"].iloc[0] == pd.Timestamp(874965758, unit="s")
    items = ml.items.set_index("item_id")
    assert items.loc[10, "title"] == "Café Society (1995)"           # latin-1 decoded
    assert items.loc[20, "title"] == '"Quoted" Title (1996)'         # quotes are not CSV quoting
    assert items.loc[10, "genres"] == "Action|Children's"
    assert items.loc[10, "release_date"] == pd.Timestamp("1995-01-01")
    assert pd.isna(items.loc[30, "release_date"]) and items.loc[30, "genres"] == "unknown"
    assert ml.users["age"].tolist() == [24, 53, 23] and ml.users["zip_code"].iloc[0] == "85711"
    train, test = ml.split("u1")
    assert list(train.columns) == RATINGS_COLUMNS and (len(train), len(test)) == (4, 1)
    assert test["user_id"].tolist() == [3]
    with pytest.raises(ValueError, match="u1"):
        ml.split("u9")


def test_movielens_bad_ratings_line_names_the_file(tmp_path):
    members = fakes.ml_members()
    members["u.data"] += b"7\t8\tfive\t874965758\n"
    with pytest.raises(DatasetError, match=r"ml-100k.zip:ml-100k/u\.data: not a MovieLens ratings file"):
        load("movielens-100k", fakes.write_ml_zip(tmp_path / "ml-100k.zip", members))


# ---------------------------------------------------------------- Fashion-MNIST

def test_fashion_mnist_imageset(tmp_path):
    arrays = fakes.fashion_arrays()
    ds = load("fashion-mnist", fakes.write_fashion(tmp_path / "fm", arrays))
    assert isinstance(ds, ImageSet)
    assert ds.x_train.dtype == np.uint8 and ds.x_train.shape == (6, 28, 28)
    assert ds.y_train.dtype == np.int64 and ds.x_test.shape == (4, 28, 28)
    np.testing.assert_array_equal(ds.x_train, arrays["x_train"])
    np.testing.assert_array_equal(ds.y_test, arrays["y_test"])
    assert ds.class_names == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                              "Shirt", "Sneaker", "Bag", "Ankle boot"]


def test_truncated_gzip_is_a_clear_error(tmp_path):
    folder = fakes.write_fashion(tmp_path / "fm")
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte\.gz: not a complete gzip file") as e:
        load("fashion-mnist", folder)
    assert "\n" not in str(e.value)


def test_idx_header_promising_more_data_is_an_error(tmp_path):
    folder = fakes.write_fashion(tmp_path / "fm")
    raw = gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw[:-1]))  # one label short
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte.gz: header says"):
        load("fashion-mnist", folder)


def test_wrong_idx_magic_is_an_error(tmp_path):
    folder = fakes.write_fashion(tmp_path / "fm")
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(fakes.idx_bytes(np.zeros((6, 28, 28))))
    with pytest.raises(DatasetError, match="magic number 2049"):
        load("fashion-mnist", folder)


# ---------------------------------------------------------------- FSDD

def test_fsdd_audioset_resampled_fitted_and_split(tmp_path):
    ds = load("fsdd", fakes.write_fsdd_zip(tmp_path / "fsdd.zip"))
    assert isinstance(ds, AudioSet) and ds.sample_rate == 16_000
    assert ds.waves.dtype == np.float32 and ds.waves.shape == (5, 16_000)
    assert np.abs(ds.waves).max() <= 1.0
    # sorted by (digit, speaker, index)
    assert ds.extra["file"].tolist() == ["0_jackson_0.wav", "0_jackson_7.wav", "3_theo_4.wav",
                                         "3_theo_12.wav", "9_lucas_49.wav"]
    assert ds.labels.tolist() == [0, 0, 3, 3, 9] and ds.labels.dtype == np.int64
    assert ds.split.tolist() == ["test", "train", "test", "train", "train"]    # index 0-4 is test
    assert ds.extra["speaker"].tolist() == ["jackson", "jackson", "theo", "theo", "lucas"]
    assert ds.class_names[0] == "zero" and ds.class_names[9] == "nine"
    # a 0.4 s clip is centred: 6,400 samples at 16 kHz with silence on both sides
    nonzero = np.flatnonzero(np.abs(ds.waves[0]) > 1e-3)
    assert 4_600 <= nonzero[0] <= 4_900 and 11_100 <= nonzero[-1] <= 11_400
    # resampling keeps the pitch: over 16,000 samples at 16 kHz the rfft bins are 1 Hz apart
    assert abs(np.argmax(np.abs(np.fft.rfft(ds.waves[0]))) - 300) <= 2
    # the 1.5 s clip is trimmed to its middle second, so it is sound from end to end
    assert np.abs(ds.waves[3][:50]).max() > 0.1 and np.abs(ds.waves[3][-50:]).max() > 0.1


def test_fsdd_wrong_rate_and_truncated_wav_name_the_file(tmp_path):
    members = fakes.fsdd_members()
    members["5_theo_3.wav"] = fakes.wav_bytes(fakes.tone(300, 0.2, rate=16_000), rate=16_000)
    with pytest.raises(DatasetError, match=r"5_theo_3\.wav: expected 8 kHz mono 16-bit, found 16000 Hz"):
        load("fsdd", fakes.write_fsdd_zip(tmp_path / "a.zip", members))
    members = fakes.fsdd_members()
    members["0_jackson_0.wav"] = members["0_jackson_0.wav"][:-100]
    with pytest.raises(DatasetError, match=r"0_jackson_0\.wav: not a complete wav file"):
        load("fsdd", fakes.write_fsdd_zip(tmp_path / "b.zip", members))


# ---------------------------------------------------------------- CLINC150, Banking77

def test_clinc150_textset_with_oos_last(tmp_path):
    path = tmp_path / "data_full.json"
    path.write_bytes(fakes.clinc_bytes())
    ds = load("clinc150", path)
    assert isinstance(ds, TextSet)
    assert ds.class_names == ["balance", "restaurant_reservation", "oos"]
    assert ds.data["label"].dtype == np.int64
    assert (ds.data["label"] == [ds.class_names.index(i) for i in ds.data["intent"]]).all()
    assert [len(ds.subset(s)) for s in ("train", "val", "test")] == [4, 2, 4]
    assert ds.subset("test")["intent"].tolist() == ["restaurant_reservation", "balance", "oos", "oos"]
    assert ds.extra["oos_intent"] == "oos"


def test_clinc150_truncated_json_is_an_error(tmp_path):
    path = tmp_path / "data_full.json"
    path.write_bytes(fakes.clinc_bytes()[:-30])
    with pytest.raises(DatasetError, match="data_full.json: not valid JSON"):
        load("clinc150", path)


def test_banking77_val_split_is_stratified_and_deterministic(tmp_path):
    folder = fakes.write_banking(tmp_path / "banking_data")
    ds = load("banking77", folder, val_fraction=0.5)
    assert ds.class_names == ["card_arrival", "exchange_rate", "extra_charge_on_statement"]
    val = ds.subset("val")
    # half of each intent's train rows, rounded: 4 -> 2, 3 -> 2 (round half to even: 1.5 -> 2), 1 -> 0
    assert val["intent"].value_counts().to_dict() == {"card_arrival": 2, "exchange_rate": 2}
    assert len(ds.subset("train")) == 4 and len(ds.subset("test")) == 3
    assert "I ordered a card, where is it?" in ds.data["text"].tolist()   # quoted comma kept
    again = load("banking77", folder, val_fraction=0.5)
    pd.testing.assert_frame_equal(ds.data, again.data)
    whole = load("banking77", folder, val_fraction=0)
    assert len(whole.subset("val")) == 0 and len(whole.subset("train")) == 8


def test_banking77_wrong_header_and_bad_option(tmp_path):
    folder = fakes.write_banking(tmp_path / "b")
    with pytest.raises(ValueError, match="no option colour; its options: val_fraction, seed"):
        load("banking77", folder, colour=1)
    (folder / "test.csv").write_text("query,label\nhi,card_arrival\n")
    with pytest.raises(DatasetError, match="test.csv: expected the header 'text,category'"):
        load("banking77", folder)


# ---------------------------------------------------------------- Online Retail

def test_online_retail_csv_types_and_daily_sales(tmp_path):
    path = tmp_path / "online_retail.csv"
    path.write_text(fakes.RETAIL_CSV, encoding="utf-8")
    retail = load("online-retail", path)
    t = retail.transactions
    assert list(t.columns) == ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                               "UnitPrice", "CustomerID", "Country"]
    assert str(t["InvoiceDate"].dtype) == "datetime64[ns]" and t["Quantity"].dtype == np.int64
    assert t["InvoiceDate"].iloc[0] == pd.Timestamp("2010-12-01 08:26")   # US month/day order
    assert t["CustomerID"].dtype == "Int64" and pd.isna(t["CustomerID"].iloc[2])
    assert t["StockCode"].tolist()[:2] == ["85123A", "71053"]
    assert t["Description"].iloc[7] == ""    # a missing description is '', not 'nan'
    daily = retail.daily_sales()
    assert list(daily.columns) == SALES_COLUMNS
    # left out: cancellation C536379, the zero-price write-off, postage; price is units-weighted
    assert daily[["product_id", "units"]].values.tolist() == [["71053", 6], ["85123A", 8],
                                                               ["22423", 1], ["22633", 5]]
    assert daily["price"].tolist() == pytest.approx([3.39, (6 * 2.55 + 2 * 2.95) / 8, 12.75, 1.85])
    assert daily["date"].tolist() == [pd.Timestamp("2010-12-01")] * 2 + [pd.Timestamp("2010-12-02")] * 2


@pytest.mark.parametrize("fmt", ["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"])
def test_online_retail_csv_exports_with_iso_or_day_first_dates(tmp_path, fmt):
    rewrite = lambda m: datetime.strptime(m[0], "%m/%d/%Y %H:%M").strftime(fmt)  # noqa: E731
    # a day past the 12th tells day-first from month-first (the full year has many)
    extra_row = "536999,22423,REGENCY CAKESTAND 3 TIER,2,12/13/2010 9:15,12.75,13047.0,France\n"
    text = re.sub(r"\d+/\d+/2010 \d+:\d+", rewrite, fakes.RETAIL_CSV + extra_row)
    (tmp_path / "OnlineRetail.csv").write_text(text, encoding="latin-1")
    t = load("online-retail", tmp_path).transactions
    assert t["InvoiceDate"].iloc[0] == pd.Timestamp("2010-12-01 08:26")
    assert t["InvoiceDate"].iloc[4] == pd.Timestamp("2010-12-02 10:00")
    assert t["InvoiceDate"].iloc[-1] == pd.Timestamp("2010-12-13 09:15")


def test_online_retail_missing_column_and_xlsx_without_openpyxl(tmp_path):
    bad = tmp_path / "retail.csv"
    bad.write_text(fakes.RETAIL_CSV.replace("UnitPrice", "Price"))
    with pytest.raises(DatasetError, match=r"retail.csv: missing columns \['UnitPrice'\]"):
        load("online-retail", bad)
    try:
        import openpyxl  # noqa: F401
        pytest.skip("openpyxl is installed here")
    except ImportError:
        pass
    xlsx = tmp_path / "Online Retail.xlsx"
    xlsx.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DatasetError, match="needs openpyxl: pip install openpyxl, or export the sheet to CSV"):
        load("online-retail", tmp_path / "Online Retail.xlsx")
