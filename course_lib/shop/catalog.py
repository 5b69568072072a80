"""The product catalog: attributes, prices, titles and descriptions, plus hidden item factors.

Text is built from the attributes, so a text model can learn the category from a title or a
description; the hidden factors (taste vector, popularity) drive shoppers and sales.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .config import CATEGORIES, rng_for

N_FACTORS = 8

# Per category: typical price, styles (a style also picks the image silhouette variant),
# materials, and sentences a description draws from.
CATEGORY_INFO = {
    "T-shirt/top": (20, ["crew-neck tee", "V-neck tee", "tank top", "crop top"],
                    ["cotton", "organic cotton", "linen", "jersey"],
                    ["Soft and breathable for warm days.", "A wardrobe basic that goes with everything.",
                     "Short sleeves and a relaxed neckline."]),
    "Trouser": (45, ["straight jeans", "chinos", "wide-leg trousers", "joggers"],
                ["denim", "cotton twill", "wool", "corduroy"],
                ["Full-length legs with a comfortable waistband.", "Belt loops and two side pockets.",
                 "Cut to sit at the natural waist."]),
    "Pullover": (50, ["crew sweater", "hoodie", "cardigan", "turtleneck"],
                 ["wool", "merino", "cashmere", "fleece", "cotton knit"],
                 ["A warm knit with long sleeves and ribbed cuffs.", "Cosy layering for cooler evenings.",
                  "Knitted for warmth without the weight."]),
    "Dress": (55, ["shift dress", "A-line dress", "maxi dress", "wrap dress"],
              ["silk", "cotton", "linen", "chiffon", "jersey"],
              ["A flowing skirt and a fitted bodice.", "Easy to dress up or down.",
               "Falls to just below the knee."]),
    "Coat": (120, ["parka", "trench coat", "puffer jacket", "wool coat"],
             ["wool", "down", "nylon", "tweed", "leather"],
             ["Keeps you warm on cold days.", "A water-repellent shell with deep pockets.",
              "Long sleeves, a full front closure and a lined body."]),
    "Sandal": (35, ["slide sandals", "strappy sandals", "flip-flops", "heeled sandals"],
               ["leather", "rubber", "suede", "cork"],
               ["Open toes and adjustable straps for summer.", "A cushioned footbed for beach days.",
                "Light enough to pack for any holiday."]),
    "Shirt": (40, ["oxford shirt", "flannel shirt", "blouse", "denim shirt"],
              ["cotton", "linen", "flannel", "oxford cloth", "chambray"],
              ["A pointed collar and a full button placket.", "Long sleeves with buttoned cuffs.",
               "Crisp enough for the office, easy at the weekend."]),
    "Sneaker": (70, ["running shoes", "canvas sneakers", "court sneakers", "slip-on sneakers"],
                ["canvas", "leather", "mesh", "suede"],
                ["A cushioned sole for all-day walking.", "Lace-up trainers with a grippy outsole.",
                 "Sporty low-top shoes for every day."]),
    "Bag": (60, ["tote bag", "backpack", "crossbody bag", "clutch"],
            ["leather", "canvas", "nylon", "vegan leather"],
            ["Room for a laptop, keys and a water bottle.", "An inner zip pocket keeps valuables safe.",
             "Sturdy handles and a detachable strap."]),
    "Ankle boot": (90, ["chelsea boots", "lace-up ankle boots", "heeled ankle boots", "combat boots"],
                   ["leather", "suede", "rubber"],
                   ["A boot shaft that ends just above the ankle.", "A chunky heel and a warm lining.",
                    "Pull-on boots with elastic side panels."]),
}

BRANDS = ["Aurora", "Birchwood", "Cobalt & Co", "Driftline", "Ember", "Fjordland", "Gallery 9",
          "Harbor", "Iris Lane", "Juniper", "Kestrel", "Lumen", "Meridian", "Northway", "Oakley Row",
          "Pebble", "Quill", "Riverstone", "Saffron", "Tundra"]

# Colour name -> grey level of its product images (a dark garment is a dim silhouette).
COLORS = {"black": 75, "white": 240, "grey": 160, "navy": 95, "beige": 205, "red": 140,
          "green": 125, "blue": 150, "brown": 115, "pink": 215, "olive": 120, "khaki": 185}
PATTERNS = ["solid", "striped", "checked", "dotted", "printed"]
PATTERN_WEIGHTS = [0.5, 0.15, 0.12, 0.11, 0.12]
FITS = ["slim", "regular", "relaxed", "oversized"]
APPAREL = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Shirt"}
SEASON = {"T-shirt/top": "summer", "Sandal": "summer", "Dress": "summer", "Coat": "winter",
          "Pullover": "winter", "Ankle boot": "winter"}


def make_catalog(n_products: int, seed: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The `products` table and the hidden item truth (factors, popularity, brand tier)."""
    rng = rng_for(seed, "catalog")
    n = n_products
    category = np.arange(n) % len(CATEGORIES)           # balanced classes, then shuffled
    rng.shuffle(category)
    brand = rng.integers(0, len(BRANDS), n)
    brand_tier = np.exp(rng.normal(0, 0.35, len(BRANDS)))   # premium brands cost more everywhere
    style = rng.integers(0, 4, n)
    color_names = list(COLORS)
    color = rng.integers(0, len(color_names), n)
    pattern = rng.choice(len(PATTERNS), n, p=PATTERN_WEIGHTS)
    fit = rng.integers(0, len(FITS), n)

    names = [CATEGORIES[c] for c in category]
    info = [CATEGORY_INFO[c] for c in names]
    material = [inf[2][rng.integers(len(inf[2]))] for inf in info]
    base = np.array([inf[0] for inf in info], float)
    price = np.round(base * brand_tier[brand] * np.exp(rng.normal(0, 0.25, n)), 0) - 0.01
    style_name = [inf[1][s] for inf, s in zip(info, style)]
    fit_name = [FITS[f] if nm in APPAREL else "" for f, nm in zip(fit, names)]
    season = [SEASON.get(nm, "all-season") for nm in names]
    launch = np.datetime64("2020-01-01") + rng.integers(0, 3 * 365, n).astype("timedelta64[D]")

    titles, descriptions = [], []
    for i in range(n):
        col, pat = color_names[color[i]], PATTERNS[pattern[i]]
        pattern_word = "" if pat == "solid" else f"{pat} "
        titles.append(f"{BRANDS[brand[i]]} {col} {pattern_word}{material[i]} {style_name[i]}")
        fit_word = f"{fit_name[i]}-fit " if fit_name[i] else ""
        sentences = list(info[i][3])
        rng.shuffle(sentences)
        plural = style_name[i].endswith("s") and not style_name[i].endswith("ss")   # jeans, boots
        lead = f"{'pair of ' if plural else ''}{fit_word}{style_name[i]}"
        article = "An" if lead[0] in "aeiouAEIOU" else "A"
        descriptions.append(f"{article} {lead} in {col} {material[i]}"
                            f"{'' if pat == 'solid' else f' with a {pat} pattern'}. "
                            f"{sentences[0]} {sentences[1]} Made for {season[i]} wear.")

    products = pd.DataFrame({
        "product_id": np.arange(n, dtype=np.int64),
        "category": category.astype(np.int64),
        "category_name": names,
        "style": style_name,
        "brand": [BRANDS[b] for b in brand],
        "color": [color_names[c] for c in color],
        "pattern": [PATTERNS[p] for p in pattern],
        "material": material,
        "fit": fit_name,
        "season": season,
        "base_price": price,
        "launch_date": launch.astype("datetime64[s]"),
        "title": titles,
        "description": descriptions,
    })

    # Hidden taste vectors: items of one category (and one brand) point in similar directions,
    # so "similar item" and "same category" agree, as in real catalogs.
    cat_vec = rng.normal(0, 1, (len(CATEGORIES), N_FACTORS))
    brand_vec = rng.normal(0, 1, (len(BRANDS), N_FACTORS))
    factors = (1.0 * cat_vec[category] + 0.5 * brand_vec[brand]
               + 0.6 * rng.normal(0, 1, (n, N_FACTORS))) / np.sqrt(N_FACTORS)
    popularity = np.exp(rng.normal(0, 1.0, n))
    truth = {"item_factors": factors, "popularity": popularity / popularity.sum(),
             "brand_index": brand.astype(np.int64), "style_index": style.astype(np.int64),
             "pattern_index": pattern.astype(np.int64), "shade": np.array([COLORS[color_names[c]] for c in color], float),
             "category_base_price": base}
    return products, truth
