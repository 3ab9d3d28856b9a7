"""Automatic baseline: where is a channel quiet?

Picking "the quietest window" and taking its mean + k SD as a threshold fires
on every fluctuation of real data: the minimum over many windows is biased
low, in level and in spread.  Instead the quiet parts of a channel are found
as a population:

1. the band-passed signal is cut into blocks long enough to hold about
   ``dof`` degrees of freedom (``dof / (2 * bandwidth)`` seconds: 58 ms at
   1 kHz with a 20-450 Hz band, 0.27 s at 250 Hz with 20-112 Hz), and the
   log of each block's mean power is taken;
2. starting from the lowest quarter of the blocks, the baseline level ``c``
   (median) and spread ``s`` (root mean square deviation of the blocks below
   the median -- the side that activity cannot contaminate -- capped at twice
   the spread of Gaussian noise, ``2 sqrt(2 / dof)``) are estimated,
   every block below ``c + z * s`` is taken as quiet, and the two steps are
   repeated until the set stops changing;
3. blocks next to a non-quiet block are dropped (onset and offset ramps), and
   blocks of exactly zero power (dropouts) never count.

The statistics of the detector are then pooled over all quiet samples.  The
logarithm makes the rule scale-free (volts, microvolts or ADC counts give the
same blocks).
"""

from __future__ import annotations

import numpy as np

__all__ = ["quiet_mask", "longest_run", "AUTO_DOF", "AUTO_Z"]

AUTO_DOF = 50.0
"""Degrees of freedom per block of the automatic baseline."""

AUTO_Z = 3.0
"""Blocks up to ``z`` spreads above the baseline level count as quiet."""

MIN_BLOCKS = 50
"""Blocks are shortened (down to 4 samples) so that a record holds at least this many."""


def quiet_mask(y: np.ndarray, sfreq: float, bandwidth: float, *, dof: float = AUTO_DOF,
               z: float = AUTO_Z, guard: int = 1, skip: int = 0, cap: bool = False,
               min_blocks: int = 50) -> np.ndarray:
    """Boolean mask of the quiet samples of one band-passed channel.

    Parameters
    ----------
    y : ndarray, shape (n_times,)
        Band-passed signal (any unit).
    sfreq : float
        Sampling frequency, Hz.
    bandwidth : float
        Noise bandwidth of the band-pass, Hz (sets the block length).
    dof, z : float
        Degrees of freedom per block and inclusion limit in spreads.
    guard : int
        Blocks dropped on each side of a non-quiet block.
    skip : int
        Leading samples never taken as baseline (filter start-up).

    Returns
    -------
    ndarray of bool, shape (n_times,)
        May be all False when no block qualifies (e.g. a silent channel).
    """
    n = y.shape[-1]
    n_blk = max(int(round(dof / (2.0 * bandwidth) * sfreq)), 4)
    n_blk = max(min(n_blk, n // max(min_blocks, 1)), 4)  # enough blocks to estimate a spread
    nb = n // n_blk
    # the spread of the log-power of a block of Gaussian noise with this many degrees
    # of freedom is about sqrt(2 / dof); heartbeats, drifts and colour widen it, but
    # a spread estimated above twice that from a few blocks means activity got in
    s_max = 2.0 * np.sqrt(2.0 / max(2.0 * bandwidth * n_blk / sfreq, 1.0))
    mask = np.zeros(n, dtype=bool)
    if nb < 1:
        return mask
    pw = np.mean(np.square(y[:nb * n_blk]).reshape(nb, n_blk), axis=1)
    first = -(-skip // n_blk)  # blocks touching the skipped start are not used
    valid = pw > 0
    valid[:first] = False
    if not valid.any():
        return mask
    lp = np.full(nb, np.inf)
    lp[valid] = np.log(pw[valid])
    vals = lp[valid]
    keep = valid & (lp <= np.quantile(vals, 0.25))
    for _ in range(100):
        kv = lp[keep]
        c = float(np.median(kv))
        lo = kv[kv <= c]
        s = float(np.sqrt(np.mean((lo - c) ** 2))) if lo.size > 1 else 0.0
        s = min(s, s_max) if cap else s
        new = valid & (lp <= c + z * s)
        if not new.any() or np.array_equal(new, keep):
            keep = new if new.any() else keep
            break
        keep = new
    quiet = keep.copy()
    for g in range(1, guard + 1):
        quiet[g:] &= keep[:-g]
        quiet[:-g] &= keep[g:]
    if not quiet.any():  # everything is near activity: keep the core blocks
        quiet = keep
    mask[:nb * n_blk] = np.repeat(quiet, n_blk)
    return mask


def longest_run(mask: np.ndarray) -> tuple[int, int]:
    """``(start, stop)`` sample indices of the longest run of True (0, 0 if none)."""
    if not mask.any():
        return 0, 0
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    k = int(np.argmax(stops - starts))
    return int(starts[k]), int(stops[k])
