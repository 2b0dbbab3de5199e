#!/usr/bin/env python3
"""Runs `demixer bench`, PyTorch demucs `apply_model` and the same `apply_model` with the
network in OpenVINO on the same input, checkpoint and thread count, alternating, and
prints the three timings, their ratios and demixer's GEMM floor.

    scripts/bench_pytorch.py --weights fixtures-official/official_forward/0ff1c1a1-00f26467.th \
        --seconds 60 --threads 2 --rounds 2

Each side runs in its own process, so its peak resident memory is its own.
`--openblas-own-kernels` runs demixer without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, so
OpenBLAS picks its kernels for this CPU as it does on a machine that sets neither
(PyTorch's products use MKL and OpenVINO's oneDNN either way).

The OpenVINO side (`openvino_demucs.py`, needs the `openvino` package) keeps the STFT,
mask and iSTFT in PyTorch and runs the network, converted from the loaded model and
compiled for the CPU in f32, in OpenVINO; its load time includes conversion and
compilation. Its output is compared with PyTorch's (SNR in dB) each round.
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


def run_python_side(args):
    """Child process: load the checkpoint (for OpenVINO also convert and compile it),
    separate, write the stems to `args.output` when given, print a JSON report."""
    import torch
    from demucs.apply import apply_model
    from demucs.states import load_model

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    model = load_model(args.weights)
    model.eval()
    extra = {}
    if args.side_child == "openvino":
        from openvino_demucs import compile_openvino
        extra["openvino_version"] = compile_openvino(model, args.threads)
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
        "checksum": float(out.abs().sum()), **extra,
    }))
    if args.output:
        out.numpy().astype(np.float32).tofile(args.output)


def snr_db(reference_path, other_path):
    """Signal-to-noise ratio of `other` against `reference`, both raw float32, in dB."""
    reference = np.fromfile(reference_path, dtype=np.float32).astype(np.float64)
    other = np.fromfile(other_path, dtype=np.float32).astype(np.float64)
    return 10 * np.log10(np.sum(reference ** 2) / np.sum((reference - other) ** 2))


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
    parser.add_argument("--skip-torch", action="store_true", help="do not run PyTorch")
    parser.add_argument("--skip-openvino", action="store_true", help="do not run OpenVINO")
    parser.add_argument("--openblas-own-kernels", action="store_true",
                        help="unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for demixer")
    parser.add_argument("--side-child", choices=["torch", "openvino"], help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side_child:
        return run_python_side(args)

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
        sides = {"demixer": (swift_cmd, swift_env)}
        for side, skip in [("pytorch", args.skip_torch), ("openvino", args.skip_openvino)]:
            if not skip:
                sides[side] = ([sys.executable, os.path.abspath(__file__),
                                "--side-child", "torch" if side == "pytorch" else "openvino",
                                "--input", path, "--output", os.path.join(folder, side + ".f32"),
                                "--weights", args.weights, "--threads", str(args.threads),
                                "--overlap", str(args.overlap)], env)
        runs = {side: [] for side in sides}
        snrs = []
        for r in range(args.rounds):
            for side, (command, side_env) in sides.items():
                runs[side].append(child(command, side_env))
                print(f"round {r + 1}: {side:9}{json.dumps(runs[side][-1])}", flush=True)
            if len(sides) == 3:
                snrs.append(snr_db(os.path.join(folder, "pytorch.f32"), os.path.join(folder, "openvino.f32")))

    def best(side, key):
        return f"{min(run[key] for run in runs[side]):10.3f}" if side in runs else f"{'-':>10}"

    def per_round(values, unit=""):
        return ", ".join(f"{x:.2f}{unit}" for x in values)

    demixer = runs["demixer"]
    print()
    print(f"{'best of the rounds':22}{'demixer':>10}{'pytorch':>10}{'openvino':>10}")
    for key in ["load_seconds", "separation_seconds", "rtf", "cpu_seconds", "peak_rss_mb"]:
        print(f"{key:22}" + "".join(best(side, key) for side in ["demixer", "pytorch", "openvino"]))
    stages = demixer[-1]["stages"]
    print("demixer stages (last run): " + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(stages.items())))
    print(f"demixer OpenBLAS kernels: {demixer[-1]['blas_kernel']}")
    print(f"demixer GEMM rate over the separation (per round): "
          f"{per_round(r['gemm_gflops_per_second'] for r in demixer)} GFLOP/s")
    print(f"square {demixer[-1]['square_sgemm_size']}^3 sgemm, same threads (per round): "
          f"{per_round(r['square_sgemm_gflops_per_second'] for r in demixer)} GFLOP/s")
    print(f"GEMM floor ({demixer[-1]['gemm_gflop']:.0f} GFLOP of the model's products in direct form, "
          f"{demixer[-1]['issued_gemm_gflop']:.0f} issued with Winograd, at that rate, per round): "
          f"{per_round((r['gemm_floor_seconds'] for r in demixer), ' s')}; "
          f"separation / floor: {per_round(r['floor_ratio'] for r in demixer)}")
    for side, name in [("pytorch", "PyTorch"), ("openvino", "OpenVINO")]:
        if side in runs:
            pairs = list(zip(demixer, runs[side]))
            ratios = "; ".join(
                f"{label} {per_round((o[key] / d[key] for d, o in pairs), 'x')}"
                for label, key in [("RTF", "rtf"), ("separation alone", "separation_seconds"),
                                   ("CPU time", "cpu_seconds")])
            print(f"{name} / demixer (per round): {ratios}")
    print("output checksum sum|x| (last round): "
          + ", ".join(f"{side} {runs[side][-1]['checksum']:.6g}" for side in runs))
    if "openvino" in runs:
        print(f"OpenVINO {runs['openvino'][-1]['openvino_version']}")
    if snrs:
        print(f"OpenVINO against PyTorch, SNR (per round): {per_round(snrs, ' dB')}")


if __name__ == "__main__":
    main()
