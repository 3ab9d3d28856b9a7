"""Real recordings in ``../shared/data`` and their labels, extracted by code.

One home for what the onset tests (``test_onset_real.py``) and the onset
benchmark (``benchmarks/bench_onsets.py``) read from the shared data:

* UCI lower limb (``*sen`` seated knee extension, ``*pie``, ``*mar``): EMG of
  rectus femoris, biceps femoris, vastus medialis, semitendinosus and the knee
  goniometer; :func:`movement_onsets` finds each extension from the goniometer.
* emgGO ``Sample Data.mat``: one tibialis anterior channel, 56 ballistic bursts.
* Elderly isometric tests: per subject four 10-s tests (knee extension, knee
  flexion, dorsiflexion, plantarflexion), each recording the four electrodes
  (VL, BF, TA, LG) and the test's load cell.  The recordings start during the
  hold; :func:`elderly_holds` labels the hold from the load cell and gives, as
  a rest recording, each electrode's quietest other test.

Nothing here is copied into the repository; callers skip (tests) or leave a
table out (benchmark) where the files are absent.  Functions return plain
values and never call pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
UCI = DATA / "uci-lower-limb"
EMGGO = DATA / "emggo-samples" / "Sample Data.mat"
ELDERLY = DATA / "elderly-emg-dynamometry" / "npz"
UCI_CHANNELS = ["RF", "BF", "VM", "ST"]
QUADRICEPS = ("RF", "VM")
EARLY_S, LATE_S = 0.4, 0.05
"""A quadriceps onset is right from 400 ms before the knee moves to 50 ms after it
(the goniometer is sampled at 50 Hz and upsampled by the device)."""
ELDERLY_MUSCLES = ["VL", "BF", "TA", "LG"]


def uci_files(task: str) -> list[Path]:
    """The UCI files of a task (``"sen"``, ``"pie"``, ``"mar"``; ``""`` for all)."""
    return sorted(UCI.glob(f"*_TXT/*{task}.txt"))


def load_uci(path: Path | str) -> tuple[np.ndarray, np.ndarray]:
    """EMG (4, n) in volts and the goniometer (n,) in degrees of one UCI file.

    Tab-separated text after a header of 6-8 lines; rows without all five
    values (EMG shorter than the goniometer in some files) are skipped.
    """
    rows = []
    with open(path, encoding="latin-1") as f:
        for line in f:
            parts = line.strip().split("\t")
            if len(parts) < 5:
                continue
            try:
                rows.append([float(v) for v in parts[:5]])
            except ValueError:
                continue
    a = np.asarray(rows)
    return a[:, :4].T * 1e-3, a[:, 4]  # mV -> V


def movement_onsets(angle: np.ndarray, sfreq: float, *, v_frac: float = 0.05,
                    smooth: float = 0.06) -> np.ndarray:
    """Onsets (s) of the excursions of a goniometer trace away from its rest plateau.

    The rest side is where the trace starts (seated: knee flexed; its angle
    and sign differ per subject).  An excursion is a passage from the rest
    side (above 70 % of the 2-98 % range, measured from the far end) to the
    far side (below 30 %); its onset is where the angular velocity toward the
    far side, smoothed over ``smooth`` s, last rose above ``v_frac`` of its
    peak in that passage.
    """
    lo, hi = np.percentile(angle, [2, 98])
    start = np.median(angle[: int(0.3 * sfreq)])
    s = angle if abs(start - hi) < abs(start - lo) else -angle
    lo_, hi_ = float(np.percentile(s, 2)), float(np.percentile(s, 98))
    rest_lvl, far_lvl = lo_ + 0.7 * (hi_ - lo_), lo_ + 0.3 * (hi_ - lo_)
    n_s = max(int(smooth * sfreq), 1)
    v = -np.gradient(np.convolve(s, np.ones(n_s) / n_s, mode="same")) * sfreq
    out = []
    state, last_rest = "", 0
    for i in range(s.size):
        if s[i] >= rest_lvl:
            state, last_rest = "rest", i
        elif s[i] <= far_lvl and state == "rest":
            state = "far"
            k = last_rest + int(np.argmax(v[last_rest:i + 1]))
            j = k
            while j > 0 and v[j - 1] > v_frac * v[k]:
                j -= 1
            out.append(j / sfreq)
    return np.asarray(out)


def extension_right(onsets: np.ndarray, move: float) -> float | None:
    """The earliest quadriceps onset in ``[move - EARLY_S, move + LATE_S]`` relative
    to the movement onset (s), or None when there is none."""
    d = np.asarray(onsets, dtype=float) - move
    d = d[(d >= -EARLY_S) & (d <= LATE_S)]
    return float(d.min()) if d.size else None


def load_emggo() -> tuple[np.ndarray, float] | None:
    """emgGO ``Sample Data.mat``: the tibialis anterior channel (V) and its rate."""
    if not EMGGO.exists():
        return None
    from scipy.io import loadmat

    m = loadmat(EMGGO, squeeze_me=True, struct_as_record=False)["EMG"]
    return np.asarray(m.channelData, dtype=float) * 1e-6, float(m.fs)


@dataclass(frozen=True)
class Hold:
    """One elderly isometric test, labelled by its load cell.

    Attributes
    ----------
    subject : str
        ``"ID01"``...
    muscle : str
        The muscle whose test it is (``"VL"``, ``"BF"``, ``"TA"``).
    index : int
        Its row in ``emg`` (and column of the load cell).
    emg : ndarray, shape (4, n)
        The four electrodes during the test, V.
    sfreq : float
        Hz.
    hold : ndarray of bool, shape (n,)
        Samples where the load cell is at or above half its maximum.
    rest : ndarray, shape (4, m)
        Per electrode, the same electrode during the subject's other test in which
        it is quietest (lowest median 1-s standard deviation), cut to a common
        length: a rest recording chosen without looking at the label.
    """

    subject: str
    muscle: str
    index: int
    emg: np.ndarray
    sfreq: float
    hold: np.ndarray
    rest: np.ndarray


def elderly_holds(muscles: tuple[str, ...] = ("VL", "BF", "TA")) -> Iterator[Hold]:
    """The isometric tests of every subject for ``muscles`` (the LG channel stays at
    the amplifier floor in the plantarflexion test: nothing to detect there)."""
    for path in sorted(ELDERLY.glob("ID*.npz")):
        z = np.load(path)
        fs = float(z["fs"])
        tests = {m: z[next(k for k in z.files if k.endswith("_" + m) and k.startswith("EM"))]
                 .T * 1e-6 for m in ELDERLY_MUSCLES}  # uV -> V
        n1 = int(fs)
        for j, m in enumerate(ELDERLY_MUSCLES):
            if m not in muscles:
                continue
            emg = tests[m]
            rest = []
            for c in range(len(ELDERLY_MUSCLES)):
                level = {t: float(np.median([np.std(x[c, s:s + n1])
                                             for s in range(0, x.shape[1] - n1 + 1, n1)]))
                         for t, x in tests.items() if t != m}
                rest.append(tests[min(level, key=level.__getitem__)][c])
            n = min(r.size for r in rest)
            force = z["DNM"][: emg.shape[1], j]
            hold = np.isfinite(force) & (force >= 0.5 * np.nanmax(force))
            yield Hold(path.stem, m, j, emg, fs, hold, np.array([r[:n] for r in rest]))


def covered(acts, hold: Hold) -> float:
    """Share of the hold's samples inside an activation of its muscle's channel."""
    cov = np.zeros(hold.emg.shape[1], dtype=bool)
    for a in acts.for_channel(hold.muscle):
        cov[int(a.onset * hold.sfreq):int(np.ceil(a.offset * hold.sfreq))] = True
    return float((cov & hold.hold).sum() / max(int(hold.hold.sum()), 1))
