"""Shop customer-service dialogue: intents, BIO slot tags, typos, FAQ, and a baseline that learns."""
import numpy as np
import pandas as pd
import pytest

from course_lib.shop.dialogue import INTENTS, PRESETS, SLOTS, TAG_NAMES, make_dialogue, tokenize

BRANDS = ["Aurora", "Cobalt & Co", "Gallery 9", "Harbor", "Iris Lane"]
CATEGORIES = ["T-shirt/top", "Trouser", "Sneaker", "Bag", "Ankle boot"]
STYLES = ["crew-neck tee", "chinos", "running shoes", "tote bag", "chelsea boots"]


@pytest.fixture(scope="module")
def products():
    rng = np.random.default_rng(0)
    rows = []
    for pid in range(60):
        c, b = pid % 5, int(rng.integers(5))
        colour = ["black", "navy", "red", "olive"][int(rng.integers(4))]
        rows.append({"product_id": pid, "category_name": CATEGORIES[c], "brand": BRANDS[b],
                     "title": f"{BRANDS[b]} {colour} cotton {STYLES[c]}"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tiny(products):
    return make_dialogue(products, "tiny", seed=0)


def test_schema_and_determinism(products, tiny):
    d = tiny.data
    assert {"text", "intent", "label", "split", "tokens", "tags", "order_id", "product", "size", "date",
            "product_id", "template", "ambiguous", "n_typos"} <= set(d.columns)
    assert tiny.class_names == INTENTS and 15 <= len(INTENTS) <= 20
    assert d["label"].dtype == np.int64 and (d["intent"] == [INTENTS[k] for k in d["label"]]).all()
    pd.testing.assert_frame_equal(make_dialogue(products, "tiny", seed=0).data, d)
    assert not make_dialogue(products, "tiny", seed=1).data["text"].equals(d["text"])
    assert d["text"].str.len().gt(0).all()
    counts = d.groupby("intent").size()
    assert counts.max() == PRESETS["tiny"] and counts.min() >= PRESETS["tiny"] // 2


def test_every_intent_in_every_split(tiny):
    d = tiny.data
    for split in ("train", "val", "test"):
        assert set(d.loc[d["split"] == split, "intent"]) == set(INTENTS)
    share = d["split"].value_counts(normalize=True)
    assert share["train"] == pytest.approx(0.7, abs=0.05) and share["test"] == pytest.approx(0.15, abs=0.05)


def test_tokens_and_bio_tags_are_well_formed(tiny):
    for text, tokens, tags in zip(tiny.data["text"], tiny.data["tokens"], tiny.data["tags"]):
        tokens, tags = tokens.split(" "), tags.split(" ")
        assert tokens == tokenize(text) and len(tags) == len(tokens)
        assert set(tags) <= set(TAG_NAMES)
        for prev, tag in zip(["O"] + tags, tags):
            if tag.startswith("I-"):                 # I-X only continues B-X or I-X
                assert prev in (f"B-{tag[2:]}", tag), (text, tags)


def spans(tokens, tags):
    """slot -> the tokens of its (single) span."""
    out = {}
    for token, tag in zip(tokens, tags):
        if tag != "O":
            out.setdefault(tag[2:], []).append(token)
    return out


def test_slot_values_are_in_the_text_and_tagged(products, tiny):
    titles = products.set_index("product_id")["title"]
    tagged = 0
    for row in tiny.data.itertuples():
        found = spans(row.tokens.split(" "), row.tags.split(" "))
        for slot in SLOTS:
            value = getattr(row, slot.lower())
            if value:
                assert value in row.text
                assert found.pop(slot) == tokenize(value)
                tagged += 1
        assert not found                              # no tag without a recorded value
        if row.product:                               # the mention names the catalog product
            assert set(row.product.lower().split()) <= set(titles[row.product_id].lower().split())
    assert tagged > len(tiny.data) // 2
    for slot in SLOTS:
        assert (tiny.data[slot.lower()] != "").sum() > 10


def test_typo_rate_is_as_configured(products):
    clean = make_dialogue(products, "tiny", seed=0, typo_rate=0.0).data
    noisy = make_dialogue(products, "tiny", seed=0, typo_rate=0.3).data
    assert (clean["n_typos"] == 0).all()
    changed = clean["text"] != noisy["text"]
    np.testing.assert_array_equal(changed, noisy["n_typos"] > 0)    # typos, and only typos, change text
    assert changed.mean() == pytest.approx(0.3, abs=0.06)
    for column in ("intent", "split", "order_id", "product", "size", "date", "tags"):
        pd.testing.assert_series_equal(clean[column], noisy[column])  # typos never touch slots or tags
    pair = noisy[changed].iloc[0]["text"], clean[changed].iloc[0]["text"]
    assert len(pair[0].split()) == len(pair[1].split())


def test_faq_answers_each_answerable_intent(tiny):
    faq = tiny.extra["faq"]
    assert list(faq.columns) == ["question", "answer", "intent"]
    assert set(faq["intent"]) <= set(INTENTS)
    per_intent = faq.groupby("intent").size()
    assert per_intent.between(2, 4).all() and len(per_intent) >= 12
    assert {"greeting", "goodbye", "thanks", "out_of_scope"}.isdisjoint(per_intent.index)
    assert tiny.extra["tag_names"] == TAG_NAMES


def test_tfidf_baseline_learns_but_is_not_perfect(products):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    data = make_dialogue(products, "small", seed=0)
    train, test = data.subset("train"), data.subset("test")
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                          LogisticRegression(max_iter=1000, C=10.0)).fit(train["text"], train["label"])
    correct = model.predict(test["text"]) == test["label"].to_numpy()
    ambiguous = test["ambiguous"].to_numpy()
    print(f"TF-IDF + logistic regression: test accuracy {correct.mean():.3f} "
          f"(clear {correct[~ambiguous].mean():.3f}, ambiguous {correct[ambiguous].mean():.3f}, "
          f"chance {1 / len(INTENTS):.3f})")
    assert 0.75 < correct.mean() < 0.98
    assert correct[ambiguous].mean() < correct[~ambiguous].mean() - 0.3


def test_bad_input_raises_clearly(products):
    with pytest.raises(ValueError, match="lacks columns"):
        make_dialogue(products.drop(columns="title"))
    with pytest.raises(ValueError, match="unknown size"):
        make_dialogue(products, "medium")
    with pytest.raises(ValueError, match="typo_rate"):
        make_dialogue(products, typo_rate=1.5)
    with pytest.raises(ValueError, match="empty"):
        make_dialogue(products.iloc[:0])
