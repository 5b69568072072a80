"""Shop voice commands: real synthetic speech, speaker-independent split, determinism, cache."""
import numpy as np
import pytest

from course_lib.audio import log_mel_spectrogram
from course_lib.shop import voice
from course_lib.shop.voice import (CLASS_NAMES, COMMANDS, SILENCE, UNKNOWN, make_noise,
                                   make_voice_commands, synthesize)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("COURSE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield make_voice_commands("tiny", seed=0)
    mp.undo()


def test_shapes_labels_and_splits(tiny):
    per_class = voice.PRESETS["tiny"]
    assert tiny.waves.shape == (per_class * len(CLASS_NAMES), 16_000) and tiny.waves.dtype == np.float32
    assert np.abs(tiny.waves).max() <= 1.0 and tiny.sample_rate == 16_000
    assert tiny.class_names == [*COMMANDS, UNKNOWN, SILENCE] and len(COMMANDS) == 10
    np.testing.assert_array_equal(np.bincount(tiny.labels), per_class)
    for split in ("train", "test"):
        assert set(tiny.labels[tiny.split == split]) == set(range(len(CLASS_NAMES)))
    assert 0.15 < np.mean(tiny.split == "test") < 0.25


def test_test_voices_are_never_heard_in_training(tiny):
    variant = np.array([v.partition("+")[2] for v in tiny.extra["voice"]])
    speech = variant != ""
    train = set(variant[speech & (tiny.split == "train")])
    test = set(variant[speech & (tiny.split == "test")])
    assert test and not (train & test)
    assert test <= set(tiny.extra["held_out_variants"])
    silence = tiny.labels == CLASS_NAMES.index(SILENCE)
    assert (tiny.extra["voice"][silence] == "").all() and speech[~silence].all()
    words = tiny.extra["word"]
    for k, command in enumerate(COMMANDS):
        assert (words[tiny.labels == k] == command).all()
    assert not set(words[tiny.labels == CLASS_NAMES.index(UNKNOWN)]) & set(COMMANDS)


def frame_rms(waves, frame=800):
    return np.sqrt((waves.reshape(len(waves), -1, frame) ** 2).mean(-1))   # [N, 20] of 50 ms


def test_speech_energy_sits_where_the_word_is(tiny):
    clean = np.isinf(tiny.extra["snr_db"])
    assert clean.sum() > 0
    rms = frame_rms(tiny.waves[clean])
    assert ((rms > 1e-3).sum(1) >= 2).all()           # a word lasts at least ~100 ms ...
    assert ((rms < 1e-6).sum(1) >= 1).all()           # ... and leaves true silence in a clean clip
    noisy = np.isfinite(tiny.extra["snr_db"]) & (tiny.extra["snr_db"] > 15)
    rms = frame_rms(tiny.waves[noisy])
    assert np.median(rms.max(1) / np.median(rms, 1)) > 3   # loud word over the noise floor


def test_recorded_snr_is_the_true_snr():
    rng = np.random.default_rng(5)
    clip = voice._draw_clip(rng, 0, "search", "train", ["m3"])
    clip.update(snr_db=10.0, noise="pink", level_db=-20.0)   # quiet enough never to clip
    noisy, clean = voice._render(clip), voice._render({**clip, "snr_db": np.inf})
    span = np.flatnonzero(clean)
    word = clean[span[0]: span[-1] + 1]                # SNR: speech power over the word's span
    snr = 10 * np.log10((word ** 2).mean() / ((noisy - clean) ** 2).mean())   # vs noise over the clip
    assert snr == pytest.approx(10.0, abs=0.05)


def test_different_words_sound_different_and_a_linear_model_hears_them(tiny):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    a, b = synthesize("yes", "en-us+m3"), synthesize("previous", "en-us+m3")
    assert 0.2 < len(a) / 16_000 < len(b) / 16_000 < 1.2
    feats = log_mel_spectrogram(tiny.waves).numpy()
    x = np.concatenate([feats.mean(-1), feats.std(-1)], axis=1)
    train, test = tiny.split == "train", tiny.split == "test"
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(x[train], tiny.labels[train])
    accuracy = model.score(x[test], tiny.labels[test])
    print(f"log-mel mean+std logistic regression, unseen voices: {accuracy:.2f} (chance {1 / len(CLASS_NAMES):.2f})")
    assert accuracy > 3 / len(CLASS_NAMES)


def deeper(n, *args):
    return deeper(n - 1, *args) if n else synthesize(*args)


@pytest.mark.parametrize("variant", list(voice.VARIANTS))
def test_every_voice_sounds_the_same_every_time(variant):
    args = ("add to cart", f"en-us+{variant}", 150, 60)
    first = synthesize(*args)
    synthesize("something else entirely", "en+m7", 300)          # espeak keeps state between calls
    np.testing.assert_array_equal(synthesize(*args), first)
    np.testing.assert_array_equal(deeper(30, *args), first)       # and C stack history must not matter


def test_a_build_is_deterministic_and_depends_on_the_seed():
    a, b, c = voice._build(2, seed=3), voice._build(2, seed=3), voice._build(2, seed=4)
    for key in ("waves", "labels", "voice", "split"):
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["waves"], c["waves"])
    assert not np.array_equal(synthesize("yes", "en+m1"), synthesize("yes", "en+f4"))


def test_cache_returns_the_same_clips(tiny):
    again = make_voice_commands("tiny", seed=0)        # the fixture's cache dir is still set
    np.testing.assert_array_equal(again.waves, tiny.waves)
    np.testing.assert_array_equal(again.extra["voice"], tiny.extra["voice"])


@pytest.mark.parametrize("kind", voice.NOISE_KINDS)
def test_noise_kinds(kind):
    noise = make_noise(kind, 16_000, 1)
    assert noise.dtype == np.float32 and np.sqrt((noise.astype(float) ** 2).mean()) == pytest.approx(1, rel=1e-3)
    np.testing.assert_array_equal(noise, make_noise(kind, 16_000, 1))


def test_pink_and_brown_noise_are_darker_than_white():
    def low_share(x):
        power = np.abs(np.fft.rfft(x)) ** 2
        return power[: len(power) // 8].sum() / power.sum()   # share below 1 kHz
    shares = [low_share(make_noise(k, 16_000, 0)) for k in ("white", "pink", "brown")]
    assert shares[0] < shares[1] < shares[2]


def test_bad_input_raises_clearly():
    with pytest.raises(ValueError, match="unknown size"):
        make_voice_commands("huge")
    with pytest.raises(ValueError, match="unknown espeak voice"):
        synthesize("yes", "en-gb")
    with pytest.raises(ValueError, match="variant"):
        synthesize("yes", "en+nobody")
    with pytest.raises(ValueError, match="non-empty"):
        synthesize("  ")
    with pytest.raises(ValueError, match="noise kind"):
        make_noise("rain", 100)
