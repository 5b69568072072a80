"""The shop's voice commands: 1 s spoken clips synthesized offline with espeak-ng.

Chapter 11_speech_commands trains CNN and RNN keyword spotters on these clips (waveform ->
log-mel spectrogram -> command -> shop action). Every clip is real synthetic speech: espeak-ng
(bundled by the `espeakng-loader` wheel, driven through ctypes) speaks the word with a varied
voice, rate and pitch; the clip is then resampled to 16 kHz, shifted in time, scaled, and mixed
with background noise at a known signal-to-noise ratio. The test split is speaker independent:
its voice variants (timbres) never occur in training.
"""
from __future__ import annotations

import ctypes
import threading
from pathlib import Path

import numpy as np

from ..audio import resample
from ..cache import cached_arrays
from ..types import AudioSet

COMMANDS = ("search", "add to cart", "checkout", "cancel", "next", "previous",
            "yes", "no", "help", "track order")
UNKNOWN, SILENCE = "_unknown_", "_silence_"
CLASS_NAMES = [*COMMANDS, UNKNOWN, SILENCE]

# Spoken for the _unknown_ class: everyday words, and a few that sound close to a command.
UNKNOWN_WORDS = ("banana", "weather", "seven", "music", "garden", "yellow", "coffee", "tomorrow",
                 "window", "happy", "dog", "bird", "follow", "house", "tree", "zero", "left",
                 "right", "up", "down", "stop", "go", "table", "river", "morning", "purple",
                 "church", "text", "candle", "nest", "yet", "kelp", "truck", "check")

# espeak-ng accents ("en-gb" is not a voice name; "en" is British English) and voice variants
# (files in espeak-ng-data/voices/!v) with their gender, used to hold out voices of both.
# Variants with a "breath" setting (f2, f3, f5, Alicia, whisper, ...) are left out: their
# breath noise depends on process state, so they never sound the same twice.
ACCENTS = ("en", "en-us", "en-029", "en-gb-scotland", "en-gb-x-rp", "en-us-nyc")
VARIANTS = {
    **{f"m{i}": "male" for i in range(1, 9)},
    **{name: "male" for name in ("Andy", "Lee", "Mike", "david", "paul", "robert", "travis", "Gene")},
    **{name: "female" for name in ("f1", "f4", "Annie", "Andrea", "anika", "aunty", "belinda",
                                   "linda", "steph", "grandma")},
}
HELD_OUT = {"male": 4, "female": 3}      # variants per gender kept for the test split
NOISE_KINDS = ("white", "pink", "brown", "hum", "shop")

SAMPLE_RATE = 16_000
PRESETS = {"tiny": 24, "small": 160, "large": 500}   # clips per class
TEST_FRACTION = 0.2
GENERATOR_VERSION = "1"

RATE_WPM = (130, 230)          # espeak words per minute
PITCH = (25, 75)               # espeak base pitch, 0-100 (50 is the voice's normal)
PITCH_RANGE = (20, 80)         # espeak intonation range, 0-100
PEAK_DBFS = (-20.0, -1.0)      # loudness of the spoken word
SNR_DB = (5.0, 30.0)           # background noise under speech
CLEAN_FRACTION = 0.1           # speech clips with no added noise
SILENCE_DBFS = (-60.0, -20.0)  # RMS level of the _silence_ clips
MAX_SPEECH_S = 0.9             # longer utterances are sped up to fit the 1 s window


def make_voice_commands(size: str = "small", seed: int = 0) -> AudioSet:
    """Spoken shop commands, `_unknown_` words and `_silence_` (background noise), as an AudioSet.

    waves: float32 [N, 16000] in [-1, 1]; labels index CLASS_NAMES; split is 'train' or 'test',
    speaker independent (the test voices' variants never occur in train). extra holds per-clip
    arrays: voice (espeak name, "" for silence), word, rate, pitch, pitch_range, level_db (peak
    dBFS of the word; RMS dBFS for silence), noise, snr_db (inf: clean; nan: silence), and
    held_out_variants. Sizes: tiny (24 per class), small (160), large (500).
    Built once per (size, seed) and cached; taught in 11_speech_commands.
    """
    if size not in PRESETS:
        raise ValueError(f"unknown size {size!r}: choose one of {', '.join(PRESETS)}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    arrays = cached_arrays(f"voice_commands-{size}", f"v{GENERATOR_VERSION}-seed{seed}",
                           lambda: _build(PRESETS[size], int(seed)))
    waves = arrays.pop("waves").astype(np.float32) / np.float32(32767)
    labels, split = arrays.pop("labels").astype(np.int64), arrays.pop("split")
    extra = dict(arrays)
    extra["held_out_variants"] = [str(v) for v in extra["held_out_variants"]]
    return AudioSet(waves=waves, labels=labels, split=split, class_names=list(CLASS_NAMES),
                    sample_rate=SAMPLE_RATE, extra=extra)


# --- speech synthesis -------------------------------------------------------------------------

_AUDIO_OUTPUT_SYNCHRONOUS = 2      # espeak_AUDIO_OUTPUT: return only when synthesis is done
_INITIALIZE_DONT_EXIT = 0x8000     # report errors instead of calling exit()
_POS_CHARACTER, _CHARS_UTF8 = 1, 1
_RATE, _PITCH, _RANGE = 1, 3, 4    # espeak_PARAMETER
_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                  ctypes.c_void_p)
_lock = threading.Lock()           # espeak-ng is one global state machine


def synthesize(text: str, voice: str = "en-us+m3", rate: int = 160, pitch: int = 50,
               pitch_range: int = 50, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Speak `text` with espeak-ng: float32 [T] in [-1, 1] at `sample_rate`, silence included.

    voice: an accent ("en", "en-us", ...) with a variant ("en-us+f4", "en+m7"; see VARIANTS);
    rate: words per minute (80-450); pitch and pitch_range: 0-100. Deterministic for the VARIANTS
    listed here: the library is loaded fresh for each call, because espeak-ng keeps state (pitch
    flutter) between utterances. Taught in 11_speech_commands.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string, got {text!r}")
    samples, espeak_rate = _espeak(text, voice, rate, pitch, pitch_range)
    return resample(samples.astype(np.float32) / 32768.0, espeak_rate, sample_rate)


def _espeak(text: str, voice: str, rate: int, pitch: int, pitch_range: int) -> tuple[np.ndarray, int]:
    """int16 samples and their sample rate (22,050 Hz) from a freshly loaded libespeak-ng."""
    import _ctypes
    import espeakng_loader

    accent, _, variant = voice.partition("+")
    if variant and not (_data_path() / "voices" / "!v" / variant).is_file():
        raise ValueError(f"unknown espeak voice variant {variant!r} in {voice!r}")  # espeak would ignore it
    with _lock:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        espeak_rate = 0
        try:
            lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
            espeak_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                                str(_data_path()).encode(), _INITIALIZE_DONT_EXIT)
            if espeak_rate <= 0:
                raise RuntimeError(f"espeak-ng failed to start (data in {_data_path()})")
            chunks: list[np.ndarray] = []

            @_SynthCallback
            def collect(wav, n, _events):
                if wav and n > 0:
                    chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
                return 0  # 0 = go on

            lib.espeak_SetSynthCallback(collect)
            lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"unknown espeak voice {accent!r} (try 'en' or 'en-us')")
            for param, value in ((_RATE, rate), (_PITCH, pitch), (_RANGE, pitch_range)):
                lib.espeak_SetParameter(param, int(value), 0)
            data = text.encode("utf-8") + b"\0"
            lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                         ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
            if lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None) != 0:
                raise RuntimeError(f"espeak-ng could not synthesize {text!r}")
        finally:
            if espeak_rate > 0:
                lib.espeak_Terminate()
            # Unload, so the next call starts from espeak's initial state (deterministic output).
            (getattr(_ctypes, "dlclose", None) or _ctypes.FreeLibrary)(lib._handle)
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return samples, espeak_rate


def _data_path() -> Path:
    import espeakng_loader
    return Path(espeakng_loader.get_data_path())


# --- background noise -------------------------------------------------------------------------

def make_noise(kind: str, n_samples: int, rng: np.random.Generator | int = 0,
               sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Background noise with unit RMS, float32 [n_samples].

    kind: white; pink (power ~ 1/f); brown (1/f^2); hum (mains 50 or 60 Hz and harmonics);
    shop (pink noise, checkout-scanner beeps and clatter). Used for augmentation in 11_speech_commands.
    """
    rng = np.random.default_rng(rng)
    t = np.arange(n_samples) / sample_rate
    if kind in ("white", "pink", "brown"):
        noise = _colored_noise(rng, n_samples, {"white": 0, "pink": 1, "brown": 2}[kind])
    elif kind == "hum":
        f0 = rng.choice([50.0, 60.0])
        noise = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 6))
        noise = noise + 0.05 * rng.standard_normal(n_samples)
    elif kind == "shop":
        noise = _colored_noise(rng, n_samples, 1)
        for _ in range(rng.poisson(1.0)):                      # scanner beep
            length = int(rng.uniform(0.08, 0.15) * sample_rate)
            start = rng.integers(0, max(1, n_samples - length))
            beep = 3 * np.sin(2 * np.pi * rng.uniform(1800, 3200) * t[:length]) * np.hanning(length)
            noise[start:start + length] += beep[: n_samples - start]
        for _ in range(rng.poisson(1.5)):                      # clatter: a decaying burst
            length = int(0.05 * sample_rate)
            start = rng.integers(0, max(1, n_samples - length))
            burst = 4 * rng.standard_normal(length) * np.exp(-np.arange(length) / (0.01 * sample_rate))
            noise[start:start + length] += burst[: n_samples - start]
    else:
        raise ValueError(f"unknown noise kind {kind!r}: choose one of {', '.join(NOISE_KINDS)}")
    noise = np.asarray(noise, dtype=np.float64)
    return (noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)).astype(np.float32)


def _colored_noise(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Gaussian noise whose power spectrum falls as 1/f^exponent (0 white, 1 pink, 2 brown)."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1]                                        # no infinite DC gain
    return np.fft.irfft(spectrum * freqs ** (-exponent / 2), n)


# --- building the data set --------------------------------------------------------------------

def _build(per_class: int, seed: int) -> dict[str, np.ndarray]:
    from tqdm.auto import tqdm

    rng = np.random.default_rng(seed)
    held_out = _held_out_variants(rng)
    train_variants = [v for v in VARIANTS if v not in held_out]
    n_test = max(1, round(per_class * TEST_FRACTION))
    clips = []
    for label, name in enumerate(CLASS_NAMES):
        for i in range(per_class):
            split = "test" if i < n_test else "train"
            clips.append(_draw_clip(rng, label, name, split, held_out if split == "test" else train_variants))
    clips = [clips[k] for k in rng.permutation(len(clips))]
    waves = np.stack([_render(c) for c in tqdm(clips, desc="synthesizing voice commands",
                                                 disable=per_class < 100, leave=False)])
    columns = {key: np.array([c[key] for c in clips]) for key in
               ("label", "split", "voice", "word", "rate", "pitch", "pitch_range", "level_db", "noise", "snr_db")}
    return {"waves": np.round(waves * 32767).astype(np.int16),  # 16-bit, like a WAV file
            "labels": columns.pop("label").astype(np.int64), **columns,
            "held_out_variants": np.array(sorted(held_out))}


def _held_out_variants(rng: np.random.Generator) -> list[str]:
    held_out = []
    for gender, count in HELD_OUT.items():
        names = [v for v, g in VARIANTS.items() if g == gender]
        held_out += [names[k] for k in rng.choice(len(names), size=count, replace=False)]
    return held_out


def _draw_clip(rng: np.random.Generator, label: int, name: str, split: str, variants: list[str]) -> dict:
    """Every random choice for one clip, drawn up front so a clip is a pure function of this dict."""
    clip = {"label": label, "split": split, "seed": int(rng.integers(2 ** 63)),
            "noise": str(rng.choice(NOISE_KINDS)), "voice": "", "word": "", "rate": 0, "pitch": 0,
            "pitch_range": 0, "snr_db": np.nan, "level_db": float(rng.uniform(*SILENCE_DBFS))}
    if name == SILENCE:
        return clip
    clip.update(word=name if name in COMMANDS else str(rng.choice(UNKNOWN_WORDS)),
                voice=f"{rng.choice(ACCENTS)}+{rng.choice(variants)}",
                rate=int(rng.integers(*RATE_WPM, endpoint=True)),
                pitch=int(rng.integers(*PITCH, endpoint=True)),
                pitch_range=int(rng.integers(*PITCH_RANGE, endpoint=True)),
                level_db=float(rng.uniform(*PEAK_DBFS)),
                snr_db=np.inf if rng.random() < CLEAN_FRACTION else float(rng.uniform(*SNR_DB)))
    return clip


def _render(clip: dict) -> np.ndarray:
    """One 1 s clip at 16 kHz: the spoken word placed at a random time over background noise."""
    rng = np.random.default_rng(clip["seed"])
    out = np.zeros(SAMPLE_RATE, dtype=np.float64)
    if clip["voice"]:
        speech = _trim(synthesize(clip["word"], clip["voice"], clip["rate"], clip["pitch"], clip["pitch_range"]))
        max_len = int(MAX_SPEECH_S * SAMPLE_RATE)
        if len(speech) > max_len:                              # speed up to fit the window
            speech = np.interp(np.linspace(0, len(speech) - 1, max_len), np.arange(len(speech)), speech)
        speech = speech * (10 ** (clip["level_db"] / 20) / np.abs(speech).max())
        start = int(rng.integers(0, SAMPLE_RATE - len(speech) + 1))
        out[start:start + len(speech)] = speech
        if np.isfinite(clip["snr_db"]):              # SNR: the word's power over the noise's
            voiced = np.flatnonzero(speech)
            speech_rms = np.sqrt(np.mean(speech[voiced[0]: voiced[-1] + 1] ** 2))
            out += speech_rms * 10 ** (-clip["snr_db"] / 20) * make_noise(clip["noise"], SAMPLE_RATE, rng)
    else:
        out += 10 ** (clip["level_db"] / 20) * make_noise(clip["noise"], SAMPLE_RATE, rng)
    return np.clip(out, -1.0, 1.0)


def _trim(wave: np.ndarray, threshold: float = 0.02, margin_s: float = 0.01) -> np.ndarray:
    """Cut leading and trailing silence (below `threshold` x peak), keeping a short margin."""
    loud = np.flatnonzero(np.abs(wave) > threshold * np.abs(wave).max())
    if len(loud) == 0:
        raise RuntimeError("espeak-ng produced silence")
    margin = int(margin_s * SAMPLE_RATE)
    return wave[max(0, loud[0] - margin): loud[-1] + margin + 1]
