#!/usr/bin/env python3
"""Scores a model on held-out synthetic songs, in PyTorch and through Demixer.

SDR is museval-style: 10·log10(Σ s² / Σ (s − ŝ)²) over one-second frames (both
channels together), frames whose reference is all zero skipped, the median over
frames for a song, then the median over songs for a stem. The held-out seeds
are never used in training (training seeds start at train_demo.SEED).

    python scripts/eval_demo.py Weights/model/demo0001-*.th --demixer .build/release/demixer
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf
import torch
from demucs.apply import apply_model
from demucs.states import load_model

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from demo_songs import SR, STEMS, song_stems  # noqa: E402

DEMO_SEED = 1_000_000


def framewise_sdr(reference, estimate, frame=SR):
    """Median over one-second frames of the SDR of `estimate` (channels, n)."""
    scores = []
    for start in range(0, reference.shape[-1] - frame + 1, frame):
        ref = reference[:, start:start + frame].astype(np.float64)
        err = ref - estimate[:, start:start + frame]
        signal = np.sum(ref ** 2)
        if signal == 0:
            continue
        scores.append(10 * np.log10((signal + 1e-12) / (np.sum(err ** 2) + 1e-12)))
    return float(np.median(scores)) if scores else float("nan")


def separate_torch(model, mix):
    """demixer's normalisation around demucs's apply_model (overlap 0.25, no shifts)."""
    wav = torch.from_numpy(mix)
    ref = wav.mean(0)
    mean, std = ref.mean(), ref.std()
    with torch.no_grad():
        out = apply_model(model, ((wav - mean) / std)[None], overlap=0.25, shifts=0, split=True)[0]
    return (out * std + mean).numpy()


def separate_swift(demixer, model_path, mix, work):
    song = work / "song.wav"
    sf.write(song, mix.T, SR, subtype="FLOAT")
    subprocess.run([demixer, "separate", str(song), "--weights", str(model_path), "--bits", "32f", "--clip", "none",
                    "--no-cache", "-o", str(work / "out"), "--filename", "{stem}.{ext}"],
                   check=True, capture_output=True)
    folder = next((work / "out").iterdir())
    return np.stack([sf.read(folder / f"{stem}.wav", dtype="float32")[0].T for stem in STEMS])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", type=pathlib.Path)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--songs", type=int, default=10, help="held-out songs to score")
    p.add_argument("--demixer", help="a built demixer executable, to score the Swift engine too")
    p.add_argument("--json", type=pathlib.Path, help="write the figures here")
    args = p.parse_args()
    torch.set_num_threads(2)
    model = load_model(str(args.model))
    model.eval()

    held_out = [DEMO_SEED + 1 + i for i in range(args.songs)]
    engines = ["pytorch"] + (["demixer"] if args.demixer else [])
    scores = {engine: {stem: [] for stem in STEMS} for engine in engines}
    demo = {}
    for seed in [DEMO_SEED] + held_out:
        stems = song_stems(seed, 30 if seed == DEMO_SEED else args.seconds)
        truth = np.stack([stems[s] for s in STEMS])
        mix = truth.sum(0)
        estimates = {"pytorch": separate_torch(model, mix)}
        if args.demixer:
            with tempfile.TemporaryDirectory() as work:
                estimates["demixer"] = separate_swift(args.demixer, args.model, mix, pathlib.Path(work))
        line = [f"seed {seed}"]
        for engine, estimate in estimates.items():
            song = {stem: framewise_sdr(truth[i], estimate[i]) for i, stem in enumerate(STEMS)}
            if seed == DEMO_SEED:
                demo[engine] = song
            else:
                for stem, value in song.items():
                    scores[engine][stem].append(value)
            line.append(engine + " " + " ".join(f"{v:6.2f}" for v in song.values()))
        print("  ".join(line), flush=True)

    report = {"held_out_seeds": held_out, "seconds": args.seconds, "demo_song": demo, "held_out": {}}
    print(f"\nmedian SDR over {len(held_out)} held-out songs (dB)")
    print("engine    " + " ".join(f"{s:>7}" for s in STEMS) + "    mean")
    for engine in engines:
        medians = {stem: float(np.median(v)) for stem, v in scores[engine].items()}
        medians["mean"] = float(np.mean(list(medians.values())))
        report["held_out"][engine] = medians
        print(f"{engine:9} " + " ".join(f"{medians[s]:7.2f}" for s in STEMS) + f" {medians['mean']:7.2f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
