"""Customer-service messages to the shop: intents, slots and an FAQ answer base.

Chapter 12_chatbot trains intent classifiers (RNN, self-attention) and a slot tagger on these
messages and answers them from the FAQ. Every message comes from a template of its intent,
paraphrased by random choices and filled with the shop's own products, order ids, sizes and
dates, so the chatbot talks about the products the other chapters recommend and forecast.
Realistic noise (lower case, missing punctuation, typos) is added at a known rate.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..text import tokenize as text_tokenize
from ..types import TextSet

INTENTS = ["order_status", "return_item", "refund", "shipping_time", "change_address",
           "cancel_order", "product_question", "size_help", "stock_check", "payment_problem",
           "discount_code", "complaint", "human_agent", "greeting", "goodbye", "thanks",
           "out_of_scope"]
SLOTS = ["ORDER_ID", "PRODUCT", "SIZE", "DATE"]
TAG_NAMES = ["O"] + [f"{p}-{s}" for s in SLOTS for p in ("B", "I")]
PRESETS = {"tiny": 30, "small": 200, "large": 1000}    # messages per intent (fewer if too few are unique)
SPLIT_FRACTIONS = {"train": 0.7, "val": 0.15, "test": 0.15}
TYPO_RATE = 0.1                                        # share of messages with one or two typos
GENERATOR_VERSION = "1"

# The shop's policies: FAQ answers quote them, so an answer is right by construction.
POLICY = {"return_days": 30, "refund_days": "5-7 business days", "standard_days": "3-5 business days",
          "express_days": "1-2 business days", "free_shipping_over": 50, "support_hours": "8am-8pm, Mon-Sat"}

# A token is a word (with inner apostrophes, hyphens, dots, slashes: "don't", "crew-neck", "03/14"),
# optionally after '#' (order ids), or one punctuation mark.

# Templates: [a|b|] picks one option (maybe empty); {slot} is filled from the catalog and calendar.
# {order_id} {product} {size} {date} are tagged slots; {category} {brand} {code} are plain words.
TEMPLATES = {
    "order_status": [
        "where is my order {order_id}[?|]", "what's the status of [order|my order] {order_id}?",
        "has my order {order_id} shipped yet?", "i ordered the {product} on {date} and it [still hasn't arrived|isn't here yet]",
        "can you check on order {order_id} for me", "any update on {order_id}?",
        "my package {order_id} hasn't moved since {date}", "when will my {product} arrive?",
        "is order {order_id} on its way", "[track|trace] my order {order_id}",
        "where's my [stuff|parcel|package]? order number {order_id}", "i placed an order on {date}, where is it?",
        "[status of my order please|what's happening with my order]",
        "my order {order_id} [says|is stuck on] processing, what does that mean?",
        "has the {product} i bought been [dispatched|shipped|sent] yet?"],
    "return_item": [
        "i [want|would like|need] to return the {product}", "how do i send back the {product}?",
        "can i return an item from order {order_id}", "the {product} doesn't fit, i'd like to return it",
        "i need a return label for order {order_id}", "how do returns work[?|]",
        "can i return something i bought on {date}?", "the {product} in size {size} is too [small|big], can i send it back",
        "i'd like to exchange the {product} for a size {size}", "start a return for {order_id}",
        "is it too late to return the {product}? i got it on {date}", "where do i drop off my return",
        "i don't [like|want] the {product}, how can i return it", "what's your return policy[?|]"],
    "refund": [
        "when will i get my refund for {order_id}?", "i returned the {product} on {date} but [no refund yet|still no money]",
        "i want my money back", "how long do refunds take[?|]", "refund for order {order_id} please",
        "can i get a refund [on|for] the {product}", "my refund hasn't shown up on my [card|account]",
        "order {order_id} was cancelled but i was charged, i need a refund", "has my refund been processed[?|]",
        "i sent the parcel back on {date}, where is my money", "will the refund go to my original payment method?"],
    "shipping_time": [
        "how long does [shipping|delivery] take?", "how long does delivery take to my area",
        "if i order the {product} today, when will it arrive?", "do you offer [express|next day] delivery",
        "can i get the {product} by {date}?", "what are your delivery times", "how many days for standard shipping",
        "do you [ship|deliver] on weekends", "will it arrive before {date} if i order now",
        "how much is [next day|express] delivery", "do you deliver [abroad|internationally] and how long does it take",
        "is shipping free[?|]"],
    "change_address": [
        "i need to change the delivery address for order {order_id}", "can i update my [shipping|delivery] address",
        "i moved, please send order {order_id} to my new address", "wrong address on my order {order_id}",
        "how do i change where my {product} is delivered", "can you ship order {order_id} to my [office|work] instead",
        "i typed the wrong [postcode|zip code], can i fix it", "update the address on my account",
        "please change the address for the {product} i ordered on {date}", "send it to a different address please"],
    "cancel_order": [
        "cancel my order {order_id}", "i want to cancel the {product}",
        "please cancel order {order_id}, i ordered [by mistake|the wrong thing]", "how do i cancel an order",
        "can i still cancel the order i placed on {date}?", "stop my order {order_id} before it ships",
        "i changed my mind about the {product}, cancel it", "is it too late to cancel {order_id}",
        "cancel everything i ordered [today|yesterday]", "i don't want the {product} anymore, please cancel"],
    "product_question": [
        "what material is the {product} made of?", "is the {product} machine washable?",
        "tell me more about the {product}", "does the {product} come in other [colours|colors]?",
        "is the {product} waterproof?", "how is the {product} different from other {category} items",
        "how should i [care for|wash] the {product}", "is {brand} a good brand for {category}",
        "does the {product} have pockets", "where is the {product} made",
        "is the {product} [warm enough for winter|good for summer]", "what does the {product} look like in real life"],
    "size_help": [
        "what size should i get in the {product}?", "i'm usually a {size}, which size in {brand}?",
        "does the {product} run [small|large|big]?", "is a size {size} in the {product} true to size",
        "do you have a size chart for {category}", "i'm between two sizes in the {product}, which should i pick",
        "i wear {size} in other brands, what size is the {product}?", "how does {brand} sizing compare",
        "does the {product} fit wide [feet|shoulders]", "will a {size} fit me if i'm 180 cm tall",
        "help me find my size[ please|]"],
    "stock_check": [
        "is the {product} in stock?", "do you have the {product} in size {size}?",
        "when will the {product} be back in stock", "is the {product} available in {size}",
        "any {brand} {category} in stock?", "will you restock the {product} before {date}",
        "notify me when the {product} is available", "the {product} says sold out, will it come back",
        "how many {product} do you have left"],
    "payment_problem": [
        "my payment was declined", "i was charged twice for order {order_id}", "the checkout won't accept my card",
        "why did my payment fail?", "can i pay with [paypal|a gift card|bank transfer]",
        "i got charged but never received a confirmation for the {product}",
        "there's a charge from {date} i don't recognise", "my card was debited but order {order_id} shows unpaid",
        "do you accept [apple pay|google pay]", "payment error when buying the {product}",
        "can i pay in instalments"],
    "discount_code": [
        "my discount code isn't working", "do you have any [promo|discount|coupon] codes",
        "how do i apply a [coupon|voucher|promo code]", "the code {code} says invalid",
        "can i use a discount on the {product}?", "is there a student discount", "i forgot to use my voucher on order {order_id}",
        "when is your next sale", "does the {brand} sale include {category}", "can i combine two discount codes",
        "my {code} code expired on {date}, can you extend it"],
    "complaint": [
        "this is the worst service i've ever had", "the {product} arrived [damaged|broken|torn]",
        "i'm very unhappy with order {order_id}", "the {product} fell apart after one wash",
        "your courier [threw|left] my parcel [over the fence|in the rain]",
        "i've been waiting since {date} and nobody answers my emails", "the {product} looks nothing like the pictures",
        "i received the wrong item in order {order_id}", "i want to make a formal complaint",
        "the quality of {brand} has really gone down", "item missing from my order {order_id}",
        "this is ridiculous, [third|fourth] time i'm writing"],
    "human_agent": [
        "[can i|i want to|let me|i'd like to] [talk|speak|chat] to a [human|real person|agent|customer service rep]",
        "[get me|connect me to|put me through to] a [human|manager|supervisor]", "is there a real person i can talk to",
        "this bot is useless, give me an agent", "call me back about order {order_id}",
        "what's your phone number", "transfer me to support", "i need to speak to someone about the {product}"],
    "greeting": [
        "[hi|hello|hey|hiya|howdy|good morning|good afternoon|good evening][ there|]",
        "[hi|hello|hey][ there|], [anyone there?|is anyone there?|how are you?]",
        "[hello|hi], [i have a question|i need some help|can you help me?]", "[hey|hi] [:)|!]",
        "[good morning|good afternoon], [shop|support] team"],
    "goodbye": [
        "[bye|goodbye|see you|see you later|talk later|have a nice day|take care]",
        "[ok|alright|great], that's all[ for now| for today|], [bye|goodbye|see ya]",
        "[i'm|i am] done[ here|], [bye|goodbye]", "[that's it|nothing else], [bye|goodbye][!|]",
        "[bye bye|cya|later]"],
    "thanks": [
        "[thanks|thank you|thx|cheers|many thanks|thank you so much][ for your help| for the help| for helping|]",
        "[great|perfect|awesome|brilliant], [thanks|thank you]", "[that helped|that was helpful|that's great], [thanks|thank you]",
        "[thanks|thank you], [that answers my question|you've been very helpful|that sorted it]",
        "[much appreciated|appreciate it|appreciate the help]"],
    "out_of_scope": [
        "what's the weather [like |][today|tomorrow]", "tell me a joke", "who won the [football|match] last night",
        "can you book me a flight to [paris|new york]", "what is the meaning of life", "how do i cook [pasta|rice]",
        "play some music", "what's 17 times 23", "are you a robot", "translate hello into [french|spanish]",
        "what time is it in [tokyo|london]", "recommend a good [movie|book]", "how tall is the eiffel tower",
        "do you know any good restaurants", "what's the capital of australia", "write me a poem"],
}
# Messages that do not tell their intent: each is written by customers with any of the listed
# intents, so no model can classify all of them (the data's built-in error floor).
AMBIGUOUS = [
    ("i have a problem with [my order|order {order_id}]",
     ["order_status", "complaint", "payment_problem", "return_item", "human_agent"]),
    ("[it's|this is] about [my order|order {order_id}]", ["order_status", "cancel_order", "change_address", "refund"]),
    ("[a |]question about the {product}", ["product_question", "size_help", "stock_check"]),
    ("the {product}[?|]", ["product_question", "stock_check", "return_item", "size_help"]),
    ("[i need help|help me] with [my order|order {order_id}]", ["order_status", "human_agent", "change_address", "cancel_order"]),
    ("what about my money[?|]", ["refund", "payment_problem"]),
    ("i was charged for order {order_id}", ["payment_problem", "refund", "complaint"]),
    ("the [code|discount] [didn't|did not] work and i paid full price", ["discount_code", "refund", "complaint"]),
    ("[ok|okay] [thanks|thank you] [bye|goodbye]", ["thanks", "goodbye"]),
    ("[hi|hello], thanks", ["greeting", "thanks"]),
    ("can you help me[?|]", ["greeting", "human_agent", "out_of_scope"]),
    ("when [will i get it|does it come][?|]", ["shipping_time", "order_status"]),
    ("delivery on {date}", ["shipping_time", "order_status", "change_address"]),
    ("size {size}[?|]", ["size_help", "stock_check"]),
    ("i don't want [it|the {product}] [anymore|]", ["cancel_order", "return_item", "refund"]),
]
AMBIGUOUS_RATE = 0.1                                   # share of messages drawn from AMBIGUOUS
OPENERS = ["hi, ", "hello, ", "hey, ", "good morning, ", "quick question: ", "excuse me, ", "sorry to bother you, "]
CLOSERS = [" please", " thanks", " thank you", " asap"]
SOCIAL = {"greeting", "goodbye", "thanks"}          # no openers or closers on these

SIZES = ["XS", "S", "M", "L", "XL", "XXL"] + [f"EU {n}" for n in range(36, 47)] + [f"UK {n}" for n in range(6, 17, 2)]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
CODES = ["SAVE10", "WELCOME15", "SUMMER20", "FREESHIP", "VIP25"]
KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]   # typos hit a neighbouring key

# FAQ: (intent, question, answer). Answers quote POLICY.
FAQ = [
    ("order_status", "Where is my order?", "Open 'My orders' and click the order number to see its tracking status. Orders ship within one business day."),
    ("order_status", "What does 'processing' mean?", "Processing means we are packing your order; it changes to 'shipped' with a tracking link once it leaves our warehouse."),
    ("order_status", "My tracking has not updated for days.", "Tracking can pause while a parcel is in transit. If it has not moved for 5 business days, reply with your order number and we will open an investigation."),
    ("return_item", "How do I return an item?", f"You can return unworn items within {POLICY['return_days']} days of delivery. Start a return under 'My orders' to print a free return label."),
    ("return_item", "Can I exchange an item for another size?", "Yes: start a return and choose 'exchange'; we ship the new size as soon as the return is scanned."),
    ("return_item", "Where do I drop off my return?", "Take the parcel with the printed label to any post office or parcel shop of our courier."),
    ("refund", "When will I get my refund?", f"Refunds are issued within {POLICY['refund_days']} after your return reaches our warehouse."),
    ("refund", "Where does my refund go?", "Refunds always go back to the original payment method."),
    ("refund", "My refund is not on my statement yet.", "Banks can take a few extra days to show a refund. If it is missing after 10 business days, send us your order number."),
    ("shipping_time", "How long does delivery take?", f"Standard delivery takes {POLICY['standard_days']}; express delivery takes {POLICY['express_days']}."),
    ("shipping_time", "Is shipping free?", f"Standard shipping is free on orders over ${POLICY['free_shipping_over']}."),
    ("shipping_time", "Do you deliver internationally?", "We ship to most countries; international delivery takes 7-14 business days."),
    ("change_address", "How do I change my delivery address?", "You can change the address under 'My orders' until the order ships; after that, contact the courier with your tracking number."),
    ("change_address", "Can I update the address on my account?", "Yes: go to 'Account' > 'Addresses' to add, edit or remove an address."),
    ("cancel_order", "How do I cancel an order?", "Orders can be cancelled under 'My orders' until they ship; once shipped, return them instead."),
    ("cancel_order", "Is it too late to cancel?", "If your order already shows 'shipped' it can no longer be cancelled, but you can return it for free."),
    ("product_question", "What is this product made of?", "Every product page lists the material, care instructions and fit under 'Details'."),
    ("product_question", "How do I care for my item?", "Follow the care label; most cotton items can be machine washed at 30 degrees."),
    ("size_help", "Which size should I choose?", "Use the size chart on each product page; if you are between sizes, we recommend the larger one."),
    ("size_help", "Do your items run small?", "Our sizes are true to size; the product page notes when a style runs small or large."),
    ("stock_check", "Is this item in stock?", "The product page shows the sizes in stock; greyed-out sizes are sold out."),
    ("stock_check", "When will a sold-out item be restocked?", "Click 'Notify me' on the product page and we will email you when it is back in stock."),
    ("payment_problem", "Why was my payment declined?", "Check the card details and billing address; if it still fails, your bank may have blocked the payment."),
    ("payment_problem", "I was charged twice.", "A second charge is usually a temporary authorisation that disappears within 3 business days."),
    ("payment_problem", "Which payment methods do you accept?", "We accept credit and debit cards, PayPal, Apple Pay, Google Pay and gift cards."),
    ("discount_code", "My discount code does not work.", "Codes are case-sensitive, valid once per customer and cannot be combined; check the expiry date in the email."),
    ("discount_code", "Do you have a student discount?", "Students get 10% off after verifying their student status in their account."),
    ("complaint", "How do I make a complaint?", "We are sorry. Reply with your order number and what went wrong; a team member will answer within 24 hours."),
    ("complaint", "My item arrived damaged.", "Please send a photo of the damage with your order number; we will send a replacement or a full refund."),
    ("human_agent", "Can I talk to a person?", f"Our support team is available {POLICY['support_hours']} by chat and phone."),
    ("human_agent", "What is your phone number?", f"Call us on 0800 123 456, {POLICY['support_hours']}."),
]


def make_dialogue(products: pd.DataFrame, size: str = "small", seed: int = 0,
                  typo_rate: float = TYPO_RATE) -> TextSet:
    """Customer messages labelled with intent and BIO slot tags, plus an FAQ, as a TextSet.

    `products` needs columns product_id, category_name, title, brand (the shop's catalog).
    data columns: text, intent, label, split ('train'/'val'/'test', stratified by intent),
    tokens and tags (space-joined strings, one tag per token: O, B-/I- + ORDER_ID, PRODUCT, SIZE,
    DATE), the slot values as written in the text (order_id, product, size, date; "" if absent),
    product_id (nullable Int64: the catalog product the message names), ambiguous (True for
    messages from AMBIGUOUS, which customers with several intents write: no model gets them all
    right), template (which template wrote it: group by it to test on unseen phrasings) and n_typos.
    extra: faq (question, answer, intent), slots, tag_names, policy. A share `typo_rate` of
    messages get one or two typos outside the slots; the clean texts do not depend on it.
    Taught in 12_chatbot.
    """
    if size not in PRESETS:
        raise ValueError(f"unknown size {size!r}: choose one of {', '.join(PRESETS)}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if not 0.0 <= typo_rate <= 1.0:
        raise ValueError(f"typo_rate must be between 0 and 1, got {typo_rate!r}")
    missing = {"product_id", "category_name", "title", "brand"} - set(getattr(products, "columns", []))
    if missing:
        raise ValueError(f"products lacks columns {sorted(missing)}")
    if len(products) == 0:
        raise ValueError("products is empty")

    rng = np.random.default_rng([seed, 12])
    rows = []
    for label, intent in enumerate(INTENTS):
        rows += _messages(intent, label, PRESETS[size], products.reset_index(drop=True), rng)
    data = pd.DataFrame(rows)
    data["split"] = _stratified_split(data["label"].to_numpy(), rng)
    data = data.iloc[rng.permutation(len(data))].reset_index(drop=True)

    typo_rng = np.random.default_rng([seed, 12, 1])     # its own stream: typos never move the clean data
    noisy = [_add_typos(segments, typo_rng, typo_rate) for segments in data.pop("segments")]
    data["n_typos"] = np.array([n for _, n in noisy], dtype=np.int64)
    data["text"] = ["".join(text for text, _ in segments) for segments, _ in noisy]
    tokens, tags = zip(*(_tokens_and_tags(segments) for segments, _ in noisy))
    data["tokens"], data["tags"] = [" ".join(t) for t in tokens], [" ".join(t) for t in tags]
    if pd.api.types.is_integer_dtype(products["product_id"]):
        data["product_id"] = pd.array(data["product_id"], dtype="Int64")
    data = data[["text", "intent", "label", "split", "tokens", "tags", "order_id", "product", "size",
                 "date", "product_id", "template", "ambiguous", "n_typos"]]
    data["label"] = data["label"].astype(np.int64)
    faq = pd.DataFrame(FAQ, columns=["intent", "question", "answer"])[["question", "answer", "intent"]]
    return TextSet(data=data, class_names=list(INTENTS),
                   extra={"faq": faq, "slots": list(SLOTS), "tag_names": list(TAG_NAMES), "policy": dict(POLICY)})


def tokenize(text: str) -> list[str]:
    """Split a message into the tokens its slot tags refer to (words, '#'-order ids, punctuation):
    course_lib.text's tokenizer, case kept."""
    return text_tokenize(text, lower=False)


# --- generating messages ----------------------------------------------------------------------

def _messages(intent: str, label: int, count: int, products: pd.DataFrame, rng: np.random.Generator) -> list[dict]:
    """Up to `count` distinct messages of one intent (fewer when its templates cannot make more)."""
    seen, rows = set(), []
    for _ in range(count * 5):
        row = _message(intent, products, rng)
        text = "".join(t for t, _ in row["segments"])
        if text not in seen:
            seen.add(text)
            rows.append({**row, "intent": intent, "label": label})
            if len(rows) == count:
                break
    return rows


def _message(intent: str, products: pd.DataFrame, rng: np.random.Generator) -> dict:
    """One clean message as segments [(text, slot or None)] with its slot values."""
    shared = [t for t, intents in AMBIGUOUS if intent in intents]
    ambiguous = bool(shared) and rng.random() < AMBIGUOUS_RATE
    if ambiguous:
        k = int(rng.integers(len(shared)))
        template, template_id = shared[k], f"ambiguous:{[t for t, _ in AMBIGUOUS].index(shared[k])}"
    else:
        k = int(rng.integers(len(TEMPLATES[intent])))
        template, template_id = TEMPLATES[intent][k], f"{intent}:{k}"
    template = re.sub(r"\[([^\]]*)\]", lambda m: str(rng.choice(m.group(1).split("|"))), template)
    template = re.sub(r" +", " ", template).strip()
    if intent not in SOCIAL:
        if rng.random() < 0.25:
            template = str(rng.choice(OPENERS)) + template
        if rng.random() < 0.2:
            template = template.rstrip("?!. ") + str(rng.choice(CLOSERS))
    product = products.iloc[int(rng.integers(len(products)))]
    values = {"order_id": _order_id(rng), "product": _product_mention(product, rng),
              "size": str(rng.choice(SIZES)), "date": _date(rng),
              "category": str(product["category_name"]).split("/")[0].lower(),
              "brand": str(product["brand"]), "code": str(rng.choice(CODES))}
    lower = rng.random() < 0.3                          # casual writers type all in lower case
    capitalize = not lower and rng.random() < 0.7
    drop_final_punct = rng.random() < 0.3
    if lower:
        values = {k: v.lower() for k, v in values.items()}
    if drop_final_punct:
        template = template.rstrip("?!.")
    parts = re.split(r"\{(\w+)\}", template)
    segments, filled = [], {"order_id": "", "product": "", "size": "", "date": ""}
    for i, part in enumerate(parts):
        if i % 2 == 0:
            segments.append((part, None))
        else:
            slot = part.upper() if part.upper() in SLOTS else None
            segments.append((values[part], slot))
            if slot:
                filled[part] = values[part]
    if capitalize and segments[0][0]:
        segments[0] = (segments[0][0][0].upper() + segments[0][0][1:], segments[0][1])
    segments = [(t, s) for t, s in segments if t]
    return {"segments": segments, **filled, "template": template_id, "ambiguous": ambiguous,
            "product_id": product["product_id"] if "{product}" in template else pd.NA}


def _order_id(rng: np.random.Generator) -> str:
    letter = "ABCDEFGHJKLMNPQRSTUVWXYZ"[int(rng.integers(24))]
    return f"{'#' if rng.random() < 0.7 else ''}{letter}{int(rng.integers(10_000, 100_000))}"


def _product_mention(product: pd.Series, rng: np.random.Generator) -> str:
    """How a customer names a product: its full title, brand + product type, or the title without brand."""
    title, brand = str(product["title"]), str(product["brand"])
    rest = title[len(brand):].strip() if title.startswith(brand) else title
    words = rest.split()
    choice = rng.random()
    if choice < 0.5 or len(words) < 2:
        return title
    if choice < 0.8:
        return f"{brand} {' '.join(words[-2:])}"
    return rest


def _date(rng: np.random.Generator) -> str:
    """A date as customers write it after 'on', 'by', 'since' or 'before'."""
    kind = int(rng.integers(6))
    day, month = int(rng.integers(1, 29)), int(rng.integers(12))
    nth = f"{day}{'th' if 10 <= day <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"
    return [f"{MONTHS[month]} {day}", f"{day} {MONTHS[month]}", f"{month + 1:02d}/{day:02d}",
            WEEKDAYS[int(rng.integers(7))], f"the {nth}", f"{MONTHS[month]} {nth}"][kind]


def _stratified_split(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """'train'/'val'/'test' per row, in SPLIT_FRACTIONS within every intent (each split gets one at least)."""
    split = np.empty(len(labels), dtype=object)
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n_val = max(1, round(len(idx) * SPLIT_FRACTIONS["val"]))
        n_test = max(1, round(len(idx) * SPLIT_FRACTIONS["test"]))
        split[idx[:n_test]], split[idx[n_test:n_test + n_val]] = "test", "val"
        split[idx[n_test + n_val:]] = "train"
    return split


# --- noise and tags ---------------------------------------------------------------------------

def _add_typos(segments: list[tuple[str, str | None]], rng: np.random.Generator,
               rate: float) -> tuple[list[tuple[str, str | None]], int]:
    """With probability `rate`, one or two typos (swap, drop, double, neighbouring key) in words outside slots."""
    if rng.random() >= rate:
        return segments, 0
    segments = list(segments)
    words = [(i, m.start(), m.end()) for i, (text, slot) in enumerate(segments) if slot is None
             for m in re.finditer(r"[A-Za-z]{3,}", text)]
    if not words:
        return segments, 0
    n = min(len(words), 1 + int(rng.random() < 0.3))
    for k in sorted(rng.choice(len(words), size=n, replace=False), reverse=True):  # right to left: offsets stay valid
        i, start, end = words[k]
        text = segments[i][0]
        segments[i] = (text[:start] + _typo(text[start:end], rng) + text[end:], None)
    return segments, n


def _typo(word: str, rng: np.random.Generator) -> str:
    """`word` with one realistic typo; always different from `word`."""
    pos = int(rng.integers(1, len(word)))                # keep the first letter, as most typos do
    kind = int(rng.integers(4))
    if kind == 0 and word[pos - 1] != word[pos]:          # swap two neighbouring letters
        return word[:pos - 1] + word[pos] + word[pos - 1] + word[pos + 1:]
    if kind == 1:                                        # drop a letter
        return word[:pos] + word[pos + 1:]
    if kind == 2:                                        # double a letter
        return word[:pos] + word[pos] + word[pos:]
    row = next((r for r in KEYBOARD if word[pos].lower() in r), None)
    if row is None:
        return word[:pos] + word[pos + 1:]
    j = row.index(word[pos].lower())
    neighbours = [row[k] for k in (j - 1, j + 1) if 0 <= k < len(row)]
    return word[:pos] + str(rng.choice(neighbours)) + word[pos + 1:]


def _tokens_and_tags(segments: list[tuple[str, str | None]]) -> tuple[list[str], list[str]]:
    tokens, tags = [], []
    for text, slot in segments:
        seg_tokens = tokenize(text)
        tokens += seg_tokens
        tags += ["O"] * len(seg_tokens) if slot is None else \
            [f"B-{slot}"] + [f"I-{slot}"] * (len(seg_tokens) - 1)
    return tokens, tags
