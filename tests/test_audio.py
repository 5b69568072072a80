"""course_lib.audio: mel filter bank, log-mel spectrogram (vs an independent numpy formula), resampling."""
import numpy as np
import pytest
import torch

from course_lib.audio import hz_to_mel, log_mel_spectrogram, mel_filterbank, mel_to_hz, resample

SR = 16_000


def tone(freq, seconds=1.0, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_shapes_for_numpy_torch_and_batches():
    wave = tone(440)
    assert log_mel_spectrogram(wave).shape == (40, 101)               # 1 + 16000 // 160 frames
    batch = torch.from_numpy(np.stack([wave, wave, wave]))
    out = log_mel_spectrogram(batch, n_mels=64)
    assert out.shape == (3, 64, 101) and out.dtype == torch.float32
    assert log_mel_spectrogram(batch.reshape(3, 1, -1).expand(3, 2, -1)).shape == (3, 2, 40, 101)
    torch.testing.assert_close(out[1], log_mel_spectrogram(wave, n_mels=64))


def test_filterbank_rows_are_triangles_that_tile_the_range():
    fb = mel_filterbank(201, 40, SR).numpy()
    assert fb.shape == (40, 201) and (fb >= 0).all() and fb.max() <= 1 + 1e-6
    for row in fb:
        support = np.flatnonzero(row)
        assert len(support) >= 1 and np.all(np.diff(support) == 1)       # one contiguous bump
        peak = support[np.argmax(row[support])]
        assert np.all(np.diff(row[support[0]:peak + 1]) >= 0)            # rises ...
        assert np.all(np.diff(row[peak:support[-1] + 1]) <= 0)           # ... then falls
    # Neighbouring triangles share edges, so between the first and last peak they sum to 1.
    hz = np.linspace(0, SR / 2, 201)
    centres = mel_to_hz(np.linspace(0, hz_to_mel(SR / 2), 42))[1:-1]
    inside = (hz >= centres[0]) & (hz <= centres[-1])
    np.testing.assert_allclose(fb[:, inside].sum(0), 1.0, atol=1e-5)
    assert fb[:, -1].sum() < 1e-6 and fb[:, 0].sum() == 0               # nothing at DC or Nyquist


@pytest.mark.parametrize("freq", [300.0, 1000.0, 3500.0])
def test_pure_tone_lands_in_its_mel_band(freq):
    energy = log_mel_spectrogram(tone(freq)).mean(-1)
    centres = mel_to_hz(np.linspace(0, hz_to_mel(SR / 2), 42))[1:-1]
    assert int(energy.argmax()) == int(np.argmin(np.abs(hz_to_mel(centres) - hz_to_mel(freq))))


def numpy_log_mel(wave, sr=SR, n_fft=400, hop=160, n_mels=40, eps=1e-6):
    """The textbook recipe, written independently of course_lib: frames, Hann, |FFT|^2, HTK triangles."""
    padded = np.pad(wave.astype(np.float64), n_fft // 2, mode="reflect")
    n_frames = 1 + (len(padded) - n_fft) // hop
    frames = np.stack([padded[i * hop: i * hop + n_fft] for i in range(n_frames)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2            # [frames, freqs]
    mel = lambda f: 2595 * np.log10(1 + f / 700)
    inv = lambda m: 700 * (10 ** (m / 2595) - 1)
    edges = inv(np.linspace(0, mel(sr / 2), n_mels + 2))
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    fb = np.zeros((n_mels, len(freqs)))
    for m in range(n_mels):
        lo, mid, hi = edges[m:m + 3]
        fb[m] = np.maximum(0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))
    return np.log(fb @ power.T + eps)


def test_matches_an_independent_numpy_reference():
    rng = np.random.default_rng(0)
    wave = (tone(523) + 0.1 * rng.standard_normal(SR)).astype(np.float32)
    np.testing.assert_allclose(log_mel_spectrogram(wave).numpy(), numpy_log_mel(wave), rtol=1e-4, atol=1e-3)


def test_slaney_scale_and_round_trip():
    assert hz_to_mel(1000.0, "slaney") == pytest.approx(15.0)           # linear part ends at 1 kHz
    assert hz_to_mel(1000.0, "htk") == pytest.approx(999.99, abs=0.1)
    f = np.array([0.0, 440.0, 1000.0, 5000.0])
    for scale in ("htk", "slaney"):
        np.testing.assert_allclose(mel_to_hz(hz_to_mel(f, scale), scale), f, atol=1e-6)
    assert log_mel_spectrogram(tone(440), scale="slaney").shape == (40, 101)


def test_bad_input_raises_clearly():
    with pytest.raises(ValueError, match="mel scale"):
        mel_filterbank(201, 40, SR, scale="bark")
    with pytest.raises(ValueError, match="f_min"):
        mel_filterbank(201, 40, SR, f_min=9000)
    with pytest.raises(TypeError, match="floating point"):
        log_mel_spectrogram(np.zeros(SR, dtype=np.int16))
    with pytest.raises(ValueError, match="samples"):
        log_mel_spectrogram(np.zeros(100, dtype=np.float32))


def test_resample_keeps_pitch_and_type():
    wave = tone(440, sr=22_050)
    out = resample(wave, 22_050, SR)
    assert out.dtype == np.float32 and len(out) == SR
    spectrum = np.abs(np.fft.rfft(out))
    assert np.fft.rfftfreq(len(out), 1 / SR)[spectrum.argmax()] == pytest.approx(440, abs=1.5)
    as_tensor = resample(torch.from_numpy(wave), 22_050, SR)
    assert isinstance(as_tensor, torch.Tensor)
    np.testing.assert_allclose(as_tensor.numpy(), out)
    np.testing.assert_array_equal(resample(out, SR, SR), out)
    with pytest.raises(ValueError, match="positive integer"):
        resample(wave, 22_050, 0)
