"""Two years of daily sales with prices, promotions, holidays and stock-outs.

Expected demand of product p on day t (no noise):

    log lam = level_p + trend_p * years + weekly[weekday] + season_c * cos(2 pi (doy - peak_c) / 365.25)
              + elasticity_p * log(price / base_price) + 0.8 * log(competitor_price / price)
              + 0.3 * promo + holiday_lift

units ~ Poisson(lam * exp(eps)), eps ~ Normal(-s^2/2, s^2) with s = SALES_LOG_NOISE, so E[units] = lam
(`expected_units`) and Var[units] = lam + lam^2 (exp(s^2) - 1) (`noise_sd` is its square root: the
error no forecaster can remove). On stock-out days (`in_stock` False) units are 0: sales are censored
while demand is not.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .config import CATEGORIES, SALES_DAYS, SALES_LOG_NOISE, SALES_START, rng_for

WEEKLY = np.array([-0.15, -0.18, -0.12, -0.04, 0.10, 0.24, 0.15])    # Monday .. Sunday
# Yearly seasonality per category: amplitude and peak day of year (summer goods peak in July).
SEASON = {"T-shirt/top": (0.45, 190), "Trouser": (0.15, 280), "Pullover": (0.55, 15),
          "Dress": (0.45, 180), "Coat": (0.70, 5), "Sandal": (0.65, 185), "Shirt": (0.15, 100),
          "Sneaker": (0.20, 120), "Bag": (0.15, 330), "Ankle boot": (0.50, 20)}
HOLIDAY_LIFT = {"Singles' Day": 1.0, "Black Friday": 0.8, "Cyber Monday": 0.5, "618 Mid-year Sale": 0.6,
                "Christmas shopping": 0.3}
HOLIDAY_DISCOUNT = 0.2
CROSS_ELASTICITY = 0.8
PROMO_LIFT = 0.3


def holidays(dates: pd.DatetimeIndex) -> np.ndarray:
    """The shopping-holiday name of each date ('' on ordinary days)."""
    names = np.full(len(dates), "", dtype=object)
    month, day = dates.month.to_numpy(), dates.day.to_numpy()
    names[(month == 12) & (day >= 15) & (day <= 24)] = "Christmas shopping"
    names[(month == 6) & (day == 18)] = "618 Mid-year Sale"
    names[(month == 11) & (day == 11)] = "Singles' Day"
    for year in sorted(set(dates.year)):
        nov = pd.date_range(f"{year}-11-01", f"{year}-11-30")
        black_friday = nov[nov.day_of_week == 3][3] + pd.Timedelta(days=1)   # day after the 4th Thursday
        names[dates == black_friday] = "Black Friday"
        names[dates == black_friday + pd.Timedelta(days=3)] = "Cyber Monday"
    return names.astype(str)


def _episodes(rng, shape, rate: float, min_len: int, max_len: int, value=None):
    """Random spells (promotions, stock-outs): a [P, D] mask and each day's spell value."""
    starts = rng.random(shape) < rate
    lengths = rng.integers(min_len, max_len + 1, shape)
    values = np.ones(shape) if value is None else value(shape)
    mask, out = np.zeros(shape, bool), np.zeros(shape)
    for k in range(max_len):
        s = starts & (lengths > k)
        mask[:, k:] |= s[:, :shape[1] - k]
        out[:, k:] = np.maximum(out[:, k:], np.where(s, values, 0)[:, :shape[1] - k])
    return mask, out


def make_sales(products: pd.DataFrame, item: dict, n_sales_products: int, seed: int) -> dict:
    """`sales` (per product, for a stratified subset) and `category_sales` (all products), plus truth."""
    rng = rng_for(seed, "sales")
    n, d = len(products), SALES_DAYS
    dates = pd.date_range(str(SALES_START), periods=d, freq="D")
    category = products["category"].to_numpy()
    base = products["base_price"].to_numpy()

    # Prices: the regular price steps every few months; promotions and holidays discount it.
    steps = np.where(rng.random((n, d)) < 1 / 120, rng.normal(0, 0.08, (n, d)), 0.0)
    steps[:, 0] = 0
    regular = base[:, None] * np.exp(np.clip(np.cumsum(steps, axis=1), -0.3, 0.3))
    promo, discount = _episodes(rng, (n, d), 1 / 45, 3, 7, lambda s: rng.uniform(0.1, 0.35, s))
    holiday = holidays(dates)
    on_holiday = holiday != ""
    discount = np.where(on_holiday[None, :], np.maximum(discount, HOLIDAY_DISCOUNT), discount)
    promo |= on_holiday[None, :]
    price = np.round(regular * (1 - discount), 2)
    comp_walk = np.cumsum(rng.normal(0, 0.02, (n, d)), axis=1)
    competitor = np.round(base[:, None] * np.exp(rng.normal(0, 0.05, (n, 1)) + comp_walk - comp_walk.mean(1, keepdims=True)), 2)

    # Expected demand (see the module docstring).
    years = np.arange(d) / 365.25
    doy = dates.day_of_year.to_numpy()
    amp = np.array([SEASON[c][0] for c in CATEGORIES])[category]
    peak = np.array([SEASON[c][1] for c in CATEGORIES])[category]
    level = np.log(8.0 * len(products) * item["popularity"]) + rng.normal(0, 0.2, n)
    trend = rng.normal(0.05, 0.15, n)
    elasticity = -rng.uniform(1.0, 2.5, n)
    lift = np.array([HOLIDAY_LIFT.get(h, 0.0) for h in holiday])
    log_lam = (level[:, None] + trend[:, None] * years + WEEKLY[dates.day_of_week.to_numpy()][None, :]
               + amp[:, None] * np.cos(2 * np.pi * (doy[None, :] - peak[:, None]) / 365.25)
               + elasticity[:, None] * np.log(price / base[:, None])
               + CROSS_ELASTICITY * np.log(competitor / price) + PROMO_LIFT * promo + lift[None, :])
    lam = np.exp(log_lam)
    s = SALES_LOG_NOISE
    demand = rng.poisson(lam * np.exp(rng.normal(-s * s / 2, s, (n, d))))
    stockout, _ = _episodes(rng, (n, d), 1 / 120, 1, 6)
    units = np.where(stockout, 0, demand)
    noise_sd = np.sqrt(lam + lam ** 2 * np.expm1(s * s))

    # Per-product rows for an equal number of products from each category.
    per_cat = max(1, n_sales_products // len(CATEGORIES))
    chosen = np.sort(np.concatenate([rng.permutation(np.flatnonzero(category == c))[:per_cat]
                                     for c in range(len(CATEGORIES))]))
    rows = lambda a: a[chosen].reshape(-1)
    k = len(chosen)
    sales = pd.DataFrame({
        "date": np.tile(dates.to_numpy(), k),
        "product_id": np.repeat(chosen, d).astype(np.int64),
        "units": rows(units).astype(np.int64),
        "price": rows(price),
        "category": np.repeat(category[chosen], d).astype(np.int64),
        "competitor_price": rows(competitor),
        "promo": rows(promo),
        "holiday": np.tile(holiday, k),
        "in_stock": ~rows(stockout),
        "expected_units": np.round(rows(lam), 4),
        "noise_sd": np.round(rows(noise_sd), 4),
    })
    cat_rows = []
    for c in range(len(CATEGORIES)):
        m = category == c
        cat_rows.append(pd.DataFrame({
            "date": dates.to_numpy(), "category": c, "units": units[m].sum(0).astype(np.int64),
            "mean_price": np.round(price[m].mean(0), 4), "promo_share": np.round(promo[m].mean(0), 4),
            "holiday": holiday, "expected_units": np.round(lam[m].sum(0), 4),
            "noise_sd": np.round(np.sqrt((noise_sd[m] ** 2).sum(0)), 4)}))
    truth = {"elasticity": elasticity, "trend": trend, "level": level, "sales_products": chosen}
    return {"sales": sales, "category_sales": pd.concat(cat_rows, ignore_index=True)}, truth
