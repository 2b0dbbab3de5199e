#!/usr/bin/env python3
"""Regenerates the fuzz seeds in this folder (needs python3 and ffmpeg, not torch).

model.safetensors: the tensors of Tests/DemucsTests/Fixtures/small_forward's checkpoint,
kept fp16, with the metadata a safetensors conversion carries (sources, segment, t_heads).
*.wav, *.flac: a fraction of a second of tones and noise in a few layouts.
The .th seed is that fixture itself (not copied here)."""
import json, os, pickle, struct, subprocess, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../../.."))
CHECKPOINT = os.path.join(ROOT, "Tests/DemucsTests/Fixtures/small_forward/5f0a1e01-754fa305.th")

class Storage:
    def __init__(self, dtype, key, numel): self.dtype, self.key, self.numel = dtype, key, numel

class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

def rebuild(storage, offset, size, stride, *rest): return Tensor(storage, offset, size, stride)

class Loader(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"): return rebuild
        if module == "torch" and name.endswith("Storage"): return name
        if (module, name) == ("collections", "OrderedDict"):
            import collections; return collections.OrderedDict
        if (module, name) == ("fractions", "Fraction"):
            import fractions; return fractions.Fraction
        if module == "demucs.htdemucs": return name
        raise pickle.UnpicklingError(f"{module}.{name}")
    def persistent_load(self, pid):
        _, dtype, key, _, numel = pid
        return Storage(dtype, key, numel)

def safetensors():
    archive = zipfile.ZipFile(CHECKPOINT)
    prefix = archive.namelist()[0].split("/")[0]
    package = Loader(archive.open(f"{prefix}/data.pkl")).load()
    header, blobs, offset = {}, [], 0
    for name, t in package["state"].items():
        assert t.storage.dtype == "HalfStorage"
        count = 1
        for d in t.size: count *= d
        # Contiguous row-major views only (what demucs saves).
        expected, s = [], 1
        for d in reversed(t.size): expected.insert(0, s); s *= d
        assert list(t.stride) == expected or count <= 1, name
        raw = archive.read(f"{prefix}/data/{t.storage.key}")[2 * t.offset: 2 * (t.offset + count)]
        header[name] = {"dtype": "F16", "shape": list(t.size), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw); offset += len(raw)
    kwargs = package["kwargs"]
    header["__metadata__"] = {"sources": ",".join(kwargs["sources"]), "segment": str(float(kwargs["segment"])),
                              "t_heads": str(kwargs["t_heads"])}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(HERE, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))

def audio():
    source = "sine=f=220:d=0.3[a];sine=f=1330:d=0.3[b];anoisesrc=d=0.3:a=0.05[c];[a][b][c]amix=inputs=3"
    def ff(args, out):
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-filter_complex", source] + args
                       + ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", os.path.join(HERE, out)], check=True)
    ff(["-ac", "2", "-ar", "44100", "-c:a", "pcm_s16le"], "stereo-44k-s16.wav")
    ff(["-ac", "1", "-ar", "22050", "-c:a", "pcm_u8", "-t", "0.2"], "mono-22k-u8.wav")
    ff(["-ac", "2", "-ar", "48000", "-c:a", "pcm_f32le", "-t", "0.2"], "stereo-48k-f32.wav")
    ff(["-ac", "2", "-ar", "44100", "-c:a", "flac", "-sample_fmt", "s16"], "stereo-44k.flac")

if __name__ == "__main__":
    safetensors()
    audio()
