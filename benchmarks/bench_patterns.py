"""Verdict accuracy of pattern comparison on simulated sessions with known recruitment.

For every protocol variant of the simulator the expected verdict of every
criterion of the built-in pattern follows from the variant's physiology (see
``EXPECTED`` in ``tests/simulator_verdicts.py``).  The script simulates sessions (5
trials each) at several SNRs, runs the whole chain (``emgcontrol.patterns.compare`` on the Recording; sessions
of protocols with %MVC criteria start with an MVC block, processed by the chain) and
prints, per condition and SNR, the share of criterion verdicts that are right,
not assessable and confidently wrong (the opposite verdict).

Usage::

    python benchmarks/bench_patterns.py                 # 20 sessions, 10/6/3 dB, 500 Hz
    python benchmarks/bench_patterns.py --n 5 --sfreq 250 --snr 20 10 3

Fault injection (``--faults``)
------------------------------
For every built-in protocol, sessions from ``emgcontrol.simulate`` and from a second,
independent EMG model (``tests/second_model.py``: amplitude-modulated noise with its own
spectrum, ramps, kinematics and truth) are run clean and with one fault each: every
required channel of the pattern flat, railed, disconnected, NaN, pure noise or
ECG-dominated; the MVC marker of each muscle lost (protocols with %MVC criteria); trial
markers missing or of zero duration; 2 % of the samples dropped.  A criterion's verdict
is right when it equals the truth of the clean session, not assessable, or confidently
wrong (the opposite verdict).  A NaN channel cannot enter a Recording: it is counted as
refused when the error names the channel.  The script prints per protocol x fault x rate
x SNR the share of criterion verdicts right / not assessable / wrong, every confidently
wrong case with its reason, and a per-criterion table of clean sessions at 10 dB against
the goals (>= 95 % right at 1 kHz, >= 90 % at 250 Hz).  ``--n`` sessions per cell
alternate between the two models and over the variants::

    python benchmarks/bench_patterns.py --faults --n 2
    python benchmarks/bench_patterns.py --faults --n 1 --sfreq 250 --snr 10 \
        --protocol arm-raise --fault flat railed
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import second_model as sm  # noqa: E402  (tests/second_model.py)
from simulator_verdicts import ACCEPTANCE, EXPECTED, NEEDS_MVC  # noqa: E402  (tests/)
from emgcontrol.errors import EmgcontrolError  # noqa: E402
from emgcontrol.patterns import compare, get_pattern  # noqa: E402
from emgcontrol.simulate import simulate  # noqa: E402



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
    ap.add_argument("--n", type=int, default=None,
                    help="sessions per condition and SNR (default 20; --faults: 2 per cell)")
    ap.add_argument("--sfreq", type=float, nargs="+", default=None,
                    help="sampling rate(s), Hz (default 500; --faults: 1000 250)")
    ap.add_argument("--snr", type=float, nargs="+", default=None,
                    help="SNRs, dB (default 10 6 3; --faults: 20 10 6 3)")
    ap.add_argument("--all", action="store_true",
                    help="all protocols (default: the acceptance conditions + sorensen, lift)")
    ap.add_argument("--details", action="store_true", help="per-criterion rows")
    ap.add_argument("--faults", action="store_true", help="fault-injection validation")
    ap.add_argument("--protocol", nargs="+", default=None, help="--faults: protocols")
    ap.add_argument("--fault", nargs="+", default=None,
                    help="--faults: faults (none, flat, railed, disconnected, nan, noise, ecg, "
                         "mvc-missing, trials-missing, trials-zero, dropped)")
    ap.add_argument("--clean-n", type=int, default=8,
                    help="--faults: clean sessions per protocol variant and model for the "
                         "per-criterion table at 10 dB (0: skip it)")
    ap.add_argument("--out", default=None, help="--faults: write every verdict as JSON lines")
    args = ap.parse_args(argv)
    if args.faults:
        return faults_main(args)
    args.n = 20 if args.n is None else args.n
    args.sfreq = 500.0 if args.sfreq is None else args.sfreq[0]
    args.snr = [10.0, 6.0, 3.0] if args.snr is None else args.snr
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
            if (protocol, variant) in ACCEPTANCE:
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


# ====================================================================== fault injection
PROTOCOLS = ("prone-hip-extension", "flexion-relaxation", "arm-raise", "sorensen", "lift")
FAULTS = ("none",) + sm.CHANNEL_FAULTS + ("mvc-missing",) + sm.SESSION_FAULTS
SIM_VARIANTS = {p: [v for (q, v) in EXPECTED if q == p] for p in PROTOCOLS}


def _refs(value) -> list:
    """Muscle references of a criterion parameter (a group, a list of groups...)."""
    if hasattr(value, "muscles") and hasattr(value, "written"):
        return list(value.muscles)
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _refs(v)]
    return []


def _matches(ref, mref) -> bool:
    return (mref is not None and mref.muscle == ref.muscle
            and (ref.side is None or ref.side == mref.side))


def criterion_channels(pattern, rec) -> dict[str, set[str]]:
    """Channels of ``rec`` each criterion's muscle groups use."""
    out = {}
    for c in pattern.criteria:
        refs = [r for v in c.params.values() for r in _refs(v)]
        out[c.id] = {ch for ch, m in zip(rec.ch_names, rec.muscles)
                     if any(_matches(r, m) for r in refs)}
    return out


def criterion_muscles(pattern, mvc_only: bool = False) -> dict[str, set[str]]:
    """Muscle ids each criterion's groups name (``mvc_only``: only criteria in %MVC)."""
    return {c.id: ({r.muscle for v in c.params.values() for r in _refs(v)}
                   if not mvc_only or c.unit == "%MVC" or c.kind == "ratio" else set())
            for c in pattern.criteria}


def required_channels(pattern, rec) -> list[str]:
    """Channels of ``rec`` that hold a required muscle of the pattern."""
    return [ch for ch, m, ty in zip(rec.ch_names, rec.muscles, rec.ch_types)
            if ty == "emg" and any(_matches(r, m) for r in pattern.required)]


def fault_cases(protocol: str, pattern, rec, faults) -> list[tuple[str, str | None]]:
    """(fault, target) pairs of one session."""
    cases: list[tuple[str, str | None]] = []
    if "none" in faults:
        cases.append(("none", None))
    req = required_channels(pattern, rec)
    for f in sm.CHANNEL_FAULTS:
        if f in faults:
            cases += [(f, ch) for ch in req]
    if "mvc-missing" in faults and any(e.label == "mvc" for e in rec.events):
        used = set().union(*criterion_muscles(pattern).values())
        cases += [("mvc-missing", m) for m in sm.mvc_muscles(rec) if m in used]
    cases += [(f, None) for f in sm.SESSION_FAULTS if f in faults]
    return cases


def make_session(protocol: str, model: str, variant: str, sfreq: float, snr: float,
                 seed: int):
    """(rec, truth) of one clean session of either model."""
    if model == "simulate":
        rec, _ = simulate(protocol, variant, sfreq=sfreq, snr_db=snr, seed=seed,
                          mvc=protocol in NEEDS_MVC)
        return rec, dict(EXPECTED[(protocol, variant)])
    return sm.session(protocol, variant, sfreq=sfreq, snr_db=snr, seed=seed)


def _needs(fault: str, target, cid: str, chans: dict, musc: dict) -> bool:
    if fault in sm.CHANNEL_FAULTS:
        return target in chans[cid]
    if fault == "mvc-missing":
        return target in musc[cid]
    return fault != "none"


def judge(protocol, pattern, rec, truth, fault, target, seed):
    """Rows (one per criterion) of one faulted session."""
    chans = criterion_channels(pattern, rec)
    musc = criterion_muscles(pattern, mvc_only=True)
    base = {"fault": fault, "target": target}
    try:
        x = rec if fault == "none" else sm.inject(rec, fault, target, seed=seed)
    except EmgcontrolError as e:
        named = target is not None and target in str(e)
        return [{**base, "criterion": c.id, "needs": _needs(fault, target, c.id, chans, musc),
                 "truth": truth[c.id], "verdict": "refused" if named else "error",
                 "reason": f"{type(e).__name__}: {e}", "measured": None}
                for c in pattern.criteria]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = compare(x, pattern)
    except Exception as e:  # noqa: BLE001 - every crash is a finding
        return [{**base, "criterion": c.id, "needs": _needs(fault, target, c.id, chans, musc),
                 "truth": truth[c.id], "verdict": "error",
                 "reason": f"{type(e).__name__}: {e}", "measured": None}
                for c in pattern.criteria]
    rows = []
    for c in res.criteria:
        rows.append({**base, "criterion": c.id,
                     "needs": _needs(fault, target, c.id, chans, musc),
                     "truth": truth[c.id], "verdict": c.verdict,
                     "reason": c.reason or c.sentence, "measured": c.measured})
    return rows


def outcome(row) -> str:
    v = row["verdict"]
    if v == row["truth"]:
        return "right"
    if v == "not_assessable":
        return "na"
    if v in ("pass", "fail"):
        return "wrong"
    return v  # refused / error


def _pct(k: int, n: int) -> str:
    return f"{100.0 * k / n:6.1f}" if n else "     -"


def faults_main(args) -> int:
    import json

    protocols = args.protocol or list(PROTOCOLS)
    faults = args.fault or list(FAULTS)
    for f in faults:
        if f not in FAULTS:
            raise SystemExit(f"unknown fault {f!r}; choose from {', '.join(FAULTS)}")
    for p in protocols:
        if p not in PROTOCOLS:
            raise SystemExit(f"unknown protocol {p!r}; choose from {', '.join(PROTOCOLS)}")
    rates = args.sfreq or [1000.0, 250.0]
    snrs = args.snr or [20.0, 10.0, 6.0, 3.0]
    n = 2 if args.n is None else args.n
    out = open(args.out, "w") if args.out else None
    cells: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    wrong: list[dict] = []
    odd: list[dict] = []
    t_start = time.perf_counter()
    n_compare = 0
    print(f"fault injection: {len(protocols)} protocol(s), {len(faults)} fault(s), rates "
          f"{', '.join(f'{r:g}' for r in rates)} Hz, SNR {', '.join(f'{s:g}' for s in snrs)} "
          f"dB, {n} session(s) per cell (simulate and the second model alternating)")
    for ip, protocol in enumerate(protocols):
        pattern = get_pattern(protocol)
        for ir, sf in enumerate(rates):
            for isn, snr in enumerate(snrs):
                t0 = time.perf_counter()
                for k in range(n):
                    model = ("simulate", "second")[(k + ir + isn) % 2]
                    vs = SIM_VARIANTS[protocol] if model == "simulate" \
                        else list(sm.VARIANTS[protocol])
                    variant = vs[(k // 2 + ir + isn) % len(vs)]
                    seed = 50000 + 1000 * ip + 100 * ir + 10 * isn + k
                    rec, truth = make_session(protocol, model, variant, sf, snr, seed)
                    for fault, target in fault_cases(protocol, pattern, rec, faults):
                        rows = judge(protocol, pattern, rec, truth, fault, target, seed)
                        n_compare += 1
                        for r in rows:
                            r.update(protocol=protocol, sfreq=sf, snr=snr, model=model,
                                     variant=variant, seed=seed)
                            o = outcome(r)
                            c = cells[(protocol, fault, sf, snr)]
                            c["n"] += 1
                            c[o] += 1
                            if o == "wrong":
                                c["wrong_needs"] += int(r["needs"])
                                wrong.append(r)
                            elif o in ("refused", "error"):
                                odd.append(r)
                            if out:
                                out.write(json.dumps({**r, "outcome": o}, default=str) + "\n")
                print(f"  {protocol} {sf:g} Hz {snr:g} dB: {time.perf_counter() - t0:6.1f} s "
                      f"({n_compare} comparisons, {time.perf_counter() - t_start:7.1f} s in "
                      "all)", file=sys.stderr, flush=True)
    if out:
        out.close()
    print("\nper protocol x fault x rate x SNR (share of criterion verdicts, %; wrong*: "
          "confidently wrong verdicts of criteria that need the faulted channel/marker; "
          "refused: input refused with an error naming the channel)")
    hdr = (f"{'protocol':20s} {'fault':15s} {'Hz':>5s} {'dB':>3s} {'n':>4s} {'right':>6s} "
           f"{'n/a':>6s} {'wrong':>6s} {'wrong*':>6s} {'refus':>6s} {'error':>6s}")
    print(hdr)
    for (protocol, fault, sf, snr), c in sorted(
            cells.items(), key=lambda kv: (PROTOCOLS.index(kv[0][0]), FAULTS.index(kv[0][1]),
                                           -kv[0][2], -kv[0][3])):
        print(f"{protocol:20s} {fault:15s} {sf:5g} {snr:3g} {c['n']:4d} "
              f"{_pct(c['right'], c['n'])} {_pct(c['na'], c['n'])} {_pct(c['wrong'], c['n'])} "
              f"{c['wrong_needs']:6d} {_pct(c['refused'], c['n'])} {_pct(c['error'], c['n'])}")
    tot = defaultdict(int)
    for c in cells.values():
        for key, v in c.items():
            tot[key] += v
    print(f"\nall cells: {tot['n']} criterion verdicts in {n_compare} comparisons: right "
          f"{_pct(tot['right'], tot['n'])} %, not assessable {_pct(tot['na'], tot['n'])} %, "
          f"confidently wrong {tot['wrong']} ({tot['wrong_needs']} of criteria that need the "
          f"faulted item), refused {tot['refused']}, errors {tot['error']}; "
          f"{time.perf_counter() - t_start:.0f} s")
    print(f"\nconfidently wrong verdicts ({len(wrong)}):")
    for r in wrong:
        meas = "" if r["measured"] is None else f" measured {r['measured']:.3g};"
        print(f"  {r['protocol']} {r['sfreq']:g} Hz {r['snr']:g} dB {r['model']}/{r['variant']} "
              f"seed {r['seed']}: {r['fault']}{'' if r['target'] is None else ' ' + r['target']}"
              f" -> {r['criterion']}{' (needs it)' if r['needs'] else ''}: truth {r['truth']}, "
              f"verdict {r['verdict']};{meas} {r['reason']}")
    if odd:
        print(f"\nrefused inputs and errors ({len(odd)} criterion rows; one line per "
              "comparison):")
        seen = set()
        for r in odd:
            key = (r["protocol"], r["sfreq"], r["snr"], r["seed"], r["fault"], r["target"])
            if key in seen:
                continue
            seen.add(key)
            print(f"  {r['protocol']} {r['sfreq']:g} Hz {r['snr']:g} dB {r['model']}: "
                  f"{r['fault']} {r['target']}: {r['verdict']}: {str(r['reason'])[:160]}")
    if args.clean_n > 0:
        clean_table(protocols, args.clean_n)
    return 0


def clean_table(protocols, n: int) -> None:
    """Per-criterion verdicts of clean sessions at 10 dB, 1000 and 250 Hz, both models."""
    goals = {1000.0: 95.0, 250.0: 90.0}
    print(f"\nclean sessions at 10 dB: {n} per variant and model (simulate: "
          "its variants of EXPECTED; second model: typical and faulty); right / not "
          "assessable / wrong, % (goal: right >= 95 % at 1 kHz, >= 90 % at 250 Hz)")
    print(f"{'protocol':20s} {'criterion':30s} {'Hz':>5s} {'n':>4s} {'right':>6s} {'n/a':>6s} "
          f"{'wrong':>6s} {'sim':>6s} {'2nd':>6s} goal")
    t0 = time.perf_counter()
    for ip, protocol in enumerate(protocols):
        pattern = get_pattern(protocol)
        for sf in goals:
            per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for model in ("simulate", "second"):
                vs = SIM_VARIANTS[protocol] if model == "simulate" \
                    else list(sm.VARIANTS[protocol])
                for iv, variant in enumerate(vs):
                    for k in range(n):
                        seed = 90000 + 1000 * ip + 100 * iv + k + (50 if model == "second"
                                                                   else 0)
                        rec, truth = make_session(protocol, model, variant, sf, 10.0, seed)
                        for r in judge(protocol, pattern, rec, truth, "none", None, seed):
                            o = outcome(r)
                            d = per[r["criterion"]]
                            d["n"] += 1
                            d[o] += 1
                            d[f"{model}:n"] += 1
                            d[f"{model}:right"] += int(o == "right")
                            if o == "wrong":
                                print(f"    wrong: {protocol} {sf:g} Hz {model}/{variant} seed "
                                      f"{seed}: {r['criterion']} truth {r['truth']}, verdict "
                                      f"{r['verdict']}: {r['reason']}")
            for c in pattern.criteria:
                d = per[c.id]
                ok = d["n"] and 100.0 * d["right"] / d["n"] >= goals[sf]
                print(f"{protocol:20s} {c.id:30s} {sf:5g} {d['n']:4d} {_pct(d['right'], d['n'])} "
                      f"{_pct(d['na'], d['n'])} {_pct(d['wrong'], d['n'])} "
                      f"{_pct(d['simulate:right'], d['simulate:n'])} "
                      f"{_pct(d['second:right'], d['second:n'])} "
                      f"{'met' if ok else 'NOT met'}", flush=True)
    print(f"  ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    raise SystemExit(main())
