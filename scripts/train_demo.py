#!/usr/bin/env python3
"""Trains the bundled demo model: a small HTDemucs on synthetic songs.

The recipe follows the HT Demucs paper at small scale: L1 loss on waveforms,
Adam (lr 3e-4, betas 0.9/0.999, no weight decay), remixing (each stem of an
example comes from a different song), random gain, sign flip and channel swap.
The run is resumable: it saves its state to WORK/state.pt every few minutes
and continues from there when started again; it stops after --minutes of
training in this call, or after --steps in all. The release checkpoint is
written in demucs's own format (`{klass, args, kwargs, state(fp16)}`, named
`<sig>-<sha256[:8]>.th`).

    python scripts/train_demo.py --work /tmp/demo-train --minutes 90 --out Weights
"""
import argparse
import json
import pathlib
import sys
import time
from fractions import Fraction

import numpy as np
import torch
from demucs.htdemucs import HTDemucs

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from demo_songs import SR, STEMS, song_stems  # noqa: E402
from make_fixtures import save_release  # noqa: E402

SEED = 20261126
TRAIN_SONGS = 400
TRAIN_SECONDS = 8
MODEL_KWARGS = dict(
    sources=STEMS,
    audio_channels=2,
    samplerate=SR,
    segment=Fraction(3),
    channels=16,
    depth=4,
    dconv_mode=1,
    bottom_channels=0,
    t_layers=2,
    t_heads=8,
)
SIGNATURE = "demo0001"


def training_set(work):
    """All training songs as one float16 array (songs, stems, 2, samples), cached in WORK."""
    path = work / f"train-{TRAIN_SONGS}x{TRAIN_SECONDS}s.npy"
    if path.exists():
        return np.load(path, mmap_mode="r")
    data = np.zeros((TRAIN_SONGS, len(STEMS), 2, TRAIN_SECONDS * SR), dtype=np.float16)
    started = time.time()
    for i in range(TRAIN_SONGS):
        stems = song_stems(SEED + i, TRAIN_SECONDS)
        data[i] = np.stack([stems[s] for s in STEMS])
        if i % 40 == 39:
            print(f"generated {i + 1}/{TRAIN_SONGS} songs in {time.time() - started:.0f} s", flush=True)
    np.save(path.with_suffix(".tmp.npy"), data)
    path.with_suffix(".tmp.npy").rename(path)
    return data


def batch(data, rng, size, length):
    """Remixed examples: every stem from a random song and offset, with gain, sign flip and channel swap."""
    songs, stems, _, total = data.shape
    out = np.empty((size, stems, 2, length), dtype=np.float32)
    for b in range(size):
        for s in range(stems):
            song = rng.integers(songs)
            start = rng.integers(total - length + 1)
            wave = np.asarray(data[song, s, :, start:start + length], dtype=np.float32)
            if rng.random() < 0.5:
                wave = wave[::-1]
            gain = rng.uniform(0.25, 1.25) * (1 if rng.random() < 0.5 else -1)
            out[b, s] = wave * gain
    targets = torch.from_numpy(out)
    return targets.sum(dim=1), targets


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", type=pathlib.Path, required=True, help="folder for the cached data and resumable state")
    p.add_argument("--minutes", type=float, default=90, help="training time in this call")
    p.add_argument("--steps", type=int, default=100_000, help="stop after this many steps in all")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=pathlib.Path, help="folder to write the release checkpoint into")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    data = training_set(args.work)

    torch.manual_seed(SEED)
    model = HTDemucs(**MODEL_KWARGS)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4, betas=(0.9, 0.999), weight_decay=0)
    rng = np.random.default_rng(SEED)
    step, seconds, history = 0, 0.0, []
    state_path = args.work / "state.pt"
    if state_path.exists():
        state = torch.load(state_path, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["rng"]
        step, seconds, history = state["step"], state["seconds"], state["history"]
        print(f"resumed at step {step} after {seconds / 60:.1f} min", flush=True)

    def save():
        state = dict(model=model.state_dict(), optimizer=optimizer.state_dict(), rng=rng.bit_generator.state,
                     step=step, seconds=seconds, history=history)
        torch.save(state, args.work / "state.tmp.pt")
        (args.work / "state.tmp.pt").rename(state_path)

    length = int(MODEL_KWARGS["segment"] * SR)
    model.train()
    call_started = last_save = time.time()
    running = []
    while step < args.steps and time.time() - call_started < args.minutes * 60:
        t0 = time.time()
        mix, targets = batch(data, rng, args.batch, length)
        loss = (model(mix) - targets).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        seconds += time.time() - t0
        running.append(loss.item())
        if step % 50 == 0:
            history.append((step, round(seconds), float(np.mean(running))))
            print(f"step {step}  L1 {np.mean(running):.5f}  {seconds / 60:.1f} min", flush=True)
            running = []
        if time.time() - last_save > 300:
            save()
            last_save = time.time()
    save()

    if args.out:
        model.eval()
        args.out.mkdir(parents=True, exist_ok=True)
        training = dict(seed=SEED, steps=step, batch=args.batch, train_songs=TRAIN_SONGS,
                        train_seconds=TRAIN_SECONDS, lr=3e-4, loss="l1", minutes=round(seconds / 60, 1))
        name = save_release(model, args.out, SIGNATURE, training)
        (args.work / "history.json").write_text(json.dumps(dict(training=training, history=history)))
        print(f"wrote {args.out / name}", flush=True)


if __name__ == "__main__":
    main()
