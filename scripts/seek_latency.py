#!/usr/bin/env python3
"""Times how long the player takes to play again after a far seek while it separates.

    scripts/seek_latency.py --song song-4min.flac --weights official.th --rounds 3

Each round opens the player in a fresh tmux pane with an empty cache and the ALSA
`file` device, waits `--settle` seconds, presses End then Shift-Left (to 30 s before
the end, far beyond the separated part), and reports the seconds from the keys to the
on-screen position passing `--target` (one second past the seek target, so playback
has resumed and played a second). Keys the pane misses while the player starts are
sent again until the screen shows the seek.
"""
import argparse
import os
import re
import subprocess
import tempfile
import time


def tmux(*args):
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def screen(name):
    return tmux("capture-pane", "-p", "-t", name)


def wait_for(name, pattern, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = screen(name)
        if re.search(pattern, text):
            return True
        time.sleep(0.05)
    return False


def one_round(args, index):
    name = f"seek-latency-{os.getpid()}-{index}"
    with tempfile.TemporaryDirectory() as folder:
        command = (
            f"XDG_CACHE_HOME={folder}/cache XDG_CONFIG_HOME={folder}/config {args.demixer} {args.song} "
            f"--weights {args.weights} --device \"file:'{folder}/out.raw',raw\"; sleep 5")
        tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "30", command)
        try:
            if not wait_for(name, re.escape(os.path.basename(args.song)), 120):
                raise SystemExit("the player did not open")
            time.sleep(args.settle)
            seeked = None
            for _ in range(5):
                tmux("send-keys", "-t", name, "End")
                tmux("send-keys", "-t", name, "S-Left")
                seeked = time.monotonic()
                if wait_for(name, args.seeked, 3):
                    break
            else:
                raise SystemExit("the seek never showed on screen")
            if not wait_for(name, args.target, 120):
                raise SystemExit("playback did not resume within 120 s")
            return time.monotonic() - seeked
        finally:
            subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--song", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--demixer", default=os.path.join(root, ".build/release/demixer"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3, help="seconds between opening and the keys")
    parser.add_argument("--seeked", default=r"3:(29|30)\.\d", help="the position the seek shows (regex)")
    parser.add_argument("--target", default=r"3:3[1-9]\.\d", help="the position that proves playback resumed")
    args = parser.parse_args()
    waits = [one_round(args, r) for r in range(args.rounds)]
    for r, wait in enumerate(waits):
        print(f"round {r + 1}: {wait:.1f} s from the keys to the position passing the target")


if __name__ == "__main__":
    main()
