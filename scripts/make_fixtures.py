#!/usr/bin/env python3
"""Generate PyTorch reference fixtures for Demixer's Swift tests.

Usage:
    python scripts/make_fixtures.py --out Tests/DemucsTests/Fixtures
    python scripts/make_fixtures.py --official --out fixtures-official

The first form writes the small, committed cases (small_forward, small_apply,
small_6s, small_bag). The second writes the official-size htdemucs config
(41,984,456 parameters) with random weights; it is large and NOT committed.

Every model is built from kwargs, its weights are redrawn so that every block
matters (see `redraw_`), it is serialized exactly the way demucs releases its
checkpoints (`{klass, args, kwargs, state(fp16), training_args}` written with
`demucs.states.save_with_checksum`, so the file is `<sig>-<sha256[:8]>.th`),
and then RELOADED with `demucs.states.load_model`. All reference outputs are
computed with the reloaded model, i.e. with fp16-rounded weights held in fp32,
exactly what the Swift side loads.

Tensors are written to `io.safetensors` (hand-written: 8-byte little-endian
header length, JSON header, raw little-endian F32 data) and described in a
`manifest.json` per case.
"""
import argparse
import copy
import hashlib
import io
import json
import math
import random
import struct
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from torch import nn

import demucs
from demucs.apply import BagOfModels, apply_model
from demucs.htdemucs import HTDemucs
from demucs.states import get_state, load_model
from demucs.transformer import LayerScale

torch.set_num_threads(2)

SOURCES4 = ["drums", "bass", "other", "vocals"]
SOURCES6 = ["drums", "bass", "other", "vocals", "guitar", "piano"]

# Official htdemucs (955717e8) architecture kwargs. Everything not listed is the
# HTDemucs.__init__ default, which is what the release used.
OFFICIAL_KWARGS = dict(
    sources=SOURCES4,
    audio_channels=2,
    samplerate=44100,
    segment=Fraction(39, 5),
    channels=48,
    channels_time=None,
    growth=2,
    nfft=4096,
    wiener_iters=0,
    end_iters=0,
    wiener_residual=False,
    cac=True,
    depth=4,
    rewrite=True,
    multi_freqs=[],
    multi_freqs_depth=3,
    freq_emb=0.2,
    emb_scale=10,
    emb_smooth=True,
    kernel_size=8,
    stride=4,
    time_stride=2,
    context=1,
    context_enc=0,
    norm_starts=4,
    norm_groups=4,
    dconv_mode=3,
    dconv_depth=2,
    dconv_comp=8,
    dconv_init=1e-3,
    bottom_channels=512,
    t_layers=5,
    t_emb="sin",
    t_hidden_scale=4.0,
    t_heads=8,
    t_dropout=0.0,
    t_max_positions=10000,
    t_norm_in=True,
    t_norm_in_group=False,
    t_group_norm=False,
    t_norm_first=True,
    t_norm_out=True,
    t_max_period=10000.0,
    t_weight_decay=0.0,
    t_lr=None,
    t_layer_scale=True,
    t_gelu=True,
    t_weight_pos_embed=1.0,
    t_sin_random_shift=0,
    t_cape_mean_normalize=True,
    t_cape_augment=True,
    t_cape_glob_loc_scale=[5000.0, 1.0, 1.4],
    t_sparse_self_attn=False,
    t_sparse_cross_attn=False,
    t_mask_type="diag",
    t_mask_random_seed=42,
    t_sparse_attn_window=500,
    t_global_window=100,
    t_sparsity=0.95,
    t_auto_sparsity=False,
    t_cross_first=False,
    rescale=0.1,
    use_train_segment=True,
)
OFFICIAL_PARAMS = 41_984_456


def small_kwargs(**over):
    """Small config: same structure as official (nfft 4096, depth 4, dconv in
    enc+dec, CaC, freq emb, bottom channels, 5 transformer layers alternating
    self/cross) but narrow, and with GroupNorm from layer 2 on."""
    kw = dict(OFFICIAL_KWARGS)
    kw.update(
        channels=8,
        bottom_channels=32,
        t_layers=5,
        t_heads=4,
        norm_starts=2,
        segment=Fraction(1, 2),
    )
    kw.update(over)
    return kw


# --------------------------------------------------------------------------
# safetensors (hand-written, F32 only)

def write_safetensors(path, tensors, metadata):
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().to(torch.float32).numpy()).astype("<f4")
        assert np.all(np.isfinite(a)), name
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, h in header.items():
        b, e = h["data_offsets"]
        a = np.frombuffer(data[8 + n + b:8 + n + e], dtype="<f4").reshape(h["shape"])
        out[name] = torch.from_numpy(a.copy())
    return out, meta


# --------------------------------------------------------------------------
# model building / serialization

def redraw_(model, gen, ls_range=(0.5, 1.5), norm_w=(0.5, 1.5), norm_b=0.1):
    """Make every branch matter: LayerScales (DConv and transformer) ~ U(ls_range),
    GroupNorm/LayerNorm weights ~ U(norm_w), biases ~ N(0, norm_b).
    Conv/linear weights keep demucs's init (incl. its `rescale`)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, LayerScale):
                lo, hi = ls_range
                m.scale.copy_(torch.rand(m.scale.shape, generator=gen) * (hi - lo) + lo)
            elif isinstance(m, (nn.GroupNorm, nn.LayerNorm)):
                if m.weight is not None:
                    lo, hi = norm_w
                    m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * (hi - lo) + lo)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * norm_b)


def build_model(kwargs, seed):
    torch.manual_seed(seed)
    model = HTDemucs(**copy.deepcopy(kwargs))
    gen = torch.Generator().manual_seed(seed + 1000)
    redraw_(model, gen)
    model.eval()
    return model


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def save_release(model, folder, sig, training_args):
    """Serialize exactly like demucs's release path (states.serialize_model with
    half=True, then states.save_with_checksum). serialize_model itself needs
    omegaconf only to convert a DictConfig to a dict; we pass a plain dict.
    Returns the final file name `<sig>-<sha256[:8]>.th`."""
    args, kwargs = model._init_args_kwargs
    pkg = {
        "klass": model.__class__,
        "args": args,
        "kwargs": kwargs,
        "state": get_state(model, None, half=True),
        "training_args": training_args,
    }
    buf = io.BytesIO()
    torch.save(pkg, buf)
    h = hashlib.sha256(buf.getvalue()).hexdigest()[:8]
    name = f"{sig}-{h}.th"
    # same bytes / name that demucs.states.save_with_checksum produces
    (folder / name).write_bytes(buf.getvalue())
    return name


def reload(path):
    m = load_model(str(path))
    m.eval()
    return m


def kwargs_json(kw):
    out = {}
    for k, v in kw.items():
        if isinstance(v, Fraction):
            out[k] = {"fraction": [v.numerator, v.denominator], "float": float(v)}
        else:
            out[k] = v
    return out


# --------------------------------------------------------------------------
# inputs

def audio_like(n, seed, sr=44100, peak=0.5):
    """Stereo mixture of a few decaying sines (some harmonic, some with
    vibrato), clicks and noise; peak-normalised to `peak`. float32 [2, n]."""
    rng = np.random.RandomState(seed)
    t = np.arange(n) / sr
    x = np.zeros((2, n))
    for _ in range(12):
        f0 = rng.uniform(40, 4000)
        amp = rng.uniform(0.1, 1.0) / (1 + f0 / 1000)
        vib = rng.uniform(0, 5) * np.sin(2 * np.pi * rng.uniform(0.5, 6) * t)
        phase = 2 * np.pi * np.cumsum(f0 + vib) / sr
        env = np.exp(-((t - rng.uniform(0, t[-1] + 1e-9)) ** 2) / rng.uniform(0.02, 0.5))
        pan = rng.uniform(0.2, 0.8)
        s = amp * env * (np.sin(phase) + 0.3 * np.sin(2 * phase + rng.uniform(0, 6)))
        x[0] += pan * s
        x[1] += (1 - pan) * s
    clicks = (rng.uniform(size=n) < 20 / sr) * rng.uniform(-1, 1, size=n)
    x += 0.5 * clicks[None]
    x += 0.05 * rng.randn(2, n)
    x[1] += 0.02 * rng.randn(n)
    x = x / np.abs(x).max() * peak
    return torch.from_numpy(x.astype(np.float32))


# --------------------------------------------------------------------------
# forward with hooks

def forward_with_hooks(model, mix):
    """mix: [B, 2, T]. Returns (output, dict of hook tensors)."""
    caps = {}
    handles = []

    def cap(name, which):
        def hook(mod, inp, out):
            if "in" in which:
                caps[f"hook.{name}.in"] = inp[0].detach().clone()
            if "out" in which:
                if isinstance(out, tuple):
                    for i, o in enumerate(out):
                        caps[f"hook.{name}.out{i}"] = o.detach().clone()
                else:
                    caps[f"hook.{name}.out"] = out.detach().clone()
        return hook

    def cap_pair_in(name):
        def hook(mod, inp):
            caps[f"hook.{name}.in0"] = inp[0].detach().clone()
            caps[f"hook.{name}.in1"] = inp[1].detach().clone()
        return hook

    for i, m in enumerate(model.encoder):
        handles.append(m.register_forward_hook(cap(f"encoder.{i}", ("in", "out") if i == 0 else ("out",))))
    for i, m in enumerate(model.tencoder):
        handles.append(m.register_forward_hook(cap(f"tencoder.{i}", ("in", "out") if i == 0 else ("out",))))
    if model.freq_emb is not None:
        handles.append(model.freq_emb.register_forward_hook(cap("freq_emb", ("out",))))
    for name in ["channel_upsampler", "channel_upsampler_t",
                 "channel_downsampler", "channel_downsampler_t"]:
        if hasattr(model, name):
            handles.append(getattr(model, name).register_forward_hook(cap(name, ("out",))))
    if model.crosstransformer is not None:
        ct = model.crosstransformer
        handles.append(ct.register_forward_pre_hook(cap_pair_in("crosstransformer")))
        handles.append(ct.register_forward_hook(cap("crosstransformer", ("out",))))
        for i, (l, lt) in enumerate(zip(ct.layers, ct.layers_t)):
            handles.append(l.register_forward_hook(cap(f"crosstransformer.layers.{i}", ("out",))))
            handles.append(lt.register_forward_hook(cap(f"crosstransformer.layers_t.{i}", ("out",))))
    for i, m in enumerate(model.decoder):
        handles.append(m.register_forward_hook(cap(f"decoder.{i}", ("out",))))
    for i, m in enumerate(model.tdecoder):
        handles.append(m.register_forward_hook(cap(f"tdecoder.{i}", ("out",))))

    orig_ispec = model._ispec

    def ispec(z, length=None, scale=0):
        x = orig_ispec(z, length, scale)
        caps["hook.ispec.out"] = x.detach().clone()
        return x

    model._ispec = ispec
    try:
        with torch.no_grad():
            out = model(mix)
    finally:
        del model._ispec
        for h in handles:
            h.remove()

    # Recompute the normalisation statistics with the same ops as HTDemucs.forward.
    with torch.no_grad():
        z = model._spec(mix)
        mag = model._magnitude(z)
        caps["aux.spec_mean"] = mag.mean(dim=(1, 2, 3), keepdim=True)
        caps["aux.spec_std"] = mag.std(dim=(1, 2, 3), keepdim=True)
        caps["aux.wav_mean"] = mix.mean(dim=(1, 2), keepdim=True)
        caps["aux.wav_std"] = mix.std(dim=(1, 2), keepdim=True)
        B = mix.shape[0]
        S = len(model.sources)
        # The final time-branch output (not saved, to keep fixtures small) is
        #   xt = tdecoder.{last}.out0.view(B, S, 2, T) * wav_std + wav_mean
        # and output = xt + ispec.out, bit-exactly (checked here).
        xt = caps[f"hook.tdecoder.{len(model.tdecoder) - 1}.out0"]
        xt = xt.view(B, S, -1, xt.shape[-1])
        xt = xt * caps["aux.wav_std"][:, None] + caps["aux.wav_mean"][:, None]
        recon = xt + caps["hook.ispec.out"]
        assert torch.equal(recon, out), (recon - out).abs().max()
    return out, caps


# --------------------------------------------------------------------------
# ablations

def snr_db(ref, est):
    num = (ref.double() ** 2).sum()
    den = ((ref.double() - est.double()) ** 2).sum()
    if den == 0:
        return float("inf")
    return float(10 * torch.log10(num / den))


def ablations(model, full_only_transformer=False):
    """Yields (name, context-setter). Each setter modifies a deep copy."""
    abl = []

    def dconv_list():
        res = []
        for branch in ["encoder", "tencoder", "decoder", "tdecoder"]:
            for i, layer in enumerate(getattr(model, branch)):
                if getattr(layer, "dconv", None) is not None:
                    for j in range(len(layer.dconv.layers)):
                        res.append((branch, i, j))
        return res

    for branch, i, j in dconv_list():
        def f(m, branch=branch, i=i, j=j):
            getattr(m, branch)[i].dconv.layers[j][-1].scale.data.zero_()
        abl.append((f"dconv {branch}.{i}.dconv.layers.{j}", f))

    ct = model.crosstransformer
    if ct is not None:
        for idx in range(ct.num_layers):
            kind = "self" if idx % 2 == ct.classic_parity else "cross"
            for lname in ["layers", "layers_t"]:
                def f(m, lname=lname, idx=idx):
                    getattr(m.crosstransformer, lname)[idx].gamma_1.scale.data.zero_()
                abl.append((f"{kind}-attn crosstransformer.{lname}.{idx} (gamma_1=0)", f))
                def f(m, lname=lname, idx=idx):
                    getattr(m.crosstransformer, lname)[idx].gamma_2.scale.data.zero_()
                abl.append((f"ffn crosstransformer.{lname}.{idx} (gamma_2=0)", f))

    if model.freq_emb is not None:
        def f(m):
            m.freq_emb_scale = 0.0
        abl.append(("freq_emb (freq_emb_scale=0)", f))

    def f(m):
        last = m.tdecoder[len(m.tdecoder) - 1]
        last.register_forward_hook(lambda mod, inp, out: (torch.zeros_like(out[0]), out[1]))
    abl.append(("time branch (last tdecoder output=0)", f))
    return abl


def run_ablations(model, mix, ref, limit_db=40.0, log=print):
    results = []
    for name, f in ablations(model):
        m = copy.deepcopy(model)
        f(m)
        with torch.no_grad():
            out = m(mix)
        s = snr_db(ref, out)
        assert torch.isfinite(out).all(), name
        results.append((name, s))
        log(f"    ablation {name:55s} SNR {s:7.2f} dB")
    bad = [(n, s) for n, s in results if not s < limit_db]
    assert not bad, f"ablations not below {limit_db} dB: {bad}"
    return results


# --------------------------------------------------------------------------
# cases

def write_case(folder, tensors, manifest, description):
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"description": description,
            "generator": "scripts/make_fixtures.py",
            "torch": torch.__version__.split("+")[0],
            "demucs": demucs.__version__}
    write_safetensors(folder / "io.safetensors", tensors, meta)
    manifest = dict(manifest)
    manifest["description"] = description
    manifest["safetensors"] = "io.safetensors"
    manifest["tensors"] = {k: list(v.shape) for k, v in tensors.items()}
    manifest["versions"] = {"torch": meta["torch"], "demucs": meta["demucs"]}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    # round-trip check
    back, _ = read_safetensors(folder / "io.safetensors")
    for k, v in tensors.items():
        assert torch.equal(back[k], v.detach().cpu().float()), k


def make_model_files(folder, kwargs, seed, sig, case):
    folder.mkdir(parents=True, exist_ok=True)
    model = build_model(kwargs, seed)
    training_args = {"note": "random weights, not trained",
                     "generator": "scripts/make_fixtures.py",
                     "case": case, "seed": seed}
    name = save_release(model, folder, sig, training_args)
    loaded = reload(folder / name)
    return name, loaded


def forward_case(out_dir, case, kwargs, seed, sig, input_seed, description,
                 check_ablations, log):
    folder = out_dir / case
    t0 = time.time()
    name, model = make_model_files(folder, kwargs, seed, sig, case)
    log(f"[{case}] model {name}: {n_params(model)} params, "
        f"{(folder / name).stat().st_size / 1e6:.2f} MB ({time.time() - t0:.1f}s)")
    T = int(model.segment * model.samplerate)
    mix = audio_like(T, input_seed)[None]
    t0 = time.time()
    out, caps = forward_with_hooks(model, mix)
    log(f"[{case}] forward on [1, 2, {T}] in {time.time() - t0:.2f}s, "
        f"out rms {out.pow(2).mean().sqrt():.4f} max {out.abs().max():.4f}")
    assert torch.isfinite(out).all()
    # determinism / fp16-reload sanity: a second reload must give the same output
    model2 = reload(folder / name)
    with torch.no_grad():
        out2 = model2(mix)
    assert torch.equal(out, out2), "forward is not reproducible"
    abl = []
    if check_ablations:
        t0 = time.time()
        abl = run_ablations(model, mix, out, log=log)
        log(f"[{case}] {len(abl)} ablations in {time.time() - t0:.1f}s")
    tensors = {"input": mix, "output": out}
    tensors.update(caps)
    manifest = {
        "case": case,
        "model_files": [name],
        "seed": seed,
        "input_seed": input_seed,
        "num_parameters": n_params(model),
        "kwargs": kwargs_json(model._init_args_kwargs[1]),
        "segment_samples": T,
        "input_layout": "input [B=1, C=2, T]; output [B=1, S, C=2, T]; model called as model(input) in eval mode",
        "ablations_snr_db": {n: s for n, s in abl},
    }
    write_case(folder, tensors, manifest, description)
    return model, mix, out, name


def apply_case(out_dir, case, model_files_src, model, length, input_seed, description,
               log, shifts_seed=None):
    folder = out_dir / case
    folder.mkdir(parents=True, exist_ok=True)
    mix = audio_like(length, input_seed)
    t0 = time.time()
    with torch.no_grad():
        out = apply_model(model, mix[None], shifts=0, split=True, overlap=0.25,
                          transition_power=1.0, progress=False)[0]
    log(f"[{case}] apply_model on [2, {length}] in {time.time() - t0:.2f}s")
    assert torch.isfinite(out).all()
    tensors = {"input": mix, "output": out}
    extra = {}
    if shifts_seed is not None:
        max_shift = int(0.5 * model.samplerate)
        random.seed(shifts_seed)
        offset = random.randint(0, max_shift)
        random.seed(shifts_seed)
        with torch.no_grad():
            out_s = apply_model(model, mix[None], shifts=1, split=True, overlap=0.25,
                                transition_power=1.0, progress=False)[0]
        tensors["output_shifts1"] = out_s
        extra["shifts1"] = {
            "python_random_seed": shifts_seed,
            "offset": offset,
            "max_shift": max_shift,
            "how": "random.seed(seed); apply_model(..., shifts=1). apply_model pads the "
                   "mix by max_shift zeros on both sides (TensorChunk.padded, centred), takes "
                   "padded[offset : offset + length + max_shift - offset], runs the split "
                   "path on it, and keeps out[..., max_shift - offset:] (first `length` "
                   "samples are the result).",
        }
        log(f"[{case}] shifts=1 offset {offset}")
    seg_len = int(model.segment * model.samplerate) if not isinstance(model, BagOfModels) else None
    manifest = {
        "case": case,
        # same checkpoint as the forward case, referenced (not copied) to save space
        "model_files": [str(Path("..") / f.parent.name / f.name) for f in model_files_src],
        "input_seed": input_seed,
        "apply_model": {"shifts": 0, "split": True, "overlap": 0.25,
                        "transition_power": 1.0, "segment": None},
        "input_layout": "input [C=2, T]; output [S, C=2, T]; computed as "
                        "apply_model(model, input[None], ...)[0] (batch dim added/removed); "
                        "no demucs.separate-style mean/std normalisation of the mix",
        "length": length,
        "segment_samples": seg_len,
    }
    manifest.update(extra)
    return folder, tensors, manifest


def make_small(out_dir, log):
    results = {}
    # 1. small_forward
    kw = small_kwargs()
    model, mix, out, name = forward_case(
        out_dir, "small_forward", kw, seed=1, sig="5f0a1e01", input_seed=11,
        description="Small HTDemucs (4 sources, channels 8, bottom 32, 5 transformer layers, "
                    "norm_starts 2, segment 1/2 s), random redrawn weights, one forward on "
                    "exactly one segment, with intermediate hooks.",
        check_ablations=True, log=log)

    # 2. small_apply: same model/checkpoint, apply_model over 3.37 segments + prime
    seg = int(model.segment * model.samplerate)
    length = int(3.37 * seg) + 101
    folder, tensors, manifest = apply_case(
        out_dir, "small_apply", [out_dir / "small_forward" / name], model, length,
        input_seed=12, description="small_forward's model through demucs.apply.apply_model "
        "(shifts=0, split=True, overlap=0.25, transition_power=1); plus output_shifts1 with "
        "shifts=1 and a seeded python random offset.", log=log, shifts_seed=1234)
    manifest["kwargs"] = kwargs_json(model._init_args_kwargs[1])
    write_case(folder, tensors, manifest,
               "small_forward's model (same checkpoint) through demucs.apply.apply_model "
               "(shifts=0, split=True, overlap=0.25, transition_power=1) on 3.37 segments + 101 "
               "samples; output_shifts1: same with shifts=1 and a seeded python random offset.")

    # 3. small_6s
    kw6 = small_kwargs(sources=SOURCES6, bottom_channels=0, t_layers=3,
                       segment=Fraction(1, 4))
    forward_case(
        out_dir, "small_6s", kw6, seed=3, sig="6c6c6c06", input_seed=13,
        description="Small 6-source HTDemucs with bottom_channels=0 (no channel up/down "
                    "samplers, like htdemucs_6s), 3 transformer layers, segment 1/4 s, one forward with hooks.",
        check_ablations=True, log=log)

    # 4. small_bag: two different small models with a non-trivial weights matrix
    folder = out_dir / "small_bag"
    kwa = small_kwargs(segment=Fraction(1, 2))
    kwb = small_kwargs(channels=8, dconv_comp=4, bottom_channels=0, t_layers=2, t_heads=2,
                       norm_starts=4, dconv_mode=1, segment=Fraction(3, 10))
    na, ma = make_model_files(folder, kwa, seed=41, sig="ba90000a", case="small_bag")
    nb, mb = make_model_files(folder, kwb, seed=42, sig="ba90000b", case="small_bag")
    weights = [[1.0, 0.5, 0.25, 0.0], [0.0, 0.5, 0.75, 1.0]]
    bag = BagOfModels([ma, mb], weights=weights)
    length = int(1.6 * 22050) + 13
    mix = audio_like(length, 14)
    t0 = time.time()
    with torch.no_grad():
        out = apply_model(bag, mix[None], shifts=0, split=True, overlap=0.25,
                          transition_power=1.0)[0]
        # Per-model outputs for bisection.
        oa = apply_model(ma, mix[None], shifts=0, split=True, overlap=0.25,
                         transition_power=1.0)[0]
        ob = apply_model(mb, mix[None], shifts=0, split=True, overlap=0.25,
                         transition_power=1.0)[0]
    log(f"[small_bag] apply_model(bag) on [2, {length}] in {time.time() - t0:.2f}s")
    tensors = {"input": mix, "output": out, "output_model0": oa, "output_model1": ob,
               "bag_weights": torch.tensor(weights)}
    manifest = {
        "case": "small_bag",
        "model_files": [na, nb],
        "bag_weights": weights,
        "bag_weights_layout": "[num_models, num_sources]; output[s] = sum_m w[m][s] * out_m[s] / sum_m w[m][s]",
        "kwargs": [kwargs_json(ma._init_args_kwargs[1]), kwargs_json(mb._init_args_kwargs[1])],
        "num_parameters": [n_params(ma), n_params(mb)],
        "segment_samples": [int(m.segment * m.samplerate) for m in (ma, mb)],
        "apply_model": {"shifts": 0, "split": True, "overlap": 0.25,
                        "transition_power": 1.0, "segment": None},
        "input_layout": "input [C=2, T]; output* [S, C=2, T]; apply_model(bag, input[None])[0]. "
                        "Each model is applied with its own segment length.",
        "length": length,
    }
    write_case(folder, tensors, manifest,
               "BagOfModels of two different small HTDemucs models (A: small_forward config, "
               "B: channels 8, dconv_comp 4, no bottom channels, 2 transformer layers, dconv encoder only, "
               "no GroupNorm, segment 3/10 s) with per-source weights, through apply_model.")


def make_official(out_dir, log, ablate):
    kw = dict(OFFICIAL_KWARGS)
    t0 = time.time()
    model, mix, out, name = forward_case(
        out_dir, "official_forward", kw, seed=7, sig="0ff1c1a1", input_seed=21,
        description="Official htdemucs config (41,984,456 params) with random redrawn weights; "
                    "one forward of one 7.8 s segment with hooks.",
        check_ablations=ablate, log=log)
    assert n_params(model) == OFFICIAL_PARAMS, n_params(model)
    log(f"[official_forward] total {time.time() - t0:.1f}s")
    length = int(20.0 * 44100) + 7
    t0 = time.time()
    folder, tensors, manifest = apply_case(
        out_dir, "official_apply", [out_dir / "official_forward" / name], model, length,
        input_seed=22, description="official config through apply_model over ~20 s",
        log=log)
    manifest["kwargs"] = kwargs_json(model._init_args_kwargs[1])
    write_case(folder, tensors, manifest,
               "Official htdemucs config with random weights through apply_model "
               "(shifts=0, split=True, overlap=0.25) over ~20 s.")
    log(f"[official_apply] total {time.time() - t0:.1f}s")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--official", action="store_true",
                   help="make the official-size config instead of the small cases")
    p.add_argument("--official-ablations", action="store_true",
                   help="also run (slow) ablations on the official config")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    log = lambda s: print(s, flush=True)  # noqa
    log(f"torch {torch.__version__}, demucs {demucs.__version__}, threads {torch.get_num_threads()}")
    if args.official:
        make_official(args.out, log, args.official_ablations)
    else:
        make_small(args.out, log)


if __name__ == "__main__":
    main()
