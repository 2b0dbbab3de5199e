"""Makes the ModelFiles test fixtures with real torch/demucs/safetensors.

Run from anywhere: /work/venv/bin/python Tests/ModelFilesTests/Fixtures/make_fixtures.py
Every tensor value is exactly representable in fp16, so the Swift tests can
recompute the expected values from the same formulas.
"""
import io
import hashlib
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path

import torch
from torch import nn
from demucs.htdemucs import HTDemucs
from demucs.states import save_with_checksum
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent


def ramp(shape, scale=0.25, bias=-2.0, dtype=torch.float32):
    """value[i] = i * scale + bias over the flattened shape."""
    n = 1
    for s in shape:
        n *= s
    return (torch.arange(n, dtype=torch.float32) * scale + bias).reshape(shape).to(dtype)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 2)
        self.norm = nn.GroupNorm(1, 3)
        with torch.no_grad():
            self.conv.weight.copy_(ramp((3, 2, 2)))
            self.conv.bias.copy_(ramp((3,), 0.5, 1.0))
            self.norm.weight.copy_(ramp((3,), 1.0, 0.0))
            self.norm.bias.copy_(ramp((3,), -1.0, 0.0))


def demucs_package():
    model = Tiny()
    # As demucs.states.get_state(model, None, half=True) does.
    state = {k: p.data.to(device="cpu", dtype=torch.half) for k, p in model.state_dict().items()}
    big = ramp((4, 3), 1.0, 0.0)
    state["extra.f32"] = ramp((2, 2), 0.1, 0.0)
    state["extra.bf16"] = ramp((4,), 0.5, -1.0, torch.bfloat16)
    state["extra.view"] = big[1:3]  # contiguous view at storage offset 3
    state["extra.scalar"] = torch.tensor(3.5, dtype=torch.half)
    state["extra.special"] = torch.tensor(
        [float("inf"), float("-inf"), float("nan"), -0.0, 65504.0, 2.0**-24, 2.0**-14, -(2.0**-20)],
        dtype=torch.half)
    kwargs = {
        "sources": ["drums", "bass", "other", "vocals"],
        "audio_channels": 2,
        "samplerate": 44100,
        "segment": Fraction(39, 5),
        "cac": True,
        "wiener_residual": False,
        "rescale": 0.1,
        "dconv_kw": {},
        "emb_scale": None,
        "pair": (1, "two", 3.0),
        "big": 2**40,
        "negative": -129,
    }
    return {
        "klass": HTDemucs,
        "args": (),
        "kwargs": kwargs,
        "state": state,
        "training_args": {"epochs": 360, "optim": {"lr": 3e-4, "name": "adam"}, "dset": ["musdb"]},
    }


def main():
    for old in HERE.glob("tiny-*.th"):
        old.unlink()
    save_with_checksum(demucs_package(), HERE / "tiny.th")

    # A community-style file: a bare state_dict (OrderedDict with _metadata), fp32.
    torch.save(Tiny().state_dict(), HERE / "plain_state.th")

    # A non-contiguous tensor, which the reader refuses.
    torch.save({"w": ramp((3, 2)).t()}, HERE / "transposed.th")

    # An int64 tensor: torch.LongStorage is not an allowed global.
    torch.save({"n": torch.arange(3)}, HERE / "int64.th")

    save_file(
        {"a.f32": ramp((2, 3)), "b.f16": ramp((5,), 0.5, 0.0, torch.half),
         "c.bf16": ramp((2, 2), 2.0, -3.0, torch.bfloat16)},
        str(HERE / "tiny.safetensors"), metadata={"format": "pt", "note": "fixture"})


if __name__ == "__main__":
    main()
