"""Automatic baseline: where is a channel quiet?

Picking "the quietest window" and taking its mean + k SD as a threshold fires
on every fluctuation of real data: the minimum over many windows is biased
low, in level and in spread.  Taking "most of the recording" fails the other
way on channels that are active most of the time (a quadriceps holding a
knee extension, a postural muscle): the baseline swallows the activity and
nothing is found.  Instead the rest level is read off the distribution of the
channel's levels:

1. the band-passed signal is cut into blocks long enough to hold about
   ``dof`` degrees of freedom (``dof / (2 * bandwidth)`` seconds: 58 ms at
   1 kHz with a 20-450 Hz band, 0.27 s at 250 Hz with 20-112 Hz), and the
   log of each block's mean power is taken;
2. the density of these log-powers is estimated (histogram smoothed with a
   Gaussian kernel as wide as the spread of Gaussian noise's log-power,
   ``sqrt(2 / dof)``), and the rest level ``c`` is its **lowest mode holding
   at least** :data:`MIN_REST_SHARE` of the blocks: rest is the lowest level a
   channel keeps for a while, whether it takes 90 % of the recording or 15 %;
3. the spread ``s`` of the rest level is measured on the blocks *below* ``c``
   (the side that activity cannot reach; 1.4826 x their median distance to
   ``c``), and every block below ``c + z * s`` is quiet;
4. blocks next to a non-quiet block are dropped (onset and offset ramps), and
   blocks of exactly zero power (dropouts) never count.

The statistics of the detector are then pooled over all quiet samples.  The
logarithm makes the rule scale-free (volts, microvolts or ADC counts give the
same blocks).  :func:`activity_contrast` tells, independently of that rule,
how far a channel's loudest stretches rise above its lowest level: a channel
whose bursts stand well above its lowest level but whose detection found
nothing has no usable rest (it is reported "not assessable", never an empty
"ok").
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["quiet_mask", "quiet_blocks", "local_rest_gain", "block_log_power", "rest_level", "activity_contrast",
           "longest_run", "AUTO_DOF", "AUTO_Z", "MIN_REST_SHARE", "CLEAR_ACTIVITY_DB", "REST_SPREAD_DB"]

AUTO_DOF = 50.0
"""Degrees of freedom per block of the automatic baseline."""

AUTO_Z = 3.0
"""Blocks up to ``z`` spreads above the baseline level count as quiet."""

MIN_BLOCKS = 50
"""Blocks are shortened (down to 4 samples) so that a record holds at least this many."""

MIN_REST_SHARE = 0.05
"""Share of the blocks (and at least 8 blocks) a level must hold to count as the rest
level: shorter low stretches (a dropout, a few unusually quiet blocks) are not a rest."""

CLEAR_ACTIVITY_DB = 10.0
"""Power (dB) by which the loud end of a channel (its 97.5th percentile block) must
exceed its lowest level (2.5th percentile) to count as holding bursts: 10 dB is over
five times the 2.5-97.5 % spread of Gaussian noise blocks of 50 degrees of freedom
(2.4 dB), and about twice that of quiet real channels with heartbeat residue."""


REST_SPREAD_DB = 12.0
"""Rest power (dB) above the quietest channel of the same recording from which a
channel with no activation is not taken as resting: channels of one amplifier share
its noise floor (within 1-3 dB on the real recordings in the tests, 1.4-1.6 uV RMS on
the elderly isometric set); a "rest" four times louder in amplitude is a muscle held
active over the whole recording (an isometric hold) or a poor contact."""

def _block_len(n: int, sfreq: float, bandwidth: float, dof: float, min_blocks: int) -> int:
    n_blk = max(int(round(dof / (2.0 * bandwidth) * sfreq)), 4)
    return max(min(n_blk, n // max(min_blocks, 1)), 4)


def block_log_power(y: np.ndarray, sfreq: float, bandwidth: float, *, dof: float = AUTO_DOF,
                    skip: int = 0, min_blocks: int = MIN_BLOCKS
                    ) -> tuple[np.ndarray, int, float]:
    """Log of the mean power of consecutive blocks of one band-passed channel.

    Parameters
    ----------
    y : ndarray, shape (n_times,)
        Band-passed signal (any unit).
    sfreq, bandwidth : float
        Sampling frequency and noise bandwidth of the band-pass, Hz.
    dof : float
        Degrees of freedom per block (sets the block length).
    skip : int
        Leading samples never used (filter start-up): blocks touching them are +inf.
    min_blocks : int
        Blocks are shortened (to 4 samples at least) so that the record holds this many.

    Returns
    -------
    lp : ndarray, shape (n_blocks,)
        Natural log of each block's mean power; +inf for skipped blocks and blocks
        of zero power (dropouts).
    n_blk : int
        Block length, samples.
    s_noise : float
        Spread (SD) of the log-power of Gaussian noise blocks of this length.
    """
    n = y.shape[-1]
    n_blk = _block_len(n, sfreq, bandwidth, dof, min_blocks)
    nb = n // n_blk
    s_noise = float(np.sqrt(2.0 / max(2.0 * bandwidth * n_blk / sfreq, 1.0)))
    if nb < 1:
        return np.zeros(0), n_blk, s_noise
    v = y[:nb * n_blk].reshape(nb, n_blk)
    pw = np.einsum("ij,ij->i", v, v) / n_blk
    first = -(-skip // n_blk)
    lp = np.full(nb, np.inf)
    valid = pw > 0
    valid[:first] = False
    lp[valid] = np.log(pw[valid])
    return lp, n_blk, s_noise


def rest_level(lp: np.ndarray, s_noise: float, *, min_share: float = MIN_REST_SHARE
               ) -> tuple[float, float]:
    """Rest level and its spread from finite block log-powers.

    Parameters
    ----------
    lp : ndarray
        Finite log-powers of the blocks.
    s_noise : float
        Spread of the log-power of Gaussian noise blocks (kernel width).
    min_share : float
        Share of the blocks a mode must hold (within two kernel widths).

    Returns
    -------
    c, s : float
        The lowest mode holding ``min_share`` of the blocks (median of the
        blocks within two kernel widths of it) and the spread of the blocks
        below it (at least a quarter of ``s_noise``).
    """
    h = float(s_noise)
    lo, hi = float(lp.min()), float(lp.max())
    step = h / 4.0
    pad = 8
    nbins = int((hi - lo) / step) + 2 * pad + 1
    hist = np.bincount(((lp - lo) / step).astype(np.int64) + pad, minlength=nbins)
    k = np.arange(-pad, pad + 1)
    dens = np.convolve(hist.astype(float), np.exp(-0.5 * (k / 4.0) ** 2), mode="same")
    cum = np.concatenate([[0], np.cumsum(hist)])
    need = max(8.0, min_share * lp.size)
    w = 8  # two kernel widths, in bins
    cen = float(np.median(lp))
    peaks = np.flatnonzero((dens[1:-1] >= dens[:-2]) & (dens[1:-1] > dens[2:])) + 1
    for b in peaks:
        if cum[min(b + w + 1, nbins)] - cum[max(b - w, 0)] >= need:
            cen = lo + (b - pad + 0.5) * step
            break
    near = lp[np.abs(lp - cen) <= 2.0 * h]
    c = float(np.median(near)) if near.size else cen
    below = c - lp[(lp <= c) & (lp >= c - 6.0 * h)]
    s = 1.4826 * float(np.median(below)) if below.size >= 4 else h
    return c, max(s, 0.25 * h)


def activity_contrast(lp: np.ndarray) -> float:
    """How far the loud end of a channel rises above its lowest level, dB.

    ``10 log10`` of the 97.5th over the 2.5th percentile of the block powers
    (finite ``lp`` only; 0 when fewer than 8 blocks).
    """
    f = lp[np.isfinite(lp)]
    if f.size < 8:
        return 0.0
    lo, hi = np.percentile(f, [2.5, 97.5])
    return float((hi - lo) * 10.0 / np.log(10.0))


def quiet_mask(y: np.ndarray, sfreq: float, bandwidth: float, *, dof: float = AUTO_DOF,
               z: float = AUTO_Z, guard: int = 1, skip: int = 0,
               min_blocks: int = MIN_BLOCKS) -> np.ndarray:
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
    min_blocks : int
        Blocks are shortened so that the record holds at least this many.

    Returns
    -------
    ndarray of bool, shape (n_times,)
        May be all False when no block qualifies (e.g. a silent channel).
    """
    lp, n_blk, s_noise = block_log_power(y, sfreq, bandwidth, dof=dof, skip=skip,
                                         min_blocks=min_blocks)
    return quiet_blocks(lp, n_blk, y.shape[-1], s_noise, z=z, guard=guard,
                        block_s=n_blk / sfreq)[0]


def quiet_blocks(lp: np.ndarray, n_blk: int, n_times: int, s_noise: float, *,
                 z: float = AUTO_Z, guard: int = 1, block_s: float | None = None
                 ) -> tuple[np.ndarray, float, float]:
    """Quiet-sample mask, rest level and spread from block log-powers.

    Parameters
    ----------
    lp, n_blk, s_noise :
        Output of :func:`block_log_power`.
    n_times : int
        Length of the channel, samples.
    z : float
        Inclusion limit in spreads.
    guard : int
        Blocks dropped on each side of a non-quiet block.
    block_s : float, optional
        Block duration, s.  When given, excursions between quiet blocks no longer
        than :data:`ISOLATED_S` and at most :data:`ISOLATED_DB` above the quiet
        band count as rest (see :func:`_with_short_excursions`).

    Returns
    -------
    mask : ndarray of bool, shape (n_times,)
        Quiet samples (all False when no block is finite).
    c, s : float
        Rest level and spread (:func:`rest_level`; NaN without finite blocks).
    """
    mask = np.zeros(n_times, dtype=bool)
    valid = np.isfinite(lp)
    if not valid.any():
        return mask, math.nan, math.nan
    c, s = rest_level(lp[valid], s_noise)
    keep = valid & (lp <= c + z * s)
    if block_s is not None:
        n_iso = max(int(ISOLATED_S / block_s), 1)
        keep = _with_short_excursions(keep, valid & (lp <= c + z * s + ISOLATED_DB * _DB),
                                      n_iso)
    quiet = keep.copy()
    for g in range(1, guard + 1):
        quiet[g:] &= keep[:-g]
        quiet[:-g] &= keep[g:]
    if not quiet.any():  # everything is near activity: keep the core blocks
        quiet = keep
    mask[:lp.size * n_blk] = np.repeat(quiet, n_blk)
    return mask, c, s


ISOLATED_S = 0.3
"""Longest excursion (s) above the quiet band, between two quiet blocks, that still
counts as rest on a channel with a heartbeat: heartbeat residue (one QRS per 0.3-2 s)
fills one or two blocks between quiet ones.  Without this, such a channel's rest has
two interleaved levels (emgGO's tibialis anterior at 250 Hz: 7 dB apart) and would
shrink to the stretches between beats, with a threshold that heartbeats then cross.
Only where a heartbeat rhythm was found: elsewhere short excursions are the first
motor units of an onset (the UCI quadriceps before a knee extension)."""

ISOLATED_DB = 10.0
"""Such an excursion counts as rest only up to this much (dB) above the quiet band."""

ISOLATED_MIN_SHARE = 0.1
"""... and only when such excursions are at least this share of the rest they join:
heartbeats make a second level interleaved with the first (emgGO: 29 % of the rest
blocks), while a few isolated blips (the simulator's trunk channels after ECG
removal: 0-3 %) are left out of the baseline as before."""

_DB = math.log(10.0) / 10.0  # natural-log power per dB


def _with_short_excursions(keep: np.ndarray, low: np.ndarray, n_iso: int) -> np.ndarray:
    """``keep`` with runs of False of at most ``n_iso`` blocks set True when every
    block of the run is in ``low`` and quiet blocks flank it on both sides, if such
    runs make up :data:`ISOLATED_MIN_SHARE` of the result (else ``keep``)."""
    out = keep.copy()
    nb = keep.size
    d = np.diff(np.concatenate([[1], keep.astype(np.int8), [1]]))
    starts = np.flatnonzero(d == -1)
    stops = np.flatnonzero(d == 1)
    cl = np.concatenate([[0], np.cumsum(~low)])
    for a, b in zip(starts, stops):
        if 0 < a and b < nb and b - a <= n_iso and cl[b] - cl[a] == 0:
            out[a:b] = True
    added = int(out.sum() - keep.sum())
    return out if added >= ISOLATED_MIN_SHARE * max(int(out.sum()), 1) else keep


LOCAL_SEGMENT_S = 2.0
"""Length (s) of the segments over which the local rest level is held constant."""

LOCAL_HALF_WINDOW_S = 20.0
"""Half-width (s) of the window around a segment in which its local rest is sought."""


def local_rest_gain(lp: np.ndarray, c: float, s: float, s_noise: float, *, n_seg: int,
                    n_half: int, z: float = AUTO_Z) -> np.ndarray:
    """Power of the local rest level over the channel's rest level, per segment.

    Each segment of ``n_seg`` blocks is looked at from two windows of
    ``n_half`` blocks: the one ending with it (the rest an onset rises from)
    and the one starting with it (the rest an offset returns to); at the ends
    of the record the windows are shifted inside it.  A window
    holding at least :data:`MIN_REST_SHARE` of blocks in the channel's quiet
    band (``<= c + z * s``) has the channel's rest (gain 1).  In a window that
    never comes back to that level (the rest level rose: electrode drift, a
    postural tone, a noisier stretch) the local rest is its lowest
    well-populated mode (:func:`rest_level`), and the segment's gain is
    ``exp(c_local - c)``, the larger of its two windows: thresholds scaled by
    it make activations end where the signal returns to *its* rest, not to a
    level measured elsewhere, and keep a step of the rest level from counting
    as an onset.  A local level more than :data:`REST_SPREAD_DB` above the
    channel's rest is not a rest but a contraction held through the window (a
    hold longer than the window): it keeps gain 1, so the hold is one
    activation.  (A rest that rises by more, or a hold weaker than that and
    longer than the window, cannot be told apart by level alone.)

    Returns
    -------
    ndarray, shape (ceil(n_blocks / n_seg),)
        Gain (power ratio >= 1) of each segment.
    """
    nb = lp.size
    n_seg = max(int(n_seg), 1)
    n_segs = max(-(-nb // n_seg), 1)
    gain = np.ones(n_segs)
    finite = np.isfinite(lp)
    if not finite.any() or not math.isfinite(c):
        return gain
    quiet = finite & (lp <= c + z * s)
    cf = np.concatenate([[0], np.cumsum(finite)])
    cq = np.concatenate([[0], np.cumsum(quiet)])
    limit = c + z * s
    max_step = REST_SPREAD_DB * math.log(10.0) / 10.0  # dB -> natural log of power
    cache: dict[tuple[int, int], float] = {}

    def window_gain(lo: int, hi: int) -> float:
        # windows keep their length at the ends of the record (shifted inside it)
        if lo < 0:
            lo, hi = 0, min(hi - lo, nb)
        if hi > nb:
            lo, hi = max(lo - (hi - nb), 0), nb
        nf = cf[hi] - cf[lo]
        if nf < 8 or cq[hi] - cq[lo] >= max(8.0, MIN_REST_SHARE * nf):
            return 1.0
        if (lo, hi) not in cache:
            c_loc, _ = rest_level(lp[lo:hi][finite[lo:hi]], s_noise)
            # a level up to REST_SPREAD_DB above the rest is a rest that rose; above
            # it, a contraction held through the whole window (a long hold)
            cache[(lo, hi)] = math.exp(c_loc - c) if limit < c_loc <= c + max_step else 1.0
        return cache[(lo, hi)]

    for i in range(n_segs):
        a, b = i * n_seg, min((i + 1) * n_seg, nb)
        gain[i] = max(window_gain(b - n_half, b), window_gain(a, a + n_half))
    return gain


def longest_run(mask: np.ndarray) -> tuple[int, int]:
    """``(start, stop)`` sample indices of the longest run of True (0, 0 if none)."""
    if not mask.any():
        return 0, 0
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    k = int(np.argmax(stops - starts))
    return int(starts[k]), int(stops[k])
