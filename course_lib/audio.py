"""Audio features: mel filter bank, log-mel spectrogram, resampling.

Taught in 11_speech_commands (waveform -> log-mel spectrogram); later chapters reuse it from here.
No torchaudio: the spectrogram is `torch.stft` followed by a matrix of triangular mel filters.
"""
from __future__ import annotations

from math import gcd

import numpy as np
import torch

MEL_SCALES = ("htk", "slaney")


def hz_to_mel(hz, scale: str = "htk"):
    """Frequency in Hz -> mel. HTK: 2595 log10(1 + f/700); Slaney: linear below 1 kHz, log above."""
    hz = np.asarray(hz, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + hz / 700.0)
    if scale == "slaney":
        f_sp, min_log_hz = 200.0 / 3, 1000.0
        min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
        safe = np.maximum(hz, min_log_hz)  # the log branch is only used where hz >= 1 kHz
        return np.where(hz < min_log_hz, hz / f_sp, min_log_mel + np.log(safe / min_log_hz) / logstep)
    raise ValueError(f"unknown mel scale {scale!r}: choose one of {', '.join(MEL_SCALES)}")


def mel_to_hz(mel, scale: str = "htk"):
    """Inverse of `hz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    if scale == "slaney":
        f_sp, min_log_hz = 200.0 / 3, 1000.0
        min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
        return np.where(mel < min_log_mel, mel * f_sp, min_log_hz * np.exp(logstep * (mel - min_log_mel)))
    raise ValueError(f"unknown mel scale {scale!r}: choose one of {', '.join(MEL_SCALES)}")


def mel_filterbank(n_freqs: int, n_mels: int, sample_rate: int, f_min: float = 0.0,
                   f_max: float | None = None, scale: str = "htk") -> torch.Tensor:
    """Triangular mel filters, float32 [n_mels, n_freqs] (taught in 11_speech_commands).

    Row m is a triangle over the STFT bins (frequencies linspace(0, sample_rate/2, n_freqs)):
    it rises from mel point m to m+1 and falls to m+2, where the n_mels + 2 mel points are equally
    spaced on the mel scale between f_min and f_max (default sample_rate/2). Peaks are 1 (no area
    normalization), the same as torchaudio's `melscale_fbanks(..., norm=None)`. `scale` is "htk"
    (the default) or "slaney".
    """
    f_max = sample_rate / 2 if f_max is None else f_max
    if n_freqs < 2 or n_mels < 1:
        raise ValueError(f"need n_freqs >= 2 and n_mels >= 1, got {n_freqs} and {n_mels}")
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise ValueError(f"need 0 <= f_min < f_max <= sample_rate/2, got f_min={f_min}, f_max={f_max}")
    bin_hz = np.linspace(0.0, sample_rate / 2, n_freqs)
    points = mel_to_hz(np.linspace(hz_to_mel(f_min, scale), hz_to_mel(f_max, scale), n_mels + 2), scale)
    left, centre, right = points[:-2, None], points[1:-1, None], points[2:, None]
    rising = (bin_hz - left) / (centre - left)
    falling = (right - bin_hz) / (right - centre)
    return torch.from_numpy(np.clip(np.minimum(rising, falling), 0.0, None).astype(np.float32))


def log_mel_spectrogram(waves, sample_rate: int = 16_000, n_fft: int = 400, hop_length: int = 160,
                        n_mels: int = 40, f_min: float = 0.0, f_max: float | None = None,
                        scale: str = "htk", eps: float = 1e-6) -> torch.Tensor:
    """log(mel power spectrogram + eps), float32 [..., n_mels, n_frames] (taught in 11_speech_commands).

    `waves` is a numpy array or tensor [..., T] (one clip or a batch). Frames are centred
    (reflect padding) with a periodic Hann window of n_fft samples, so a 1 s clip at 16 kHz with
    the defaults (25 ms window, 10 ms hop) gives 1 + T // hop_length = 101 frames.
    """
    x = torch.as_tensor(waves)
    if not torch.is_floating_point(x):
        raise TypeError(f"waves must be floating point (scaled to [-1, 1]), got {x.dtype}")
    x = x.float()
    if x.ndim == 0 or x.shape[-1] <= n_fft // 2:
        raise ValueError(f"each wave needs more than n_fft // 2 = {n_fft // 2} samples, got shape {tuple(x.shape)}")
    batch, length = x.shape[:-1], x.shape[-1]
    window = torch.hann_window(n_fft, device=x.device)
    spec = torch.stft(x.reshape(-1, length), n_fft=n_fft, hop_length=hop_length, window=window,
                      center=True, pad_mode="reflect", return_complex=True)
    power = spec.real ** 2 + spec.imag ** 2                      # [B, n_fft//2 + 1, frames]
    fb = mel_filterbank(n_fft // 2 + 1, n_mels, sample_rate, f_min, f_max, scale).to(x.device)
    mel = torch.matmul(fb, power)                                # [B, n_mels, frames]
    return torch.log(mel + eps).reshape(*batch, n_mels, mel.shape[-1])


def resample(wave, orig_sr: int, new_sr: int):
    """Resample along the last axis by a polyphase filter (scipy.signal.resample_poly).

    Returns float32 of the input's kind (numpy in, numpy out; tensor in, tensor out). Taught in
    11_speech_commands (the synthesizer speaks at 22,050 Hz, the models listen at 16 kHz).
    """
    from scipy.signal import resample_poly  # scipy comes with scikit-learn; imported late, it is slow

    for name, rate in (("orig_sr", orig_sr), ("new_sr", new_sr)):
        if not isinstance(rate, (int, np.integer)) or isinstance(rate, bool) or rate <= 0:
            raise ValueError(f"{name} must be a positive integer, got {rate!r}")
    is_tensor = isinstance(wave, torch.Tensor)
    x = wave.detach().cpu().numpy() if is_tensor else np.asarray(wave)
    if orig_sr == new_sr:
        out = x.astype(np.float32)
    else:
        g = gcd(int(orig_sr), int(new_sr))
        out = resample_poly(x.astype(np.float64), new_sr // g, orig_sr // g, axis=-1).astype(np.float32)
    return torch.from_numpy(out) if is_tensor else out
