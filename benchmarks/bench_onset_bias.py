"""Inter-channel onset bias of the assessment chain, per sampling rate and SNR.

An order criterion compares the onsets of two muscles.  An error common to every
channel cancels in the difference; what does not cancel is each channel's own bias
(its median onset error over the trials), which the trials' spread does not show.
This script measures that bias on simulated prone-hip-extension sessions (known
onsets): per (rate, SNR) the RMS across channels of the per-channel median onset
error, each taken relative to its session's median channel (the common part cancels
in a difference), and the median SNR the quality check reads on those channels (the
SNR the chain knows), the numbers behind
:data:`emgcontrol.patterns.kinds.order.CHANNEL_BIAS_SD_MS`.

Usage::

    python benchmarks/bench_onset_bias.py                    # 4 sessions per cell
    python benchmarks/bench_onset_bias.py --n 8 --sfreq 250 1000 --snr 3 6 10 20
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from emgcontrol.patterns import compare  # noqa: E402
from emgcontrol.simulate import simulate  # noqa: E402

CHANNELS = ("LT L", "LT R", "MF L", "MF R", "GMax R", "BF R")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4, help="sessions per cell")
    ap.add_argument("--sfreq", type=float, nargs="+", default=[250.0, 500.0, 1000.0])
    ap.add_argument("--snr", type=float, nargs="+", default=[3.0, 6.0, 10.0, 20.0])
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    print("rate_hz snr_db  quality_snr_db  n_channels  common_bias_ms  channel_bias_sd_ms  "
          "abs_bias_p90_ms  trial_mae_ms")
    for sf in a.sfreq:
        for snr in a.snr:
            biases: list[float] = []
            errs: list[float] = []
            common: list[float] = []
            qsnr: list[float] = []
            for seed in range(a.n):
                rec, truth = simulate("prone-hip-extension", "typical", sfreq=sf,
                                      snr_db=snr, seed=1000 + seed, mvc=True)
                res = compare(rec, "prone-hip-extension")
                qsnr += [c["snr_db"] for c in res.measures["channels"]
                         if c["channel"] in CHANNELS and c["snr_db"] is not None]
                mine = []
                for ch in CHANNELS:
                    tru = truth.onsets(ch)
                    got = {o["trial"]: o["onset_s"] for o in res.measures["onsets"]
                           if o["channel"] == ch}
                    e = [1000 * (got[k] - tru[k]) for k in range(len(tru))
                         if got.get(k) is not None]
                    if e:
                        mine.append(float(np.median(e)))
                        errs += e
                # the bias common to a session's channels cancels in a difference:
                # keep each channel's bias relative to its session's median
                if mine:
                    common.append(float(np.median(mine)))
                    biases += [b - common[-1] for b in mine]
            b = np.asarray(biases)
            print(f"{sf:7.0f} {snr:6.0f}  {np.median(qsnr):14.1f}  {b.size:10d}  {np.median(common):+14.1f}  "
                  f"{np.sqrt(np.mean(b ** 2)):18.1f}  {np.percentile(np.abs(b), 90):15.1f}"
                  f"  {np.mean(np.abs(errs)):12.1f}", flush=True)


if __name__ == "__main__":
    main()
