"""Scenario builders for the clinical protocols (healthy recruitment and faults).

Each protocol describes, per movement phase, which muscles activate when (latency
relative to a phase anchor such as the go cue plus reaction time, or the movement
onset), how much (%MVC), with which ramps, and until when.  Tables are keyed by
muscle id and *role*: ``"ipsi"`` (side of the moving limb, the right; also channels
without side), ``"contra"`` (the other side) or ``"any"``.  Muscles of the montage
that a protocol does not use stay silent (baseline only).

Trial-to-trial variability (seeded): a common reaction-time shift per trial
(normal, clipped at +/- 2 SD), a latency jitter per muscle and trial (SD 10 ms,
8 ms for the rapid arm raise, clipped at +/- 2 SD so that the order groups of
:attr:`GroundTruth.firing_order`, spaced >= 4 SD apart, hold in every trial), an
amplitude factor per muscle and trial (log-normal, SD 10 %, clipped at +/- 2 SD), an
offset jitter (SD 30 ms) and movement-duration jitter.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..errors import ValidationError
from ..montage import Montage, as_montage, make_montage
from ..recording import Event, Recording
from ._builder import (_clipped_normal, check_sfreq_range, check_snr, resolve_seed,
                       simulate_custom, stream)
from ._truth import Burst, GroundTruth, Movement

__all__ = ["PROTOCOLS", "list_variants", "variant_summaries", "describe", "simulate"]


@dataclass(frozen=True)
class _A:
    """Activity of one muscle in one phase."""

    lat: float            # onset relative to the phase's start anchor, s
    amp: float            # plateau, %MVC
    end: float            # offset relative to the phase's end anchor, s
    ramp_on: float = 0.08
    ramp_off: float = 0.3
    fatigue: float = 0.0  # median-frequency slope, % of initial per s


@dataclass
class _Phase:
    name: str
    start: float
    end: float
    table: Mapping[tuple[str, str], _A]


@dataclass
class _Plan:
    cue: float
    length: float
    phases: list[_Phase]
    movements: list[tuple[float, float, float, str]]  # onset, duration, delta, phase
    posture_deg: float = 0.0


@dataclass(frozen=True)
class _Variant:
    """What a variant simulates: one line (``emgcontrol simulate --list-variants``) and
    the full description with references (:func:`describe`)."""

    summary: str
    description: str


@dataclass(frozen=True)
class _Protocol:
    id: str
    title: str
    description: str
    variants: Mapping[str, _Variant]
    montage: Callable[[], Montage]
    lateral: bool
    n_trials: int
    rt_sd: float
    lat_sd: float
    acc_radius_m: float
    plan: Callable[[str, np.random.Generator, float], _Plan]
    order: Callable[[str], list[list[tuple[str, str]]]] = field(default=lambda v: [])


def _cn(rng: np.random.Generator, sd: float) -> float:
    return float(_clipped_normal(rng, sd))


# ------------------------------------------------------------ prone hip extension
_ES = ("longissimus", "iliocostalis", "multifidus")
_ES_DELAY = {"longissimus": 0.0, "iliocostalis": 0.005, "multifidus": 0.0}
_HAM = ("biceps_femoris", "semitendinosus")


def _phe_lat(variant: str) -> dict[str, float]:
    if variant == "reversed":
        return {"es_i": 0.0, "es_c": 0.06, "gmax": 0.12, "ham": 0.18}
    if variant == "delayed-gluteus":
        return {"ham": 0.0, "es_c": 0.12, "es_i": 0.18, "gmax": 0.26}
    return {"ham": 0.0, "gmax": 0.06, "es_c": 0.12, "es_i": 0.18}


def _phe_table(variant: str) -> dict[tuple[str, str], _A]:
    lat = _phe_lat(variant)
    gmax_amp = 15.0 if variant == "delayed-gluteus" else 25.0
    t: dict[tuple[str, str], _A] = {
        ("biceps_femoris", "ipsi"): _A(lat["ham"], 30, 0.6),
        ("semitendinosus", "ipsi"): _A(lat["ham"] + 0.01, 30, 0.6),
        ("gluteus_maximus", "ipsi"): _A(lat["gmax"], gmax_amp, 0.55),
        ("gluteus_medius", "ipsi"): _A(lat["gmax"] + 0.02, 10, 0.55),
    }
    for m, amp in (("longissimus", 20.0), ("iliocostalis", 17.0), ("multifidus", 18.0)):
        t[(m, "contra")] = _A(lat["es_c"] + _ES_DELAY[m], amp, 0.45)
        t[(m, "ipsi")] = _A(lat["es_i"] + _ES_DELAY[m], 0.9 * amp, 0.45)
    # support leg and abdominal wall: low-level stabilising activity
    for m in ("gluteus_maximus", "gluteus_medius", *_HAM):
        t[(m, "contra")] = _A(0.10, 5, 0.5)
    for m in ("internal_oblique", "external_oblique", "rectus_abdominis"):
        t[(m, "any")] = _A(0.15, 5, 0.4)
    return t


def _phe_plan(variant: str, rng: np.random.Generator, start: float) -> _Plan:
    cue = start + 1.0 + rng.uniform(0.0, 0.5)
    a0 = cue + 0.30 + _cn(rng, 0.05)
    lat = _phe_lat(variant)
    prime = min(lat["ham"], lat["gmax"])  # first hip extensor moves the leg
    lift_on = a0 + prime + 0.07 + _cn(rng, 0.01)
    lift_dur = 0.7 + _cn(rng, 0.05)
    lower_on = lift_on + lift_dur + 2.0 + _cn(rng, 0.2)
    lower_dur = 0.8 + _cn(rng, 0.05)
    return _Plan(cue, 8.0, [_Phase("lift", a0, lower_on, _phe_table(variant))],
                 [(lift_on, lift_dur, 12.0, "lift"), (lower_on, lower_dur, -12.0, "lower")],
                 posture_deg=0.0)


def _phe_order(variant: str) -> list[list[tuple[str, str]]]:
    ham = [(m, "ipsi") for m in _HAM]
    gmax = [("gluteus_maximus", "ipsi")]
    es_c = [(m, "contra") for m in _ES]
    es_i = [(m, "ipsi") for m in _ES]
    if variant == "reversed":
        return [es_i, es_c, gmax, ham]
    if variant == "delayed-gluteus":
        return [ham, es_c, es_i, gmax]
    return [ham, gmax, es_c, es_i]


# ------------------------------------------------------------- flexion-relaxation
def _fr_plan(variant: str, rng: np.random.Generator, start: float) -> _Plan:
    cue = start + 1.0
    f0 = cue + 0.4 + _cn(rng, 0.08)
    fd = 3.0 + _cn(rng, 0.2)
    hold = 3.0 + _cn(rng, 0.3)
    e0 = f0 + fd + hold
    ed = 3.0 + _cn(rng, 0.2)
    silent = f0 + 0.85 * fd  # erector spinae fall silent near 85 % of the flexion
    es_amp = {"longissimus": 20.0, "iliocostalis": 18.0, "multifidus": 20.0}
    es_flex = {(m, "any"): _A(-0.10, a, 0.0, 0.5, 0.4) for m, a in es_amp.items()}
    es_flex[("gluteus_maximus", "any")] = _A(0.3, 6, 0.0, 0.4, 0.3)
    hams_flex = {(m, "any"): _A(0.2, 10, 0.1, 0.5, 0.3) for m in _HAM}
    ext = {(m, "any"): _A(-0.15, 1.5 * a, 0.2, 0.3, 0.5) for m, a in es_amp.items()}
    ext.update({(m, "any"): _A(-0.10, 25, 0.0, 0.3, 0.4) for m in _HAM})
    ext[("gluteus_maximus", "any")] = _A(-0.05, 20, 0.0, 0.3, 0.4)
    phases = [_Phase("flexion", f0, silent, es_flex), _Phase("flexion", f0, e0, hams_flex)]
    if variant == "absent":
        full = {(m, "any"): _A(0.0, 0.8 * a, 0.3, 0.4, 0.3) for m, a in es_amp.items()}
        phases.append(_Phase("full-flexion", silent - 0.4, e0, full))
    phases.append(_Phase("extension", e0, e0 + ed, ext))
    return _Plan(cue, 14.0, phases,
                 [(f0, fd, -80.0, "flexion"), (e0, ed, 80.0, "extension")], posture_deg=90.0)


# ---------------------------------------------------------------------- arm raise
def _ar_plan(variant: str, rng: np.random.Generator, start: float) -> _Plan:
    cue = start + 1.0 + rng.uniform(0.0, 1.0)  # random foreperiod: no anticipation
    a0 = cue + 0.20 + _cn(rng, 0.03)  # anterior deltoid onset (visual reaction time)
    io_lat, io_amp = (0.040, 12.0) if variant == "delayed-trunk" else (-0.040, 15.0)
    raise_t = {
        ("anterior_deltoid", "ipsi"): _A(0.0, 60, 0.28, 0.02, 0.08),
        ("internal_oblique", "any"): _A(io_lat, io_amp, io_lat + 0.30, 0.02, 0.10),
        ("multifidus", "any"): _A(-0.010, 15, 0.30, 0.02, 0.10),
        ("longissimus", "any"): _A(0.015, 18, 0.32, 0.02, 0.10),
        ("iliocostalis", "any"): _A(0.020, 15, 0.32, 0.02, 0.10),
        ("external_oblique", "any"): _A(0.020, 10, 0.32, 0.02, 0.10),
        ("rectus_abdominis", "any"): _A(0.060, 6, 0.35, 0.02, 0.10),
    }
    up_on = a0 + 0.05 + _cn(rng, 0.005)  # electromechanical delay
    up_dur = 0.35 + _cn(rng, 0.03)
    down_on = up_on + up_dur + 1.0 + _cn(rng, 0.1)
    down_dur = 1.2 + _cn(rng, 0.1)
    lower_t = {("anterior_deltoid", "ipsi"): _A(-0.05, 12, 0.05, 0.1, 0.1)}
    return _Plan(cue, 6.0,
                 [_Phase("raise", a0, a0, raise_t),
                  _Phase("lower", down_on, down_on + down_dur, lower_t)],
                 [(up_on, up_dur, 70.0, "raise"), (down_on, down_dur, -70.0, "lower")],
                 posture_deg=-90.0)


def _ar_order(variant: str) -> list[list[tuple[str, str]]]:
    io = [("internal_oblique", "ipsi"), ("internal_oblique", "contra")]
    ad = [("anterior_deltoid", "ipsi")]
    return [ad, io] if variant == "delayed-trunk" else [io, ad]


# ----------------------------------------------------------------------- Sorensen
SORENSEN_HOLD_S = 60.0

_SOR_FATIGUE = {
    # %/s of the initial median frequency: healthy Biering-Sorensen holds show
    # normalised MDF slopes of about -0.1 to -0.4 %/s for the lumbar extensors, steeper
    # in fatigable / low-back-pain backs (Mannion & Dolan 1994; Roy et al. 1989;
    # Kankaanpaa et al. 1998; Coorevits et al. 2008, who also found the hamstrings and
    # gluteus maximus fatiguing).
    "typical": {"es": -0.25, "ham": -0.15, "gmax": -0.10, "gmed": -0.05},
    "fast-fatigue": {"es": -0.60, "ham": -0.25, "gmax": -0.15, "gmed": -0.10},
}


def _sor_plan(variant: str, rng: np.random.Generator, start: float) -> _Plan:
    fat = _SOR_FATIGUE[variant]
    cue = start + 1.0
    m0 = cue + 0.4 + _cn(rng, 0.08)
    lift_dur = 1.0 + _cn(rng, 0.1)
    lower_on = m0 + lift_dur + SORENSEN_HOLD_S
    lower_dur = 1.0 + _cn(rng, 0.1)
    t = {
        ("longissimus", "any"): _A(-0.1, 45, 0.6, 0.6, 0.6, fat["es"]),
        ("iliocostalis", "any"): _A(-0.1, 40, 0.6, 0.6, 0.6, fat["es"]),
        ("multifidus", "any"): _A(-0.1, 45, 0.6, 0.6, 0.6, fat["es"]),
        ("gluteus_maximus", "any"): _A(0.0, 15, 0.6, 0.6, 0.6, fat["gmax"]),
        ("biceps_femoris", "any"): _A(0.0, 35, 0.6, 0.6, 0.6, fat["ham"]),
        ("semitendinosus", "any"): _A(0.0, 35, 0.6, 0.6, 0.6, fat["ham"]),
        ("gluteus_medius", "any"): _A(0.05, 8, 0.6, 0.6, 0.6, fat["gmed"]),
    }
    length = (lower_on + lower_dur + 2.5) - start
    return _Plan(cue, float(np.ceil(length)), [_Phase("hold", m0, lower_on, t)],
                 [(m0, lift_dur, 30.0, "lift"), (lower_on, lower_dur, -30.0, "lower")],
                 posture_deg=-30.0)


# --------------------------------------------------------------------------- lift
_LIFT_MUSCLES = ("longissimus", "iliocostalis", "multifidus", "gluteus_maximus",
                 "biceps_femoris", "vastus_lateralis", "rectus_abdominis", "external_oblique")


def _lift_montage() -> Montage:
    return make_montage([f"{s} {m}" for m in _LIFT_MUSCLES for s in ("left", "right")],
                        name="lift-16",
                        description="16 channels (Cyton+Daisy) for lifting: back extensors, "
                                    "gluteus maximus, hamstrings, vastus lateralis and the "
                                    "abdominal wall, both sides.")


def _lift_table(variant: str) -> dict[str, tuple[float, float]]:
    if variant == "back-dominant":
        return {"longissimus": (0.0, 65), "iliocostalis": (0.0, 60), "multifidus": (0.0, 60),
                "biceps_femoris": (0.06, 40), "semitendinosus": (0.06, 40),
                "gluteus_maximus": (0.10, 10), "gluteus_medius": (0.10, 8),
                "vastus_lateralis": (0.10, 15), "vastus_medialis": (0.10, 15),
                "rectus_femoris": (0.10, 8), "rectus_abdominis": (0.05, 5),
                "external_oblique": (0.05, 8), "internal_oblique": (0.05, 8)}
    return {"vastus_lateralis": (0.0, 45), "vastus_medialis": (0.0, 45),
            "rectus_femoris": (0.01, 20), "gluteus_maximus": (0.04, 35),
            "gluteus_medius": (0.05, 15), "biceps_femoris": (0.06, 25),
            "semitendinosus": (0.06, 25), "longissimus": (0.12, 30),
            "iliocostalis": (0.12, 28), "multifidus": (0.12, 30),
            "rectus_abdominis": (0.02, 6), "external_oblique": (0.03, 10),
            "internal_oblique": (0.03, 10)}


def _lift_plan(variant: str, rng: np.random.Generator, start: float) -> _Plan:
    posture = 20.0 if variant == "back-dominant" else 45.0  # trunk angle in the squat
    table = _lift_table(variant)
    cue = start + 1.0
    a0 = cue + 0.35 + _cn(rng, 0.06)
    up_on = a0 + 0.08 + _cn(rng, 0.01)
    up_dur = 1.2 + _cn(rng, 0.1)
    down_on = up_on + up_dur + 1.5 + _cn(rng, 0.2)
    down_dur = 1.5 + _cn(rng, 0.1)
    lift = {(m, "any"): _A(lat, amp, 0.15, 0.10, 0.30) for m, (lat, amp) in table.items()}
    lower = {(m, "any"): _A(-0.10, 0.6 * amp, 0.10, 0.20, 0.20)
             for m, (lat, amp) in table.items()}
    return _Plan(cue, 8.0,
                 [_Phase("lift", a0, up_on + up_dur, lift),
                  _Phase("lower", down_on, down_on + down_dur, lower)],
                 [(up_on, up_dur, 90.0 - posture, "lift"),
                  (down_on, down_dur, posture - 90.0, "lower")], posture_deg=posture)


def _lift_order(variant: str) -> list[list[tuple[str, str]]]:
    hip_knee = [(m, "any") for m in ("vastus_lateralis", "vastus_medialis", "gluteus_maximus")]
    es = [(m, "any") for m in _ES]
    return [es, hip_knee] if variant == "back-dominant" else [hip_knee, es]


# ----------------------------------------------------------------------- registry
_V = _Variant

_REGISTRY: dict[str, _Protocol] = {p.id: p for p in (
    _Protocol(
        "prone-hip-extension", "Prone hip extension (right leg)",
        "Lying prone, the subject lifts the straight right leg about 10 cm (12 deg) at a "
        "cue, holds it ~2 s and lowers it.  Sensor of the accelerometer on the distal "
        "right thigh.",
        {"typical": _V(
            "healthy order: hamstrings, gluteus maximus (+60 ms), contralateral then "
            "ipsilateral erector spinae (+120, +180 ms)",
            "Janda's recruitment order as reported by Pierce & Lee (1990) and "
                    "Sakamoto et al. (2009): ipsilateral hamstrings, then gluteus maximus "
                    "(+60 ms), contralateral erector spinae (+120 ms), ipsilateral erector "
                    "spinae (+180 ms).  Note that other studies (Lehman et al. 2004; Bruno "
                    "& Bagust 2007) found this order inconsistent in healthy people."),
         "delayed-gluteus": _V(
            "gluteus maximus late (+260 ms, after both erector spinae) and weak (15 %MVC)",
            "Gluteus maximus late (+260 ms, after both erector spinae) "
                            "and weaker (15 instead of 25 %MVC)."),
         "reversed": _V(
            "reversed order: erector spinae first, then gluteus maximus and hamstrings",
            "Erector spinae first (ipsilateral, then contralateral +60 ms), then "
                     "gluteus maximus (+120 ms) and hamstrings (+180 ms): the exact "
                     "reverse of the typical order.")},
        lambda: _named("cyton-low-back-8"), True, 5, 0.05, 0.010, 0.35, _phe_plan, _phe_order),
    _Protocol(
        "flexion-relaxation", "Flexion-relaxation (standing trunk flexion)",
        "From standing the subject bends forward over ~3 s to full flexion (80 deg), "
        "stays ~3 s, and returns over ~3 s.  Accelerometer on the upper back.",
        {"typical": _V(
            "flexion-relaxation present: erector spinae silent at full flexion",
            "Erector spinae active during flexion (20 %MVC, eccentric), silent from "
                    "~85 % of the flexion through full flexion (flexion-relaxation "
                    "present; Floyd & Silver 1955; Colloca & Hinrichs 2005), active again "
                    "in extension (30 %MVC).  Hamstrings stay active at full flexion."),
         "absent": _V(
            "flexion-relaxation absent: erector spinae stay active at full flexion "
            "(16 %MVC), as in chronic low back pain",
            "Erector spinae stay active at full flexion (80 % of their flexion "
                   "level, 16 %MVC): flexion-relaxation ratio about 2, as in chronic low "
                   "back pain (Watson et al. 1997; Geisser et al. 2005).")},
        lambda: _named("cyton-low-back-8"), False, 5, 0.08, 0.010, 0.50, _fr_plan),
    _Protocol(
        "arm-raise", "Rapid arm raise (right shoulder flexion to a light)",
        "Standing, the subject raises the right arm to ~70 deg as fast as possible at a "
        "light (random foreperiod), then lowers it.  Accelerometer on the right wrist.",
        {"typical": _V(
            "feedforward trunk control: deep abdominals (IO/TrA) 40 ms before the "
            "anterior deltoid",
            "Feedforward trunk control (Hodges & Richardson 1996, 1997): "
                    "IO/TrA onset 40 ms before the anterior deltoid, multifidus 10 ms "
                    "before, erector spinae 15-20 ms after, rectus abdominis 60 ms after."),
         "delayed-trunk": _V(
            "delayed trunk: deep abdominals 40 ms after the anterior deltoid, as in low "
            "back pain",
            "IO/TrA onset 40 ms after the anterior deltoid (+20 to +60 ms "
                          "over trials), as in people with low back pain (Hodges & "
                          "Richardson 1996).")},
        lambda: _named("cyton-trunk-8"), True, 5, 0.03, 0.008, 0.60, _ar_plan, _ar_order),
    _Protocol(
        "sorensen", "Biering-Sorensen trunk-extensor endurance hold",
        "Prone with the pelvis strapped to the bench, the subject lifts the unsupported "
        "trunk to horizontal and holds it for 60 s.  Accelerometer on the upper back.",
        {"typical": _V(
            "60 s hold, back-extensor median frequency falling 0.25 %/s",
            "Erector spinae and multifidus at 40-45 %MVC, hamstrings 35 %MVC, "
                    "gluteus maximus 15 %MVC; median frequency of the back extensors "
                    "declining by 0.25 % of its initial value per second (hamstrings "
                    "0.15, gluteus maximus 0.10 %/s)."),
         "fast-fatigue": _V(
            "60 s hold, back extensors fatiguing fast: median frequency falling 0.60 %/s",
            "Same activation, back-extensor median frequency declining by "
                         "0.60 %/s (hamstrings 0.25, gluteus maximus 0.15 %/s).")},
        lambda: _named("cyton-low-back-8"), False, 1, 0.08, 0.010, 0.50, _sor_plan),
    _Protocol(
        "lift", "Lifting a box from the floor",
        "From a squat holding a box the subject lifts it to standing over ~1.2 s, holds "
        "~1.5 s and lowers it over ~1.5 s.  Accelerometer on the upper back.",
        {"typical": _V(
            "squat lift: knee and hip extensors lead, erector spinae follow (+120 ms) "
            "at 30 %MVC",
            "Squat lift: knee and hip extensors lead (vastus lateralis 45 %MVC, "
                    "gluteus maximus +40 ms, 35 %MVC), erector spinae follow (+120 ms) at "
                    "a moderate 30 %MVC; trunk inclined 45 deg at the start."),
         "back-dominant": _V(
            "back-dominant (stoop-like) lift: erector spinae lead at 60-65 %MVC, knee and "
            "hip extensors late",
            "Back-dominant (stoop-like) lift: erector spinae lead at "
                          "60-65 %MVC, hamstrings 40 %MVC, gluteus maximus (10 %MVC) and "
                          "vastus lateralis (15 %MVC) late (+100 ms); trunk inclined 20 deg "
                          "at the start.")},
        _lift_montage, False, 5, 0.06, 0.010, 0.50, _lift_plan, _lift_order),
)}


def _named(preset: str) -> Montage:
    from ..montage import get_preset

    return get_preset(preset)


PROTOCOLS: tuple[str, ...] = tuple(_REGISTRY)
"""Protocol ids accepted by :func:`simulate`."""


def _get(protocol: Any) -> _Protocol:
    if protocol not in _REGISTRY:
        close = difflib.get_close_matches(str(protocol), PROTOCOLS, n=2)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValidationError(
            f"unknown protocol {protocol!r}{hint} (protocols: {', '.join(PROTOCOLS)})")
    return _REGISTRY[protocol]


def _check_variant(proto: _Protocol, variant: Any) -> str:
    if variant not in proto.variants:
        raise ValidationError(
            f"unknown variant {variant!r} of protocol {proto.id!r} (variants: "
            f"{', '.join(proto.variants)})")
    return str(variant)


def list_variants(protocol: str) -> list[str]:
    """Variants of a protocol, ``"typical"`` first.

    Raises
    ------
    ValidationError
        If the protocol is unknown (the message lists :data:`PROTOCOLS`).
    """
    return list(_get(protocol).variants)


def variant_summaries(protocol: str) -> dict[str, str]:
    """What each variant of a protocol simulates, in one line, ``"typical"`` first.

    Returns
    -------
    dict
        Variant name -> short description (:func:`describe` gives the full one,
        with references).

    Raises
    ------
    ValidationError
        If the protocol is unknown (the message lists :data:`PROTOCOLS`).
    """
    return {name: v.summary for name, v in _get(protocol).variants.items()}


def describe(protocol: str, variant: str | None = None) -> str:
    """Text description of a protocol (and of one variant, or all), with references."""
    proto = _get(protocol)
    lines = [f"{proto.title} ({proto.id}): {proto.description}"]
    names = list(proto.variants) if variant is None else [_check_variant(proto, variant)]
    lines += [f"  {v}: {proto.variants[v].description}" for v in names]
    return "\n".join(lines)


def _role(ref: Any, lateral: bool) -> str:
    if not lateral or ref is None:
        return "any"
    return "contra" if ref.side == "left" else "ipsi"


def _lookup(table: Mapping[tuple[str, str], _A], muscle: str, role: str) -> _A | None:
    if (muscle, role) in table:
        return table[(muscle, role)]
    if role != "any":
        return table.get((muscle, "any"))
    return table.get((muscle, "ipsi"))


def simulate(
    protocol: str,
    variant: str = "typical",
    *,
    sfreq: float = 1000.0,
    snr_db: float = 20.0,
    n_trials: int | None = None,
    seed: int | None = 0,
    mains_hz: float | None = 50.0,
    mains_v: float = 20e-6,
    ecg: bool | float | None = None,
    heart_rate_bpm: float = 70.0,
    motion_v: float = 50e-6,
    faults: Mapping[str, str] | None = None,
    mvc: bool = False,
    openbci: bool = False,
    acc: bool = True,
    montage: Montage | Mapping[str, str] | list[str] | str | None = None,
) -> tuple[Recording, GroundTruth]:
    """Simulate a clinical protocol session with known recruitment (ground truth).

    Parameters
    ----------
    protocol : str
        One of :data:`PROTOCOLS`: ``"prone-hip-extension"``, ``"flexion-relaxation"``,
        ``"arm-raise"``, ``"sorensen"``, ``"lift"`` (see :func:`describe`).
    variant : str
        ``"typical"`` (healthy recruitment) or a fault variant
        (:func:`list_variants`).
    sfreq : float
        Sampling rate, 125-4000 Hz.  The EMG spectrum is generated at this rate (up
        to Nyquist, no aliasing).
    snr_db : float
        Per-channel signal-to-noise ratio in dB:
        ``20 * log10(A_ref / sigma)`` with ``A_ref`` the RMS of the channel's EMG at
        its burst plateaus (quadratic mean of the task bursts' ``amplitude_v``; 10 %
        of its MVC RMS for a channel without task bursts) and ``sigma`` the RMS of its
        white baseline noise.  ECG, mains, motion and faults come on top.
    n_trials : int, optional
        Repetitions (default 5; 1 for ``sorensen``).
    seed : int or None
        Random seed (bit-identical output for the same seed and arguments).
    mains_hz : {50, 60} or None
        Mains interference frequency (None: none).
    mains_v : float
        Peak amplitude of the mains fundamental per channel (x 0.5-1.5), V.
    ecg : bool, float or None
        ECG contamination (None: on).  A number scales the R-wave amplitudes.
    heart_rate_bpm : float
        Mean heart rate.
    motion_v : float
        Peak amplitude of motion artefacts at movement onsets, V (0: none).
    faults : mapping, optional
        Channel name -> ``"railed"``, ``"flat"``, ``"disconnected"`` or
        ``"intermittent"``.
    mvc : bool
        Start with an MVC block: each muscle (both sides together) contracts at
        100 %MVC, 0.5 s ramps around a 3 s plateau, 2.5 s rest; events ``"mvc"``
        mark the plateaus.
    openbci : bool
        OpenBCI Cyton front end: DC offset, rails, 24-bit quantisation, 25 Hz
        accelerometer.
    acc : bool
        Add the three accelerometer channels.
    montage : optional
        Montage to record with (preset name, Montage, mapping or muscle list); the
        protocol's default otherwise.  Muscles the protocol does not use stay silent.

    Returns
    -------
    rec : Recording
        EMG (V) and accelerometer (g) channels; events ``"trial"`` (onset, duration),
        ``"cue"`` and ``"mvc"``; ``meta["simulated"] = True`` with protocol, variant
        and seed.
    truth : GroundTruth
        Onsets, offsets, amplitudes, firing order, movement onsets, R peaks, MDF
        slopes, faults... (see :class:`GroundTruth`).

    Raises
    ------
    ValidationError
        For an unknown protocol or variant (the message lists the valid names) or an
        argument out of range.

    Examples
    --------
    >>> from emgcontrol.simulate import simulate
    >>> rec, truth = simulate("prone-hip-extension", "reversed", sfreq=250, seed=1)
    >>> truth.firing_order[0]
    ('LT R', 'MF R')
    """
    proto = _get(protocol)
    variant = _check_variant(proto, variant)
    check_sfreq_range(sfreq)
    check_snr(snr_db)
    seed = resolve_seed(seed)
    if n_trials is None:
        n_trials = proto.n_trials
    if isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)) \
            or not 1 <= n_trials <= 100:
        raise ValidationError(f"n_trials must be an integer from 1 to 100; got {n_trials!r}")
    for name, flag in (("mvc", mvc), ("openbci", openbci), ("acc", acc)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValidationError(f"{name} must be True or False; got {flag!r}")
    mont = proto.montage() if montage is None else as_montage(montage)
    names = mont.ch_names
    refs = mont.muscles

    bursts: list[Burst] = []
    events: list[Event] = []
    movements: list[Movement] = []
    trials: list[dict[str, Any]] = []
    t = 2.0
    if mvc:
        seen: list[str] = []
        for ref in refs:
            if ref is not None and ref.muscle not in seen:
                seen.append(ref.muscle)
        for muscle in seen:
            for ch, ref in zip(names, refs):
                if ref is not None and ref.muscle == muscle:
                    bursts.append(Burst(ch, t, t + 4.0, 100.0, 0.5, 0.5, -1, "mvc"))
            events.append(Event(t + 0.5, 3.0, "mvc"))
            t += 6.5
        t += 1.0
    roles = [_role(ref, proto.lateral) for ref in refs]
    posture = 0.0
    for k in range(int(n_trials)):
        rng = stream(seed, "trials", k)
        plan = proto.plan(variant, rng, t)
        posture = plan.posture_deg
        events += [Event(t, plan.length, "trial"), Event(plan.cue, 0.0, "cue")]
        trials.append({"trial": k, "onset": t, "duration": plan.length, "cue": plan.cue})
        for onset, dur, delta, phase in plan.movements:
            movements.append(Movement(onset, dur, delta, k, phase))
        for ph in plan.phases:
            for ch, ref, role in zip(names, refs, roles):
                if ref is None:
                    continue
                spec = _lookup(ph.table, ref.muscle, role)
                if spec is None:
                    continue
                onset = ph.start + spec.lat + _cn(rng, proto.lat_sd)
                offset = ph.end + spec.end + _cn(rng, 0.03)
                offset = max(offset, onset + spec.ramp_on + spec.ramp_off + 0.02)
                amp = spec.amp * float(np.exp(_cn(rng, 0.10)))
                bursts.append(Burst(ch, onset, offset, amp, spec.ramp_on, spec.ramp_off,
                                    k, ph.name, spec.fatigue))
        t += plan.length
    duration = t + 1.0

    order = []
    for group in proto.order(variant):
        chans = tuple(ch for ch, ref, role in zip(names, refs, roles)
                      if ref is not None and (ref.muscle, role) in group)
        if chans:
            order.append(chans)
    return simulate_custom(
        mont, bursts, duration, sfreq=sfreq, snr_db=snr_db, seed=seed, movements=movements,
        posture_deg=posture, acc_radius_m=proto.acc_radius_m, acc=acc, mains_hz=mains_hz,
        mains_v=mains_v, ecg=True if ecg is None else ecg, heart_rate_bpm=heart_rate_bpm,
        motion_v=motion_v, faults=faults, openbci=openbci, events=events,
        firing_order=order, trials=trials, protocol=proto.id, variant=variant,
        meta={"n_trials": int(n_trials), "mvc_block": bool(mvc)})
