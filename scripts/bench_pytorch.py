#!/usr/bin/env python3
"""Runs PyTorch demucs `apply_model` and `demixer bench` on the same input, checkpoint
and thread count, alternating, and prints both timings and their ratio.

    scripts/bench_pytorch.py --weights fixtures-official/official_forward/0ff1c1a1-00f26467.th \
        --seconds 60 --threads 2 --rounds 2

Each side runs in its own process, so its peak resident memory is its own.
`--openblas-own-kernels` runs demixer without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, so
OpenBLAS picks its kernels for this CPU as it does on a machine that sets neither
(PyTorch's products use MKL either way).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def synthetic_mix(seconds, rate=44100, seed=5):
    """Deterministic music-like stereo: partials, a decaying beat, a little noise."""
    n = int(seconds * rate)
    t = np.arange(n, dtype=np.float64) / rate
    rng = np.random.default_rng(seed)
    tone = 0.3 * np.sin(2 * np.pi * 110 * t) + 0.2 * np.sin(2 * np.pi * 220.5 * t) + 0.1 * np.sin(2 * np.pi * 659 * t)
    beat = np.exp(-8 * np.mod(t, 0.5))
    hiss = rng.uniform(-0.025, 0.025, size=(2, n))
    mix = np.stack([tone + 8 * beat * hiss[0], 0.9 * tone + hiss[1]])
    return mix.astype(np.float32)


def run_torch(args):
    """Child process: load the checkpoint, separate, print a JSON report."""
    import torch
    from demucs.apply import apply_model
    from demucs.states import load_model

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    model = load_model(args.weights)
    model.eval()
    load = time.perf_counter() - start
    mix = torch.from_numpy(np.fromfile(args.input, dtype=np.float32).reshape(2, -1))
    start = time.perf_counter()
    with torch.no_grad():
        out = apply_model(model, mix[None], shifts=0, split=True, overlap=args.overlap, progress=False)
    separation = time.perf_counter() - start
    audio = mix.shape[1] / model.samplerate
    print(json.dumps({
        "audio_seconds": audio, "load_seconds": load, "separation_seconds": separation,
        "rtf": (load + separation) / audio,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "checksum": float(out.abs().sum()),
    }))


def child(command, env):
    """Runs one side; adds the CPU seconds it used (user + system), which a loaded
    machine distorts less than wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return report


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=os.path.join(
        root, "fixtures-official/official_forward/0ff1c1a1-00f26467.th"))
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--overlap", type=float, default=0.25)
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs of each side")
    parser.add_argument("--demixer", default=os.path.join(root, ".build/release/demixer"))
    parser.add_argument("--skip-torch", action="store_true", help="time demixer only")
    parser.add_argument("--openblas-own-kernels", action="store_true",
                        help="unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for demixer")
    parser.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_child:
        return run_torch(args)

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
    swift_env = dict(env)
    if args.openblas_own_kernels:
        swift_env.pop("OPENBLAS_CORETYPE", None)
        swift_env.pop("OPENBLAS_L2_SIZE", None)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mix.f32")
        synthetic_mix(args.seconds).tofile(path)
        swift_cmd = [args.demixer, "bench", "--input", path, "--threads", str(args.threads),
                     "--overlap", str(args.overlap), "--json", "--weights", args.weights]
        torch_cmd = [sys.executable, os.path.abspath(__file__), "--torch-child", "--input", path,
                     "--weights", args.weights, "--threads", str(args.threads), "--overlap", str(args.overlap)]
        swift_runs, torch_runs = [], []
        for r in range(args.rounds):
            swift_runs.append(child(swift_cmd, swift_env))
            print(f"round {r + 1}: demixer  {json.dumps(swift_runs[-1])}", flush=True)
            if not args.skip_torch:
                torch_runs.append(child(torch_cmd, env))
                print(f"round {r + 1}: pytorch  {json.dumps(torch_runs[-1])}", flush=True)

    def best(runs, key):
        return min(run[key] for run in runs)

    print()
    print(f"{'':22}{'demixer':>10}{'pytorch':>10}")
    for key in ["load_seconds", "separation_seconds", "rtf", "cpu_seconds", "peak_rss_mb"]:
        t = f"{best(torch_runs, key):10.3f}" if torch_runs else f"{'-':>10}"
        print(f"{key:22}{best(swift_runs, key):10.3f}{t}")
    stages = swift_runs[-1]["stages"]
    print("demixer stages (last run): " + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(stages.items())))
    print(f"demixer GEMM rate: {swift_runs[-1]['gemm_gflops_per_second']:.1f} GFLOP/s")
    if torch_runs:
        ratios = [t["rtf"] / s["rtf"] for s, t in zip(swift_runs, torch_runs)]
        print("speed-up (PyTorch RTF / demixer RTF, per round): " + ", ".join(f"{x:.2f}x" for x in ratios))
        cpu = [t["cpu_seconds"] / s["cpu_seconds"] for s, t in zip(swift_runs, torch_runs)]
        print("CPU-time ratio (PyTorch / demixer, per round): " + ", ".join(f"{x:.2f}x" for x in cpu))
        print(f"output checksum sum|x|: demixer {swift_runs[-1]['checksum']:.6g}, "
              f"pytorch {torch_runs[-1]['checksum']:.6g}")


if __name__ == "__main__":
    main()
