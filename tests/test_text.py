"""Unit tests of course_lib.text: tokenizer, vocabulary, padded batches."""
import pytest
import torch

from course_lib.text import PAD, UNK, Vocab, encode_batch, tokenize


def test_tokenize_keeps_inner_punctuation_and_splits_the_rest():
    assert tokenize("Where's order #A123? Size EU 42, crew-neck (03/14).") == \
        ["where's", "order", "#a123", "?", "size", "eu", "42", ",", "crew-neck", "(", "03/14", ")", "."]
    assert tokenize("Hi THERE", lower=False) == ["Hi", "THERE"]
    assert tokenize("") == []
    with pytest.raises(TypeError, match="str"):
        tokenize(None)


def test_vocab_orders_by_frequency_and_maps_unknowns():
    vocab = Vocab([["b", "a", "b"], ["c", "b", "a"], ["rare"]], min_freq=2)
    assert vocab.itos == [PAD, UNK, "b", "a"]
    assert len(vocab) == 4 and "b" in vocab and "rare" not in vocab
    assert vocab.encode(["a", "zzz", "b"]) == [3, Vocab.unk_id, 2]
    assert vocab.decode([2, 3, 0, 0]) == ["b", "a"]
    assert Vocab([["x", "y"], ["y"]], max_size=1).itos == [PAD, UNK, "y"]
    with pytest.raises(ValueError, match="min_freq"):
        Vocab([["a"]], min_freq=0)


def test_encode_batch_pads_right_and_truncates():
    vocab = Vocab([tokenize("where is my order"), tokenize("my refund")])
    batch = encode_batch(["my order", "where is my refund please"], vocab, max_len=4)
    assert batch.dtype == torch.long and batch.shape == (2, 4)
    assert batch[0, 2:].tolist() == [vocab.pad_id] * 2
    assert vocab.decode(batch[1].tolist()) == ["where", "is", "my", "refund"]
    assert encode_batch([""], vocab).shape == (1, 1)
    with pytest.raises(ValueError, match="at least one"):
        encode_batch([], vocab)
