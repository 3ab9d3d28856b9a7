"""Verdict accuracy of pattern comparison on simulated sessions with known recruitment.

For every protocol variant of the simulator the expected verdict of every
criterion of the built-in pattern follows from the variant's physiology (see
``EXPECTED``).  The script simulates sessions (5 trials each) at several SNRs,
runs the whole chain (``emgcontrol.patterns.compare`` on the Recording; sessions
of protocols with %MVC criteria start with an MVC block, processed by the chain) and
prints, per condition and SNR, the share of criterion verdicts that are right,
not assessable and confidently wrong (the opposite verdict).

Usage::

    python benchmarks/bench_patterns.py                 # 20 sessions, 10/6/3 dB, 500 Hz
    python benchmarks/bench_patterns.py --n 5 --sfreq 250 --snr 20 10 3
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from emgcontrol.patterns import compare, get_pattern  # noqa: E402
from emgcontrol.simulate import simulate  # noqa: E402

P, F = "pass", "fail"

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("prone-hip-extension", "typical"): {
        "gmax-before-ipsilateral-es": P, "gmax-before-contralateral-es": P,
        "hamstrings-before-es": P, "gmax-on-time": P, "janda-sequence": P, "gmax-amount": P},
    ("prone-hip-extension", "reversed"): {
        "gmax-before-ipsilateral-es": F, "gmax-before-contralateral-es": F,
        "hamstrings-before-es": F, "gmax-on-time": P, "janda-sequence": F, "gmax-amount": P},
    ("prone-hip-extension", "delayed-gluteus"): {
        "gmax-before-ipsilateral-es": F, "gmax-before-contralateral-es": F,
        "hamstrings-before-es": P, "gmax-on-time": F, "janda-sequence": F, "gmax-amount": F},
    ("arm-raise", "typical"): {
        "deep-abdominals-feedforward": P, "multifidus-anticipatory": P,
        "erector-spinae-anticipatory": P},
    ("arm-raise", "delayed-trunk"): {
        "deep-abdominals-feedforward": F, "multifidus-anticipatory": P,
        "erector-spinae-anticipatory": P},
    ("flexion-relaxation", "typical"): {
        "flexion-relaxation-ratio": P, "extension-relaxation-ratio": P},
    ("flexion-relaxation", "absent"): {
        "flexion-relaxation-ratio": F, "extension-relaxation-ratio": F},
    ("sorensen", "typical"): {"back-mdf-slope": P},
    ("sorensen", "fast-fatigue"): {"back-mdf-slope": F},
    ("lift", "typical"): {"knee-extensor-share": P, "knee-extensors-lead": P, "back-load": P},
    ("lift", "back-dominant"): {"knee-extensor-share": F, "knee-extensors-lead": F,
                                "back-load": F},
}
"""Expected verdict of every criterion per (protocol, simulator variant).

Why (simulator physiology, ``emgcontrol/simulate/_protocols.py``):

* prone hip extension, ``reversed``: erector spinae first (ipsilateral, then
  contralateral +60 ms), gluteus maximus +120 ms, hamstrings +180 ms: every order
  criterion fails; the gluteus is still active before the leg moves (the leg
  starts with the first hip extensor) and at 25 %MVC, so ``gmax-on-time`` and
  ``gmax-amount`` pass.
* ``delayed-gluteus``: gluteus maximus +260 ms after the hamstrings, after both
  erector spinae, at 15 instead of 25 %MVC: gluteus order, timing (about +190 ms
  after movement onset), sequence and amount fail; hamstrings still lead the back.
* arm raise, ``delayed-trunk``: IO/TrA +40 ms after the deltoid (typical -40 ms);
  multifidus (-10 ms) and erector spinae (+15-20 ms) unchanged.
* flexion-relaxation, ``absent``: erector spinae stay at 80 % of their flexion level
  at full flexion: FRR about 1.3, ERR about 2.
* Sorensen, ``fast-fatigue``: back-extensor MDF slope -0.60 instead of -0.25 %/s.
* lift, ``back-dominant``: erector spinae lead at 60-65 %MVC, vastus lateralis 15
  %MVC and late.
"""

NEEDS_MVC = ("prone-hip-extension", "lift")
"""Protocols with %MVC criteria: their sessions start with an MVC block."""

REQUIRED = [("prone-hip-extension", "typical"), ("prone-hip-extension", "reversed"),
            ("arm-raise", "typical"), ("arm-raise", "delayed-trunk"),
            ("flexion-relaxation", "typical"), ("flexion-relaxation", "absent")]
"""Conditions of the acceptance criterion (correct/reversed order, delayed trunk
onset, absent flexion-relaxation, with their typical counterparts)."""


def run_condition(protocol: str, variant: str, snr_db: float, n: int, sfreq: float,
                  seed0: int = 1000) -> dict[str, int]:
    """Count right / not assessable / wrong criterion verdicts over ``n`` sessions."""
    exp = EXPECTED[(protocol, variant)]
    pattern = get_pattern(protocol)
    out: dict[str, int] = defaultdict(int)
    for k in range(n):
        # amplitudes in %MVC: an MVC block in the session, processed by the chain
        rec, truth = simulate(protocol, variant, sfreq=sfreq, snr_db=snr_db, seed=seed0 + k,
                              mvc=protocol in NEEDS_MVC)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = compare(rec, pattern)
        for c in res.criteria:
            v = c.verdict
            key = ("right" if v == exp[c.id] else "na" if v == "not_assessable"
                   else "wrong")
            out[key] += 1
            out[f"{c.id}:{key}"] += 1
        out["sessions"] += 1
    return dict(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="sessions per condition and SNR")
    ap.add_argument("--sfreq", type=float, default=500.0)
    ap.add_argument("--snr", type=float, nargs="+", default=[10.0, 6.0, 3.0])
    ap.add_argument("--all", action="store_true",
                    help="all protocols (default: the acceptance conditions + sorensen, lift)")
    ap.add_argument("--details", action="store_true", help="per-criterion rows")
    args = ap.parse_args(argv)
    conds = list(EXPECTED)
    print(f"pattern verdicts on simulated sessions: {args.n} sessions x 5 trials per "
          f"condition, {args.sfreq:g} Hz; right / not assessable / wrong (share of criterion "
          "verdicts)")
    print(f"{'protocol':22s} {'variant':16s} {'SNR':>5s} {'n':>4s} {'right':>7s} {'n/a':>7s} "
          f"{'wrong':>7s} {'s/session':>9s}")
    totals: dict[float, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for protocol, variant in conds:
        for snr in args.snr:
            t0 = time.perf_counter()
            r = run_condition(protocol, variant, snr, args.n, args.sfreq)
            dt = (time.perf_counter() - t0) / max(args.n, 1)
            tot = r.get("right", 0) + r.get("na", 0) + r.get("wrong", 0)
            if (protocol, variant) in REQUIRED:
                for k in ("right", "na", "wrong"):
                    totals[snr][k] += r.get(k, 0)
            print(f"{protocol:22s} {variant:16s} {snr:5g} {tot:4d} "
                  f"{100 * r.get('right', 0) / tot:6.1f}% {100 * r.get('na', 0) / tot:6.1f}% "
                  f"{100 * r.get('wrong', 0) / tot:6.1f}% {dt:9.2f}")
            if args.details:
                for cid in EXPECTED[(protocol, variant)]:
                    parts = [f"{k}={r.get(f'{cid}:{k}', 0)}" for k in ("right", "na", "wrong")]
                    print(f"    {cid:34s} expected {EXPECTED[(protocol, variant)][cid]:4s} "
                          + " ".join(parts))
            sys.stdout.flush()
    print("\nacceptance conditions (PHE typical/reversed, arm-raise typical/delayed-trunk, "
          "flexion-relaxation typical/absent):")
    for snr, t in sorted(totals.items(), reverse=True):
        tot = sum(t.values())
        print(f"  {snr:5g} dB: right {100 * t['right'] / tot:5.1f} %, not assessable "
              f"{100 * t['na'] / tot:5.1f} %, wrong {100 * t['wrong'] / tot:5.1f} % "
              f"({tot} criterion verdicts)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
