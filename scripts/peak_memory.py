#!/usr/bin/env python3
"""Run a command and report its peak memory and wall time.

Samples /proc/PID/status every 20 ms: RssAnon (anonymous memory: heap, stacks, the
model's weights and work buffers) and VmRSS (also the file-backed pages of mapped
stem stores and libraries, which the kernel can drop). VmHWM is the kernel's own
peak of VmRSS. With --kill-after S the command gets SIGKILL after S seconds (to
interrupt a separation and measure its resume).

    scripts/peak_memory.py [--kill-after S] [--label TEXT] -- demixer separate song.flac
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time


def status(pid):
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("RssAnon", "VmRSS", "VmHWM", "RssFile", "RssShmem"):
                    fields[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return fields


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kill-after", type=float)
    p.add_argument("--label", default="")
    p.add_argument("--json", action="store_true")
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    started = time.monotonic()
    proc = subprocess.Popen(command)
    peak = {"RssAnon": 0.0, "VmRSS": 0.0, "VmHWM": 0.0, "RssShmem": 0.0}
    killed = False
    while proc.poll() is None:
        for key, value in status(proc.pid).items():
            if key in peak:
                peak[key] = max(peak[key], value)
        if args.kill_after is not None and not killed and time.monotonic() - started >= args.kill_after:
            proc.send_signal(signal.SIGKILL)
            killed = True
        time.sleep(0.02)
    wall = time.monotonic() - started
    result = {
        "label": args.label, "exit": proc.returncode, "wall_s": round(wall, 2), "killed": killed,
        "peak_rss_anon_mb": round(peak["RssAnon"], 1), "peak_rss_shmem_mb": round(peak["RssShmem"], 1),
        "peak_vm_rss_mb": round(peak["VmRSS"], 1), "vm_hwm_mb": round(peak["VmHWM"], 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.label or ' '.join(command)}: exit {proc.returncode}{' (killed)' if killed else ''}, "
              f"{wall:.1f} s, peak RssAnon {peak['RssAnon']:.0f} MB, RssShmem {peak['RssShmem']:.0f} MB, "
              f"VmRSS {peak['VmRSS']:.0f} MB (VmHWM {peak['VmHWM']:.0f} MB)", file=sys.stderr)
    sys.exit(0)


if __name__ == "__main__":
    main()
