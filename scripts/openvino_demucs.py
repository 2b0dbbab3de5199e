"""HT Demucs with its network in OpenVINO and its STFT, mask and iSTFT in PyTorch, the
split Intel's OpenVINO plugin for Audacity uses, so that demucs's `apply_model` runs
unchanged around it. Used by `bench_pytorch.py`.

Only an HTDemucs with complex-as-channels spectrograms (`cac`, as htdemucs) is handled.
"""
import types

import numpy as np
import torch
from einops import rearrange
from torch.nn import functional as F


class HTDemucsCore(torch.nn.Module):
    """`HTDemucs.forward` (demucs 4.1.0) between `_magnitude` and `_mask`, in eval mode:
    takes the spectral input `mag` [B, 2C, Fq, T] and the waveform segment [B, C, L],
    returns the spectral output [B, S, 2C, Fq, T] and the time branch's [B, S, C, L],
    both de-normalised. Statement for statement demucs's code, less its assertions."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, mag, mix):
        m = self.model
        x = mag
        B, C, Fq, T = x.shape
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) / (1e-5 + std)

        xt = mix
        meant = xt.mean(dim=(1, 2), keepdim=True)
        stdt = xt.std(dim=(1, 2), keepdim=True)
        xt = (xt - meant) / (1e-5 + stdt)

        saved, saved_t, lengths, lengths_t = [], [], [], []
        for idx, encode in enumerate(m.encoder):
            lengths.append(x.shape[-1])
            inject = None
            if idx < len(m.tencoder):
                lengths_t.append(xt.shape[-1])
                tenc = m.tencoder[idx]
                xt = tenc(xt)
                if not tenc.empty:
                    saved_t.append(xt)
                else:
                    inject = xt
            x = encode(x, inject)
            if idx == 0 and m.freq_emb is not None:
                frs = torch.arange(x.shape[-2], device=x.device)
                emb = m.freq_emb(frs).t()[None, :, :, None].expand_as(x)
                x = x + m.freq_emb_scale * emb
            saved.append(x)
        if m.crosstransformer:
            if m.bottom_channels:
                b, c, f, t = x.shape
                x = rearrange(x, "b c f t-> b c (f t)")
                x = m.channel_upsampler(x)
                x = rearrange(x, "b c (f t)-> b c f t", f=f)
                xt = m.channel_upsampler_t(xt)
            x, xt = m.crosstransformer(x, xt)
            if m.bottom_channels:
                x = rearrange(x, "b c f t-> b c (f t)")
                x = m.channel_downsampler(x)
                x = rearrange(x, "b c (f t)-> b c f t", f=f)
                xt = m.channel_downsampler_t(xt)

        for idx, decode in enumerate(m.decoder):
            skip = saved.pop(-1)
            x, pre = decode(x, skip, lengths.pop(-1))
            offset = m.depth - len(m.tdecoder)
            if idx >= offset:
                tdec = m.tdecoder[idx - offset]
                length_t = lengths_t.pop(-1)
                if tdec.empty:
                    pre = pre[:, :, 0]
                    xt, _ = tdec(pre, None, length_t)
                else:
                    skip = saved_t.pop(-1)
                    xt, _ = tdec(xt, skip, length_t)

        S = len(m.sources)
        x = x.view(B, S, -1, Fq, T)
        x = x * std[:, None] + mean[:, None]
        xt = xt.view(B, S, -1, mix.shape[-1])
        xt = xt * stdt[:, None] + meant[:, None]
        return x, xt


def compile_openvino(model, threads):
    """Converts the network of `model` (an eval-mode HTDemucs) to OpenVINO, compiles it for
    the CPU in f32 on `threads` threads, and points `model.forward` at it, so that
    `apply_model(model, …)` runs demucs's own splitting and overlap-add around it.
    Returns OpenVINO's version."""
    import openvino as ov

    assert model.cac and model.use_train_segment, "only htdemucs-style models"
    length = int(model.segment * model.samplerate)
    example = torch.zeros(1, model.audio_channels, length)
    with torch.no_grad():
        mag = model._magnitude(model._spec(example))
        converted = ov.convert_model(HTDemucsCore(model).eval(), example_input=(mag, example))
    # One stream (latency), every product in f32 even where the CPU has bf16.
    compiled = ov.Core().compile_model(converted, "CPU", {
        "INFERENCE_NUM_THREADS": threads,
        "INFERENCE_PRECISION_HINT": "f32",
        "PERFORMANCE_HINT": "LATENCY",
    })
    request = compiled.create_infer_request()

    def forward(self, mix):
        # HTDemucs.forward around the network: pad to the training segment, STFT,
        # network in OpenVINO, mask, iSTFT, sum of both branches.
        length_pre_pad = None
        if mix.shape[-1] < length:
            length_pre_pad = mix.shape[-1]
            mix = F.pad(mix, (0, length - length_pre_pad))
        z = self._spec(mix)
        mag = self._magnitude(z)
        results = request.infer([mag.contiguous().numpy(), mix.contiguous().numpy()])
        x = torch.from_numpy(np.array(results[0]))
        xt = torch.from_numpy(np.array(results[1]))
        x = self._ispec(self._mask(z, x), length)
        x = xt + x
        if length_pre_pad:
            x = x[..., :length_pre_pad]
        return x

    model.forward = types.MethodType(forward, model)
    return ov.__version__
