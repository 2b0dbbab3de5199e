#!/usr/bin/env python3
"""Times how long the player takes to play again after a far seek while it separates.

    scripts/seek_latency.py --song song-4min.flac --weights official.th --rounds 3

Each round opens the player in a fresh tmux pane with an empty cache and the ALSA
`file` device, waits `--settle` seconds, presses `--keys` (End then Shift-Left: 30 s before
the end, far beyond the separated part), and reports the seconds from the keys to the
on-screen position passing `--target` (past the seek target, so playback has resumed:
the screen shows tenths of a second). Then it reports the seconds from there to
`--next-segment`, a position only the next segment covers: that segment's compute in
the same player, the yardstick for the first wait. Keys the pane misses while the
player starts are sent again until the screen shows the seek.
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
                for key in args.keys.split():
                    tmux("send-keys", "-t", name, key)
                seeked = time.monotonic()
                if wait_for(name, args.seeked, 3):
                    break
            else:
                raise SystemExit("the seek never showed on screen")
            if not wait_for(name, args.target, 120):
                raise SystemExit("playback did not resume within 120 s")
            resumed = time.monotonic()
            if not wait_for(name, args.next_segment, 120):
                raise SystemExit("playback did not reach the next segment within 120 s")
            return resumed - seeked, time.monotonic() - resumed
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
    parser.add_argument("--keys", default="End S-Left", help="the tmux keys that seek, in order")
    parser.add_argument("--seeked", default=r"3:29\.\d", help="the position the seek shows (regex)")
    parser.add_argument("--target", default=r"3:3\d\.\d", help="the position that proves playback resumed (regex)")
    parser.add_argument("--next-segment", default=r"3:3[1-9]\.\d",
                        help="a position the next segment holds (regex): reaching it takes that segment's compute")
    args = parser.parse_args()
    for r in range(args.rounds):
        wait, onwards = one_round(args, r)
        print(f"round {r + 1}: {wait:.1f} s from the keys to playback past the seek target; "
              f"{onwards:.1f} s more to play into the next segment", flush=True)


if __name__ == "__main__":
    main()
