#!/usr/bin/env python3
"""Synthetic multitrack songs for training and demonstrating the demo model.

Every song is four stereo stems (drums, bass, other, vocals) drawn from one
seed: tempo, key, scale, groove, timbres, levels, panning and which stems
play in which section all vary with it. The mix is the sum of the stems.

    python scripts/demo_songs.py --seed 7 --seconds 30 --out song/   # FLACs
"""
import argparse
import pathlib

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

SR = 44100
STEMS = ["drums", "bass", "other", "vocals"]
SCALES = {
    "major": [0, 2, 4, 5, 7, 9, 11],
    "minor": [0, 2, 3, 5, 7, 8, 10],
    "dorian": [0, 2, 3, 5, 7, 9, 10],
    "mixolydian": [0, 2, 4, 5, 7, 9, 10],
}
# (F1, F2, F3) in Hz for sung vowels
VOWELS = [(800, 1150, 2900), (400, 1600, 2700), (350, 1700, 2700),
          (450, 800, 2830), (325, 700, 2530), (600, 1000, 2600)]


def hz(midi):
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69) / 12)


def pan(mono, position):
    """Constant-power pan; position in [-1, 1]."""
    angle = (position + 1) * np.pi / 4
    return np.stack([mono * np.cos(angle), mono * np.sin(angle)])


def lowpass(x, cutoff, order=2):
    sos = butter(order, min(cutoff, SR * 0.45), btype="low", fs=SR, output="sos")
    return sosfilt(sos, x)


def highpass(x, cutoff, order=2):
    sos = butter(order, cutoff, btype="high", fs=SR, output="sos")
    return sosfilt(sos, x)


def bandpass(x, lo, hi, order=2):
    sos = butter(order, [lo, min(hi, SR * 0.45)], btype="band", fs=SR, output="sos")
    return sosfilt(sos, x)


def envelope(n, attack, decay, sustain=0.0, release=0.0):
    """Attack/exponential-decay envelope over n samples, with an optional tail release."""
    t = np.arange(n) / SR
    env = np.minimum(t / max(attack, 1e-4), 1.0)
    env *= sustain + (1 - sustain) * np.exp(-np.maximum(t - attack, 0) / max(decay, 1e-4))
    if release > 0:
        r = int(release * SR)
        if 0 < r < n:
            env[-r:] *= np.linspace(1, 0, r)
    return env


def oscillator(freq, n, shape, rng, phase=None):
    """freq is a scalar or per-sample array in Hz."""
    f = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    ph = np.cumsum(f) / SR + (rng.random() if phase is None else phase)
    ph -= np.floor(ph)
    if shape == "sine":
        return np.sin(2 * np.pi * ph)
    if shape == "saw":
        return 2 * ph - 1
    if shape == "square":
        return np.where(ph < 0.5, 1.0, -1.0)
    if shape == "triangle":
        return 4 * np.abs(ph - 0.5) - 1
    raise ValueError(shape)


def pick(rng, options):
    return options[int(rng.integers(len(options)))]


def add(dst, src, at):
    """Mixes src (channels, n) into dst from sample `at`, clipped to dst's length."""
    if at >= dst.shape[-1]:
        return
    n = min(src.shape[-1], dst.shape[-1] - at)
    dst[..., at:at + n] += src[..., :n]


class Song:
    def __init__(self, seed, seconds):
        self.rng = np.random.default_rng(seed)
        rng = self.rng
        self.n = int(seconds * SR)
        self.bpm = rng.uniform(78, 150)
        self.beat = 60.0 / self.bpm
        self.root = int(rng.integers(0, 12))
        self.scale = SCALES[rng.choice(list(SCALES))]
        self.beats = int(np.ceil(seconds / self.beat)) + 1
        # chord progression: scale degrees, one chord per bar
        self.progression = [int(d) for d in rng.choice([0, 3, 4, 5, 1, 2], size=4)]
        self.progression[0] = 0
        # section activity: 2-bar sections, each stem on or off
        bars = self.beats // 4 + 1
        sections = bars // 2 + 1
        self.active = {}
        for stem in STEMS:
            on = rng.random(sections) < rng.uniform(0.65, 0.95)
            on[rng.integers(0, sections)] = True
            self.active[stem] = on

    def degree_midi(self, degree, octave):
        o, d = divmod(degree, len(self.scale))
        return 12 * (octave + o + 1) + self.root + self.scale[d]

    def chord_at(self, beat):
        return self.progression[(int(beat) // 4) % len(self.progression)]

    def is_active(self, stem, beat):
        return self.active[stem][int(beat) // 8]

    def sample(self, beat):
        return int(round(beat * self.beat * SR))

    # --- drums -----------------------------------------------------------
    def drums(self):
        rng = self.rng
        out = np.zeros((2, self.n))
        kick_f0, kick_f1 = rng.uniform(90, 160), rng.uniform(40, 60)
        kick_decay = rng.uniform(0.12, 0.35)
        snare_tone = rng.uniform(160, 260)
        snare_lo = rng.uniform(800, 2000)
        hat_cut = rng.uniform(6000, 9000)
        hat_pan = rng.uniform(-0.5, 0.5)
        sixteenths = rng.random() < 0.4
        kick_extra = rng.random(8) < 0.25
        swing = rng.uniform(0, 0.08)

        def kick(vel):
            n = int(0.5 * SR)
            t = np.arange(n) / SR
            f = kick_f1 + (kick_f0 - kick_f1) * np.exp(-t / 0.04)
            body = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t / kick_decay)
            click = rng.standard_normal(n) * np.exp(-t / 0.003) * 0.3
            return vel * pan(body + click, 0)

        def snare(vel):
            n = int(0.35 * SR)
            t = np.arange(n) / SR
            noise = bandpass(rng.standard_normal(n), snare_lo, 9000) * np.exp(-t / 0.07)
            tone = np.sin(2 * np.pi * snare_tone * t) * np.exp(-t / 0.05)
            return vel * pan(0.8 * noise + 0.5 * tone, rng.uniform(-0.1, 0.1))

        def hat(vel, open_):
            n = int((0.3 if open_ else 0.08) * SR)
            t = np.arange(n) / SR
            noise = highpass(rng.standard_normal(n), hat_cut) * np.exp(-t / (0.09 if open_ else 0.02))
            return vel * 0.5 * pan(noise, hat_pan)

        step = 0.25 if sixteenths else 0.5
        for beat in range(self.beats):
            if not self.is_active("drums", beat):
                continue
            pos = beat % 4
            if pos in (0, 2):
                add(out, kick(rng.uniform(0.8, 1.0)), self.sample(beat))
            if pos in (1, 3):
                add(out, snare(rng.uniform(0.7, 1.0)), self.sample(beat))
            if kick_extra[(beat % 8)] :
                add(out, kick(rng.uniform(0.5, 0.8)), self.sample(beat + 0.5))
            sub = 0.0
            while sub < 1.0:
                off = swing if (sub % 0.5) > 0 else 0.0
                add(out, hat(rng.uniform(0.3, 0.8), rng.random() < 0.08),
                    self.sample(beat + sub + off))
                sub += step
        return out

    # --- bass ------------------------------------------------------------
    def bass(self):
        rng = self.rng
        out = np.zeros((2, self.n))
        shape = rng.choice(["saw", "square", "triangle"])
        cutoff = rng.uniform(300, 1200)
        decay = rng.uniform(0.15, 0.6)
        octave = int(rng.integers(1, 3))
        pattern = pick(rng, [[0, 1, 2, 3], [0, 1.5, 2, 3.5], [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5], [0, 2]])
        for beat in range(0, self.beats, 4):
            if not self.is_active("bass", beat):
                continue
            chord = self.chord_at(beat)
            for i, start in enumerate(pattern):
                length = (pattern[i + 1] if i + 1 < len(pattern) else 4) - start
                degree = chord + (0 if rng.random() < 0.7 else int(rng.choice([2, 4, 7])))
                n = self.sample(length * 0.95)
                f = hz(self.degree_midi(degree, octave))
                tone = oscillator(f, n, shape, rng)
                env = envelope(n, 0.005, decay, sustain=0.3, release=0.02)
                sweep = lowpass(tone, cutoff * (1 + rng.uniform(0, 2)))
                add(out, pan(sweep * env * rng.uniform(0.7, 1.0), rng.uniform(-0.1, 0.1)),
                    self.sample(beat + start))
        return out

    # --- other (pads, keys, arpeggio) ------------------------------------
    def other(self):
        rng = self.rng
        out = np.zeros((2, self.n))
        instruments = rng.choice(["pad", "keys", "arp"], size=int(rng.integers(1, 3)), replace=False)
        for inst in instruments:
            position = rng.uniform(-0.7, 0.7)
            if inst == "pad":
                cutoff = rng.uniform(1200, 4000)
                for beat in range(0, self.beats, 4):
                    if not self.is_active("other", beat):
                        continue
                    n = self.sample(4)
                    voice = np.zeros(n)
                    for deg in (0, 2, 4):
                        f = hz(self.degree_midi(self.chord_at(beat) + deg, 4))
                        for detune in (-0.004, 0.004):
                            voice += oscillator(f * (1 + detune), n, "saw", rng)
                    voice = lowpass(voice, cutoff) * envelope(n, 0.3, 10, sustain=1.0, release=0.3) * 0.15
                    stereo = np.stack([voice, np.roll(voice, int(0.01 * SR))])
                    add(out, stereo * np.array([[1 - 0.3 * position], [1 + 0.3 * position]]),
                        self.sample(beat))
            elif inst == "keys":
                partials = rng.uniform(0.1, 0.6, size=5) / np.arange(1, 6)
                rhythm = pick(rng, [[0, 2], [0, 1.5, 3], [0, 1, 2, 3]])
                for beat in range(0, self.beats, 4):
                    if not self.is_active("other", beat):
                        continue
                    for start in rhythm:
                        n = self.sample(1.5)
                        chord = np.zeros(n)
                        for deg in (0, 2, 4):
                            f = hz(self.degree_midi(self.chord_at(beat) + deg, 4))
                            for k, a in enumerate(partials):
                                chord += a * oscillator(f * (k + 1), n, "sine", rng)
                        chord *= envelope(n, 0.003, 0.5, release=0.05) * 0.25
                        add(out, pan(chord, position), self.sample(beat + start))
            else:
                shape = rng.choice(["square", "saw", "triangle"])
                step = rng.choice([0.25, 0.5])
                order = rng.permutation([0, 2, 4, 7])
                cutoff = rng.uniform(1500, 5000)
                i = 0
                b = 0.0
                while b < self.beats:
                    if self.is_active("other", b):
                        n = self.sample(step)
                        deg = self.chord_at(b) + int(order[i % 4])
                        f = hz(self.degree_midi(deg, 5))
                        note = lowpass(oscillator(f, n, shape, rng), cutoff)
                        note *= envelope(n, 0.002, 0.08, release=0.01) * 0.3
                        add(out, pan(note, position), self.sample(b))
                    i += 1
                    b += step
        return out

    # --- vocals (formant synthesis) --------------------------------------
    def vocals(self):
        rng = self.rng
        out = np.zeros((2, self.n))
        octave = int(rng.choice([3, 4]))
        vib_rate, vib_depth = rng.uniform(4.5, 6.5), rng.uniform(0.2, 0.6)
        formant_shift = rng.uniform(0.9, 1.2)
        breath = rng.uniform(0.02, 0.08)
        position = rng.uniform(-0.15, 0.15)
        prev = None
        beat = 0.0
        while beat < self.beats:
            length = float(rng.choice([0.5, 1, 1, 1.5, 2]))
            if not self.is_active("vocals", beat) or rng.random() < 0.15:
                beat += length
                prev = None
                continue
            chord = self.chord_at(beat)
            degree = chord + int(rng.choice([0, 2, 4, 1, 3, 5]))
            target = float(self.degree_midi(degree, octave))
            n = self.sample(length * 0.92)
            t = np.arange(n) / SR
            start = target if prev is None else prev
            glide = start + (target - start) * (1 - np.exp(-t / 0.04))
            vibrato = vib_depth * np.sin(2 * np.pi * vib_rate * t) * np.minimum(t / 0.3, 1)
            f0 = hz(glide + vibrato)
            src = oscillator(f0, n, "saw", rng) + breath * rng.standard_normal(n)
            vowel = VOWELS[int(rng.integers(len(VOWELS)))]
            voice = np.zeros(n)
            for k, fc in enumerate(vowel):
                fc *= formant_shift
                bw = 60 + 40 * k
                voice += bandpass(src, fc - bw, fc + bw, order=1) / (k + 1)
            voice *= envelope(n, 0.04, 10, sustain=1.0, release=0.08)
            add(out, pan(voice * 1.5, position), self.sample(beat))
            prev = target
            beat += length
        return out

    def stems(self):
        rng = self.rng
        result = {}
        for stem in STEMS:
            audio = getattr(self, stem)()
            rms = np.sqrt(np.mean(audio ** 2)) + 1e-9
            level_db = rng.uniform(-22, -14)
            result[stem] = (audio / rms * 10 ** (level_db / 20)).astype(np.float32)
        return result


def song_stems(seed, seconds):
    """Returns {stem: float32 array (2, seconds*SR)}; the mix is their sum."""
    return Song(seed, seconds).stems()


def main():
    import soundfile as sf

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--out", type=pathlib.Path, required=True,
                   help="folder for mixture.flac and one FLAC per stem")
    args = p.parse_args()
    stems = song_stems(args.seed, args.seconds)
    mix = sum(stems.values())
    peak = np.abs(mix).max()
    gain = 0.9 / peak if peak > 0.9 else 1.0
    args.out.mkdir(parents=True, exist_ok=True)
    sf.write(args.out / "mixture.flac", (mix * gain).T, SR, subtype="PCM_16")
    for stem, audio in stems.items():
        sf.write(args.out / f"{stem}.flac", (audio * gain).T, SR, subtype="PCM_16")


if __name__ == "__main__":
    main()
