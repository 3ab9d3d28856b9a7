"""False-alarm rates of the signal-quality checks on healthy sessions.

Every session here is healthy: electrodes in contact, EMG where the task puts
it, the usual mains hum and ECG that the processing chain removes (notch,
ECG removal).  Any channel that :func:`emgcontrol.signal.quality.quality`
calls ``"bad"`` or ``"warn"`` is therefore a false alarm.  Two generators:

``simulate``
    :func:`emgcontrol.simulate.simulate`, all protocols, typical variant,
    mains 50 Hz, ECG on, OpenBCI front end (DC offset, drift, quantisation) at
    250 Hz.  Channels expected quiet: those with no task burst (truth).
``model2``
    the second EMG model of the tests (``tests/emg_model2.py``: band-pass
    shaped noise with trapezoid envelopes, its own ECG, mains and drift):
    task sessions with rest (4 active + 2 quiet channels) and sustained holds
    with no rest (6 active channels).
``elderly``
    real recordings (``../shared/data/elderly-emg-dynamometry``, skipped when
    absent): 10-s maximal isometric holds of VL, BF and TA that start during
    the hold (no rest), 2 kHz resampled to the table's rate.  The LG electrode
    is left out (it shows no activity in any test of that dataset).  Channels
    expected quiet: the muscles other than the one tested.

Modes (rows of the table):

``before``
    the ``quality`` module of a git revision given with ``--baseline REV``
    (e.g. the commit before the chain-aware checks), raw signal, defaults;
``raw``
    this version with defaults (raw signal, nothing declared);
``chain``
    this version told what the chain does: ``notch="auto"``,
    ``ecg_removed=True`` and ``expect_quiet`` = the channels with no task
    activity.

A second table (``--faults``) checks that the faults are still found: on
sessions of the second model, one injected fault per session, the share of
sessions where the named check says ``"bad"`` on the faulty channel (and, for
large ECG, where ``jumps`` wrongly says ``"bad"``).

Measured here (2026-12, ``--baseline a22317c``, 3 seeds; % of channels bad / warn):

================  ======  ===  ===========  ===========  ==========
source            sfreq   SNR  before       raw          chain
================  ======  ===  ===========  ===========  ==========
simulate          250     20   34.0 / 41.7  34.0 / 41.7  0.0 / 2.1
simulate          250     10   29.9 / 52.1  29.9 / 44.4  0.0 / 4.2
simulate          1000    20   29.9 / 43.8  29.9 / 43.8  0.0 / 1.4
simulate          1000    10   27.1 / 48.6  24.3 / 44.4  0.0 / 15.3
model2            250     20   22.2 / 61.1  16.7 / 25.0  0.0 / 2.8
model2            250     10   22.2 / 61.1  16.7 / 25.0  0.0 / 0.0
model2            1000    20   22.2 / 66.7  16.7 / 25.0  0.0 / 0.0
model2            1000    10   22.2 / 63.9  16.7 / 22.2  0.0 / 0.0
elderly (real)    250     -    26.7 / 60.0   7.8 / 17.8  1.1 / 4.4
elderly (real)    1000    -    32.2 / 54.4  11.1 / 12.2  1.1 / 2.2
================  ======  ===  ===========  ===========  ==========

What is left in ``chain``: SNR warnings on simulated sessions made at 10 dB (the
check measures 8.5-9.9 dB, just under its 10 dB limit: true, by construction),
mains that ``notch="auto"`` does not find in the recording (so the chain does
leave it in), and one real recording's level change at 0.13 s.

Usage::

    python benchmarks/bench_quality.py                     # 3 seeds per condition
    python benchmarks/bench_quality.py --n 2 --baseline a22317c
    python benchmarks/bench_quality.py --faults --n 10 --baseline a22317c
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402

import emg_model2 as m2  # noqa: E402
from emgcontrol.signal.quality import quality  # noqa: E402
from emgcontrol.simulate import PROTOCOLS, simulate  # noqa: E402

QUALITY_PATH = "src/emgcontrol/signal/quality.py"


def load_baseline(rev: str):
    """The ``quality`` function of ``QUALITY_PATH`` at git revision ``rev``."""
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{QUALITY_PATH}"],
                          check=True, capture_output=True, text=True).stdout
    tmp = Path(tempfile.mkdtemp()) / "_quality_baseline.py"
    tmp.write_text(text)
    spec = importlib.util.spec_from_file_location("emgcontrol.signal._quality_baseline", tmp)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.quality


def sessions(generator: str, sfreq: float, n: int, snr_db: float):
    """Yield (name, data or Recording, kwargs for quality, quiet channel names)."""
    if generator == "elderly":
        from scipy.signal import resample_poly

        folder = ROOT.parent / "shared" / "data" / "elderly-emg-dynamometry" / "npz"
        names = ["VL", "BF", "TA"]
        for f in sorted(folder.glob("*.npz")):
            z = np.load(f)
            for key in z.files:
                if not key.startswith("EM") or key[-2:] not in names:
                    continue
                e = z[key].T[:3]
                e = e[:, np.all(np.isfinite(e), axis=0)]
                fs = float(z["fs"])
                if sfreq != fs:
                    e = resample_poly(e, int(sfreq), int(fs), axis=-1)
                yield (f"{f.stem}/{key}", e, {"sfreq": sfreq, "ch_names": names, "units": "uV"},
                       [m for m in names if m != key[-2:]])
    elif generator == "simulate":
        for proto in PROTOCOLS:
            for seed in range(n):
                rec, truth = simulate(proto, sfreq=sfreq, seed=seed, snr_db=snr_db,
                                      openbci=sfreq <= 250.0)
                df = truth.to_dataframe()
                active = set(df.loc[df["phase"] != "mvc", "channel"])
                quiet = [c for c in rec.pick("emg").ch_names if c not in active]
                yield f"{proto}/{seed}", rec, {}, quiet
    else:
        for kind in ("task", "holds"):
            for seed in range(n):
                rng = np.random.default_rng(1000 + seed)
                s = m2.session(sfreq, 40.0, seed=seed, snr_db=snr_db, holds=kind == "holds",
                               n_active=6 if kind == "holds" else 4,
                               n_quiet=0 if kind == "holds" else 2,
                               mains_uv=float(rng.uniform(5, 30)),
                               mains_hz=float(rng.choice([50.0, 60.0])),
                               ecg_uv=float(rng.uniform(20, 300)), bpm=float(rng.uniform(55, 100)),
                               drift_uv=30.0 if sfreq <= 250 else 0.0,
                               dc_uv=float(rng.uniform(-5e4, 5e4)) if sfreq <= 250 else 0.0)
                yield (f"{kind}/{seed}", s.data,
                       {"sfreq": sfreq, "ch_names": s.ch_names, "units": "uV"}, s.quiet)


def run(args: argparse.Namespace) -> None:
    modes: dict[str, object] = {}
    if args.baseline:
        modes["before"] = load_baseline(args.baseline)
    modes["raw"] = quality
    modes["chain"] = quality
    print(f"False alarms on healthy sessions ({args.n} seed(s) per condition; % of channels)")
    head = (f"{'generator':9} {'sfreq':>6} {'SNR':>4} {'mode':7} {'n_ch':>5} {'bad %':>6} "
            f"{'warn %':>6} {'any %':>6}  main causes (check:verdict count)")
    print(head)
    print("-" * len(head))
    for gen in args.generators:
        for sf in args.sfreq:
            for snr in (args.snr if gen != "elderly" else [float("nan")]):
                data = list(sessions(gen, sf, args.n, snr))
                if not data:
                    print(f"{gen:9} {sf:6g}  (no data)")
                    continue
                for mode, fn in modes.items():
                    verdicts: Counter[str] = Counter()
                    causes: Counter[str] = Counter()
                    for _, x, kw, quiet in data:
                        extra = ({"notch": "auto", "ecg_removed": True, "expect_quiet": quiet}
                                 if mode == "chain" else {})
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            rep = fn(x, **kw, **extra)
                        for c in rep.channels:
                            verdicts[c.verdict] += 1
                            for k, q in c.checks.items():
                                if q.verdict in ("bad", "warn"):
                                    causes[f"{k}:{q.verdict}"] += 1
                    tot = sum(verdicts.values())
                    bad = 100.0 * verdicts["bad"] / tot
                    warn = 100.0 * verdicts["warn"] / tot
                    top = ", ".join(f"{k} {v}" for k, v in causes.most_common(4)) or "-"
                    snr_txt = "-" if snr != snr else f"{snr:g}"
                    print(f"{gen:9} {sf:6g} {snr_txt:>4} {mode:7} {tot:5d} {bad:6.1f} "
                          f"{warn:6.1f} {bad + warn:6.1f}  {top}")


def inject(kind: str, sfreq: float, seed: int) -> tuple[np.ndarray, list[str]]:
    """A model-2 session (uV) with one fault on channel ``A0``."""
    rng = np.random.default_rng(seed)
    s = m2.session(sfreq, 30.0, seed=seed, n_quiet=0,
                   ecg_uv=3000.0 if kind == "large ECG" else 0.0, bpm=float(rng.uniform(50, 120)))
    x = s.data.copy()
    n = x.shape[1]
    if kind == "contact-loss steps":
        level = np.zeros(n)
        for k, t0 in enumerate(np.sort(rng.uniform(1, 29, 6))):
            level[int(t0 * sfreq):] = rng.choice([-1, 1]) * rng.uniform(1500, 6000) \
                if k % 2 == 0 else 0.0
        x[0] += level
    elif kind == "knocks":
        for t0 in rng.uniform(1, 29, 6):
            i = int(t0 * sfreq)
            x[0, i:i + int(0.03 * sfreq)] += rng.choice([-1, 1]) * rng.uniform(2000, 6000)
    elif kind.startswith("not EMG"):
        x[0] = m2.non_emg_channel(sfreq, 30.0, seed=seed, kind=kind.split()[-1])
    elif kind == "no activity":
        x[0] = rng.standard_normal(n) * 1.0
    return x, s.ch_names


FAULTS = {  # fault -> check that must say "bad" on A0 (or must not, for large ECG)
    "contact-loss steps": "jumps", "knocks": "jumps", "large ECG": "jumps",
    "not EMG goniometer": "not_emg", "not EMG force": "not_emg", "not EMG motion": "not_emg",
    "not EMG ecg": "not_emg", "no activity": "snr",
}


def run_faults(args: argparse.Namespace) -> None:
    modes: dict[str, object] = {}
    if args.baseline:
        modes["before"] = load_baseline(args.baseline)
    modes["chain"] = quality
    print(f"\nFault detection ({args.n} sessions per fault and rate; % of sessions whose check "
          "says 'bad' on the faulty channel)")
    head = f"{'fault':22} {'check':8} {'sfreq':>6} " + " ".join(f"{m:>7}" for m in modes)
    print(head)
    print("-" * len(head))
    for kind, check in FAULTS.items():
        for sf in args.sfreq:
            rates = []
            for mode, fn in modes.items():
                hits = 0
                for seed in range(args.n):
                    x, names = inject(kind, sf, seed)
                    extra = {"notch": "auto", "ecg_removed": True} if mode == "chain" else {}
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        rep = fn(x, sf, ch_names=names, units="uV", **extra)
                    c = rep.channels[0].checks.get(check)
                    hits += c is not None and c.verdict == "bad"
                rates.append(f"{100.0 * hits / args.n:7.0f}")
            print(f"{kind:22} {check:8} {sf:6g} " + " ".join(rates)
                  + ("   (a false alarm: lower is right)" if kind == "large ECG" else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3, help="seeds per protocol / session kind")
    ap.add_argument("--sfreq", type=float, nargs="+", default=[250.0, 1000.0])
    ap.add_argument("--snr", type=float, nargs="+", default=[20.0, 10.0])
    ap.add_argument("--generators", nargs="+", default=["simulate", "model2", "elderly"],
                    choices=["simulate", "model2", "elderly"])
    ap.add_argument("--baseline", default=None,
                    help="git revision whose quality module gives the 'before' rows")
    ap.add_argument("--faults", action="store_true",
                    help="print the fault-detection table instead of the false alarms")
    args = ap.parse_args()
    run_faults(args) if args.faults else run(args)


if __name__ == "__main__":
    main()
