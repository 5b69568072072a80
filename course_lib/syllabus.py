"""The chapter map: one list that chapter 00, the README test and the tools read."""
from __future__ import annotations

from .paths import repo_root

# number, notebook stem, title, article section, what you build
CHAPTERS = [
    ("00", "00_welcome", "Welcome", "1.1", "how the course works; the shop world and its data"),
    ("01", "01_neurons", "Neurons and activations", "1.2, 2.1", "one neuron that predicts whether a shopper buys"),
    ("02", "02_feedforward", "Feed-forward networks", "2.1.2, 2.2", "backprop by hand; a purchase-prediction MLP"),
    ("03", "03_cnn", "Convolutional networks", "2.3", "convolution and pooling from scratch; a product-image CNN"),
    ("04", "04_rnn", "Recurrent networks", "2.4", "an RNN from scratch; next-category prediction from sessions"),
    ("05", "05_attention", "Attention", "3.4.3", "multi-head attention from scratch; a tiny transformer"),
    ("06", "06_self_supervised", "Self-supervised learning", "1.2.5, 2.5", "rotation pretext task; a linear probe with few labels"),
    ("07", "07_recsys_classic", "Recommender systems I", "3.1", "collaborative and content-based filtering, a hybrid"),
    ("08", "08_recsys_deep", "Recommender systems II", "3.1", "MF, BPR, two-tower, sequence models, a full pipeline"),
    ("09", "09_price_prediction", "Price prediction", "3.2", "baselines, regression and neural forecasters, backtests"),
    ("10", "10_image_recognition", "Product image recognition", "3.3, 4.1", "auto-tagging products from images"),
    ("11", "11_speech_commands", "Speech commands", "3.4, 4.2", "voice commands to shop actions"),
    ("12", "12_chatbot", "Customer-service chatbot", "3.5, 4.2.3", "intents, slots, FAQ retrieval, dialogue"),
    ("13", "13_capstone", "Capstone and outlook", "trends", "a shop assistant joining the builds"),
]


def chapters() -> list[dict]:
    """The chapter map with, for each chapter, whether its notebook exists yet."""
    root = repo_root()
    rows = []
    for number, stem, title, article, build in CHAPTERS:
        rows.append({"chapter": number, "notebook": f"notebooks/{stem}.ipynb", "title": title,
                     "article": article, "you build": build,
                     "available": (root / "notebooks" / f"{stem}.ipynb").exists(),
                     "exercises": any((root / "exercises").glob(f"{number}_*_exercises.ipynb"))})
    return rows
