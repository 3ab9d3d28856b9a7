"""Muscle vocabulary and channel -> muscle montages.

A muscle is named by a canonical id (``"gluteus_maximus"``) and a side
(``"left"``, ``"right"`` or ``None`` for midline or unknown).  Users may write
muscles the way clinicians do: ``"left gluteus maximus"``, ``"R GMax"``,
``"multifidus_l"``, ``"ES-L L"``; :func:`parse_muscle` turns any of these into a
:class:`MuscleRef`.  Unknown names raise :class:`~emgcontrol.errors.UnknownMuscleError`
listing the closest known names.

Placement texts follow SENIAM recommendations (Hermens et al. 2000) where SENIAM
covers the muscle, and the trunk-muscle literature otherwise (De Foa et al. 1989,
Ng et al. 1998, McGill 1991, Marshall & Murphy 2003).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .errors import UnknownMuscleError, ValidationError

__all__ = [
    "Muscle",
    "MuscleRef",
    "Montage",
    "MUSCLES",
    "PRESETS",
    "parse_muscle",
    "get_muscle",
    "list_muscles",
    "make_montage",
    "get_preset",
    "as_montage",
]

SIDES = ("left", "right")


@dataclass(frozen=True)
class Muscle:
    """A muscle of the vocabulary.

    Attributes
    ----------
    id : str
        Canonical id, lower case with underscores.
    name : str
        Full anatomical name.
    abbreviation : str
        The usual short label (e.g. ``"GMax"``).
    group : str
        Functional group: ``"back"``, ``"hip"``, ``"thigh"``, ``"abdominal"``,
        ``"shoulder"``, ``"leg"``.
    placement : str
        Electrode placement (SENIAM-style: location, orientation, reference).
    aliases : tuple of str
        Other accepted names (compared case- and separator-insensitively).
    """

    id: str
    name: str
    abbreviation: str
    group: str
    placement: str
    aliases: tuple[str, ...] = ()


def _m(id: str, name: str, abbr: str, group: str, placement: str, *aliases: str) -> Muscle:
    return Muscle(id, name, abbr, group, placement, tuple(aliases))


_VOCABULARY: tuple[Muscle, ...] = (
    _m("longissimus", "Lumbar erector spinae, longissimus (pars thoracis)", "LT", "back",
       "Two finger widths lateral to the L1 spinous process, electrodes vertical "
       "(SENIAM); reference over a bony prominence (iliac crest or C7).",
       "erector spinae longissimus", "lumbar erector spinae", "erector spinae", "es",
       "les", "esl", "longissimus thoracis", "lt", "lumbar es"),
    _m("iliocostalis", "Lumbar erector spinae, iliocostalis (lumborum)", "IL", "back",
       "One finger width medial to the line from the posterior superior iliac spine to "
       "the lowest point of the lower rib, at the level of L2; electrodes along that "
       "line (SENIAM).", "iliocostalis lumborum", "erector spinae iliocostalis", "il",
       "ilc"),
    _m("multifidus", "Lumbar multifidus", "MF", "back",
       "At the level of L5, on a line from the caudal tip of the posterior superior iliac "
       "spine to the L1-L2 interspace, about 2-3 cm from the midline; electrodes along "
       "that line (SENIAM; De Foa et al. 1989).", "lumbar multifidus", "mf", "lm",
       "multifidi"),
    _m("gluteus_maximus", "Gluteus maximus", "GMax", "hip",
       "At half the distance between the sacral vertebrae and the greater trochanter, on "
       "the greatest prominence of the buttock; electrodes in the direction of the line "
       "from the posterior superior iliac spine to the middle of the posterior thigh "
       "(SENIAM).", "gmax", "glute max", "gluteus max", "glut max"),
    _m("gluteus_medius", "Gluteus medius", "GMed", "hip",
       "At 50 % on the line from the iliac crest to the greater trochanter; electrodes "
       "along that line (SENIAM).", "gmed", "glute med", "gluteus med"),
    _m("biceps_femoris", "Biceps femoris (long head)", "BF", "thigh",
       "At 50 % on the line between the ischial tuberosity and the lateral epicondyle of "
       "the tibia; electrodes along that line (SENIAM).", "bf", "lateral hamstring",
       "biceps femoris long head", "hamstring", "hamstrings"),
    _m("semitendinosus", "Semitendinosus", "ST", "thigh",
       "At 50 % on the line between the ischial tuberosity and the medial epicondyle of "
       "the tibia; electrodes along that line (SENIAM).", "st", "medial hamstring"),
    _m("rectus_abdominis", "Rectus abdominis", "RA", "abdominal",
       "About 3 cm lateral to the umbilicus, electrodes vertical, over the muscle belly "
       "(Ng et al. 1998).", "ra", "rectus abdominus"),
    _m("external_oblique", "External oblique", "EO", "abdominal",
       "About 15 cm lateral to the umbilicus, just below the rib cage, electrodes "
       "oriented along the fibres, roughly 45 degrees from vertical (McGill 1991; "
       "Ng et al. 1998).", "eo", "obliquus externus", "external obliques"),
    _m("internal_oblique", "Internal oblique / transversus abdominis", "IO/TrA", "abdominal",
       "About 2 cm medial and inferior to the anterior superior iliac spine, electrodes "
       "horizontal; the signal mixes internal oblique and transversus abdominis "
       "(Marshall & Murphy 2003).", "io", "tra", "io tra", "iotra", "transversus abdominis",
       "internal oblique transversus abdominis", "obliquus internus", "ta abdominis"),
    _m("anterior_deltoid", "Deltoid, anterior part", "AD", "shoulder",
       "One finger width distal and anterior to the acromion, electrodes along the line "
       "from the acromion to the thumb (SENIAM).", "ad", "deltoid anterior",
       "anterior deltoid", "deltoideus anterior", "adelt"),
    _m("rectus_femoris", "Rectus femoris", "RF", "thigh",
       "At 50 % on the line from the anterior superior iliac spine to the superior part "
       "of the patella; electrodes along that line (SENIAM).", "rf"),
    _m("vastus_lateralis", "Vastus lateralis", "VL", "thigh",
       "At 2/3 on the line from the anterior superior iliac spine to the lateral side of "
       "the patella; electrodes in the direction of the muscle fibres (SENIAM).", "vl"),
    _m("vastus_medialis", "Vastus medialis", "VM", "thigh",
       "At 80 % on the line between the anterior superior iliac spine and the joint space "
       "in front of the anterior border of the medial ligament; electrodes almost "
       "perpendicular to that line (SENIAM).", "vm", "vmo"),
    _m("tibialis_anterior", "Tibialis anterior", "TA", "leg",
       "At 1/3 on the line between the tip of the fibula and the tip of the medial "
       "malleolus; electrodes along that line (SENIAM).", "ta", "tib ant"),
    _m("gastrocnemius_medialis", "Gastrocnemius, medial head", "GM", "leg",
       "On the most prominent bulge of the medial head; electrodes along the leg "
       "(SENIAM).", "gastrocnemius", "gastrocnemius medial", "mg", "gastroc",
       "medial gastrocnemius", "gas"),
    _m("gastrocnemius_lateralis", "Gastrocnemius, lateral head", "GL", "leg",
       "At 1/3 of the line between the head of the fibula and the heel; electrodes along "
       "the leg (SENIAM).", "gastrocnemius lateral", "lg", "lateral gastrocnemius",
       "gastrocnemius lateralis", "lat gastroc"),
    # ---- lower limb (SENIAM) and muscles common in gait and lower-limb data sets
    _m("soleus", "Soleus", "SOL", "leg",
       "At 2/3 of the line between the medial condyle of the femur and the medial "
       "malleolus; electrodes along that line (SENIAM).", "sol", "so"),
    _m("peroneus_longus", "Peroneus (fibularis) longus", "PL", "leg",
       "At 25 % on the line between the tip of the head of the fibula and the tip of the "
       "lateral malleolus; electrodes along that line (SENIAM).", "pl", "fibularis longus",
       "peroneus longus", "peroneal", "peroneals", "per long"),
    _m("peroneus_brevis", "Peroneus (fibularis) brevis", "PB", "leg",
       "At 25 % on the line from the tip of the lateral malleolus to the head of the "
       "fibula, anterior to the tendon of peroneus longus; electrodes along that line "
       "(SENIAM).", "pb", "fibularis brevis", "per brev"),
    _m("tensor_fasciae_latae", "Tensor fasciae latae", "TFL", "hip",
       "In the proximal 1/6 of the line from the anterior superior iliac spine to the "
       "lateral femoral condyle; electrodes along that line (SENIAM).", "tfl",
       "tensor fascia latae", "tensor fasciae lata", "tensor fascia lata"),
    _m("semimembranosus", "Semimembranosus", "SM", "thigh",
       "Over the medial hamstrings at 50 % of the line between the ischial tuberosity and "
       "the medial epicondyle of the tibia, medial to semitendinosus; surface electrodes "
       "record both medial hamstrings (SENIAM places them for semitendinosus).", "sm",
       "semimembranous"),
    _m("adductor_longus", "Adductor longus", "AL", "thigh",
       "On the medial thigh over the belly palpated about 4 cm distal to the pubic "
       "tubercle during resisted adduction; electrodes along the muscle towards the "
       "middle of the medial femur (gait literature; not in SENIAM).", "al",
       "adductors", "adductor", "hip adductors"),
    _m("adductor_magnus", "Adductor magnus", "AM", "thigh",
       "On the posteromedial thigh at about half the distance from the ischial tuberosity "
       "to the medial femoral epicondyle, medial to the hamstrings; electrodes along the "
       "thigh (gait literature; not in SENIAM).", "am", "add mag"),
    _m("gracilis", "Gracilis", "GR", "thigh",
       "On the medial thigh at about half the distance from the pubic symphysis to the "
       "medial knee, over the thin belly felt during resisted knee flexion and "
       "adduction; electrodes along the thigh (literature; not in SENIAM).", "gr", "gra"),
    _m("sartorius", "Sartorius", "SAR", "thigh",
       "About 5 cm distal and medial to the anterior superior iliac spine, over the belly "
       "felt during resisted hip flexion with external rotation; electrodes along the "
       "muscle (literature; not in SENIAM).", "sar", "sa thigh"),
    _m("vastus_intermedius", "Vastus intermedius", "VI", "thigh",
       "Not reachable under rectus femoris; surface studies place electrodes on the "
       "lateral thigh at about 1/3 of the line from the patella to the greater "
       "trochanter, lateral to rectus femoris (literature; not in SENIAM).", "vi"),
    _m("tibialis_posterior", "Tibialis posterior", "TP", "leg",
       "Deep: needle or fine-wire electrodes; surface electrodes on the medial calf, "
       "posterior to the tibia at mid-leg, mostly record soleus and flexor digitorum "
       "longus (literature).", "tp", "tib post"),
    _m("extensor_digitorum_longus", "Extensor digitorum longus", "EDL", "leg",
       "Lateral to tibialis anterior at about 1/3 to 1/2 of the line from the head of the "
       "fibula to the ankle; electrodes along the leg (literature; not in SENIAM).",
       "edl"),
    _m("iliopsoas", "Iliopsoas (iliacus)", "IP", "hip",
       "Mostly deep: surface electrodes just below the inguinal ligament, lateral to the "
       "femoral artery and medial to sartorius, pick up iliacus with cross-talk from "
       "sartorius and rectus femoris (literature).", "ip", "iliacus", "psoas", "hip flexor"),
    _m("gluteus_minimus", "Gluteus minimus", "GMin", "hip",
       "Deep to gluteus medius: fine-wire electrodes; surface electrodes over the anterior "
       "gluteal region between the iliac crest and the greater trochanter record it "
       "with gluteus medius (literature).", "gmin", "glute min", "gluteus min"),
    # ---- trunk
    _m("thoracic_erector_spinae", "Thoracic erector spinae (longissimus at T9)", "TES",
       "back",
       "About 5 cm lateral to the T9 spinous process, electrodes vertical (trunk "
       "literature, e.g. McGill; not in SENIAM).", "tes", "thoracic es",
       "thoracic erector spinae", "erector spinae t9", "longissimus t9"),
    _m("quadratus_lumborum", "Quadratus lumborum", "QL", "back",
       "Mostly deep: surface electrodes just above the iliac crest, lateral to the erector "
       "spinae (about 8-10 cm from the midline at L3-L4), record it with cross-talk from "
       "the obliques and erector spinae (literature).", "ql"),
    _m("latissimus_dorsi", "Latissimus dorsi", "LD", "back",
       "About 4 cm below the inferior angle of the scapula, half way between the spine "
       "and the lateral edge of the torso; electrodes oblique, about 25 degrees from "
       "horizontal, along the fibres (literature; not in SENIAM).", "ld", "lats", "lat",
       "latissimus"),
    # ---- shoulder and arm (SENIAM)
    _m("middle_deltoid", "Deltoid, middle part", "MD", "shoulder",
       "From the acromion to the lateral epicondyle of the elbow, over the greatest "
       "bulge of the muscle; electrodes along that line (SENIAM).", "md", "deltoid medius",
       "medial deltoid", "lateral deltoid", "deltoideus medius", "mdelt"),
    _m("posterior_deltoid", "Deltoid, posterior part", "PD", "shoulder",
       "About two finger widths behind the angle of the acromion; electrodes along the "
       "line between the acromion and the little finger (SENIAM).", "pd",
       "deltoid posterior", "deltoideus posterior", "pdelt"),
    _m("upper_trapezius", "Trapezius, descending (upper) part", "UT", "shoulder",
       "At 50 % on the line from the acromion to the spine of the C7 vertebra; "
       "electrodes along that line (SENIAM).", "ut", "upper trap", "trapezius upper",
       "trapezius descendens", "trapezius", "trap"),
    _m("middle_trapezius", "Trapezius, transverse (middle) part", "MT", "shoulder",
       "At 50 % between the medial border of the scapula and the spine at the level of "
       "T3; electrodes along that line (SENIAM).", "mt", "middle trap",
       "trapezius middle", "trapezius transversalis"),
    _m("lower_trapezius", "Trapezius, ascending (lower) part", "LTr", "shoulder",
       "At 2/3 of the line from the trigonum spinae of the scapula to the T8 spinous "
       "process; electrodes along that line (SENIAM).", "ltr", "lower trap",
       "trapezius lower", "trapezius ascendens"),
    _m("serratus_anterior", "Serratus anterior", "SA", "shoulder",
       "Below the axilla at the level of the inferior angle of the scapula, anterior to "
       "latissimus dorsi, over ribs 6-8; electrodes along the ribs (literature; not in "
       "SENIAM).", "sa", "serratus"),
    _m("pectoralis_major", "Pectoralis major", "PM", "chest",
       "On the chest wall about 2 cm medial to the anterior axillary fold, over the "
       "sternocostal part; electrodes horizontal, along the fibres (literature; not in "
       "SENIAM).", "pm", "pec major", "pectoralis", "pecs"),
    _m("biceps_brachii", "Biceps brachii", "BB", "arm",
       "On the line between the medial acromion and the fossa cubiti at 1/3 from the "
       "fossa cubiti; electrodes along that line (SENIAM).", "bb", "biceps",
       "biceps brachii"),
    _m("triceps_brachii", "Triceps brachii, long head", "TB", "arm",
       "At 50 % on the line between the posterior crest of the acromion and the "
       "olecranon, two finger widths medial to that line; electrodes along it (SENIAM).",
       "tb", "triceps", "triceps long head", "tbl"),
    _m("triceps_brachii_lateral", "Triceps brachii, lateral head", "TBlat", "arm",
       "At 50 % on the line between the posterior crest of the acromion and the "
       "olecranon, two finger widths lateral to that line; electrodes along it (SENIAM).",
       "triceps lateral head", "tblat"),
)

MUSCLES: Mapping[str, Muscle] = {m.id: m for m in _VOCABULARY}
"""The muscle vocabulary, by canonical id."""


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-./]+", " ", text.strip().lower()).strip()


_LOOKUP: dict[str, str] = {}
for _mus in _VOCABULARY:
    for _key in (_mus.id, _mus.name, _mus.abbreviation, *_mus.aliases):
        _LOOKUP.setdefault(_norm(_key), _mus.id)

_SIDE_TOKENS = {"l": "left", "left": "left", "lt": None, "r": "right", "right": "right",
                "rt": "right"}
# "lt" is also the longissimus abbreviation: only accept it as a side next to a muscle


@dataclass(frozen=True)
class MuscleRef:
    """A muscle on one side of the body.

    Attributes
    ----------
    muscle : str
        Canonical muscle id (a key of :data:`MUSCLES`).
    side : {"left", "right"} or None
        Body side; None for midline or unknown.
    """

    muscle: str
    side: str | None = None

    @property
    def info(self) -> Muscle:
        """The :class:`Muscle` entry of the vocabulary."""
        return MUSCLES[self.muscle]

    @property
    def label(self) -> str:
        """Short label such as ``"GMax R"``."""
        abbr = self.info.abbreviation
        return f"{abbr} {self.side[0].upper()}" if self.side else abbr

    def __str__(self) -> str:
        return f"{self.side} {self.muscle}" if self.side else self.muscle


def list_muscles() -> list[str]:
    """Return the canonical ids of all known muscles."""
    return list(MUSCLES)


def get_muscle(name: str) -> Muscle:
    """Return the :class:`Muscle` for a canonical id, name, abbreviation or alias."""
    return MUSCLES[parse_muscle(name).muscle]


def _unknown(name: str, what: str = "muscle") -> UnknownMuscleError:
    close = difflib.get_close_matches(_norm(name), list(_LOOKUP), n=4, cutoff=0.6)
    ids = list(dict.fromkeys(_LOOKUP[c] for c in close))
    hint = f"; did you mean {', '.join(repr(i) for i in ids)}?" if ids else ""
    return UnknownMuscleError(
        f"unknown {what} {name!r}{hint} (known muscles: {', '.join(MUSCLES)})"
    )


def parse_muscle(spec: str | MuscleRef, side: str | None = None) -> MuscleRef:
    """Parse a muscle written the way people write it.

    Parameters
    ----------
    spec : str or MuscleRef
        For example ``"gluteus_maximus"``, ``"left gluteus maximus"``, ``"GMax R"``,
        ``"multifidus_l"``, ``"R-ES"``.  Side words (``left``/``right``/``L``/``R``) may
        come first or last.
    side : {"left", "right"}, optional
        Side to use when ``spec`` names none.  It is an error to give a side that
        contradicts the one in ``spec``.

    Returns
    -------
    MuscleRef

    Raises
    ------
    UnknownMuscleError
        If the muscle is not in the vocabulary; the message lists close matches.
    """
    if isinstance(spec, MuscleRef):
        ref = spec
    else:
        if not isinstance(spec, str) or not spec.strip():
            raise ValidationError(f"a muscle must be a non-empty string; got {spec!r}")
        norm = _norm(spec)
        parsed: MuscleRef | None = None
        if norm in _LOOKUP:
            parsed = MuscleRef(_LOOKUP[norm], None)
        else:
            tokens = norm.split(" ")
            for pos in (0, -1):
                tok = tokens[pos]
                if tok in _SIDE_TOKENS and len(tokens) > 1:
                    rest = " ".join(tokens[1:] if pos == 0 else tokens[:-1])
                    side_word = _SIDE_TOKENS[tok] or "left"
                    if rest in _LOOKUP:
                        parsed = MuscleRef(_LOOKUP[rest], side_word)
                        break
        if parsed is None:
            raise _unknown(spec)
        ref = parsed
    if side is not None:
        if side not in SIDES:
            raise ValidationError(f"side must be 'left', 'right' or None; got {side!r}")
        if ref.side is not None and ref.side != side:
            raise ValidationError(
                f"muscle {spec!r} names side {ref.side!r} but side={side!r} was given"
            )
        ref = MuscleRef(ref.muscle, side)
    return ref


@dataclass(frozen=True)
class Montage:
    """Channel -> muscle assignment for a recording device.

    Attributes
    ----------
    name : str
        Montage name.
    channels : tuple of (str, MuscleRef)
        Channel name and the muscle under it, in board channel order.
    description : str
        Where and why.
    """

    name: str
    channels: tuple[tuple[str, MuscleRef], ...]
    description: str = ""

    @property
    def ch_names(self) -> list[str]:
        """Channel names in order."""
        return [c for c, _ in self.channels]

    @property
    def muscles(self) -> list[MuscleRef]:
        """Muscles in channel order."""
        return [m for _, m in self.channels]

    def __len__(self) -> int:
        return len(self.channels)

    def to_dict(self) -> dict[str, str]:
        """Channel name -> muscle string (``"left multifidus"``)."""
        return {c: str(m) for c, m in self.channels}


def make_montage(
    spec: Mapping[str, str] | Sequence[str], name: str = "custom", description: str = ""
) -> Montage:
    """Build a :class:`Montage` from ``{channel: muscle}`` or a list of muscles.

    With a list, channels are named after the muscles' short labels.
    """
    if isinstance(spec, Mapping):
        items = [(str(ch), parse_muscle(mus)) for ch, mus in spec.items()]
    elif isinstance(spec, Sequence) and not isinstance(spec, str):
        refs = [parse_muscle(mus) for mus in spec]
        items = [(ref.label, ref) for ref in refs]
    else:
        raise ValidationError(
            f"montage must be a mapping channel -> muscle or a list of muscles; got {spec!r}"
        )
    names = [c for c, _ in items]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValidationError(f"montage has duplicate channel names: {dup}")
    return Montage(name, tuple(items), description)


def _bilateral(muscles: Iterable[str]) -> list[str]:
    return [f"{side} {m}" for m in muscles for side in SIDES]


_PRESET_SPECS: dict[str, tuple[list[str], str]] = {
    "cyton-low-back-8": (
        _bilateral(["longissimus", "multifidus", "gluteus_maximus", "biceps_femoris"]),
        "OpenBCI Cyton, 8 channels: lumbar erector spinae (longissimus), lumbar "
        "multifidus, gluteus maximus and biceps femoris, left and right. Covers prone hip "
        "extension, flexion-relaxation and the Biering-Sorensen hold.",
    ),
    "cyton-trunk-8": (
        _bilateral(["longissimus", "multifidus", "internal_oblique"])
        + ["right rectus_abdominis", "right anterior_deltoid"],
        "OpenBCI Cyton, 8 channels for the rapid arm raise: back extensors and "
        "IO/TrA on both sides, right rectus abdominis and the right anterior deltoid "
        "(the arm that moves).",
    ),
    "cyton-daisy-low-back-16": (
        _bilateral(["longissimus", "iliocostalis", "multifidus", "gluteus_maximus",
                    "gluteus_medius", "biceps_femoris", "semitendinosus"])
        + ["right internal_oblique", "right anterior_deltoid"],
        "OpenBCI Cyton+Daisy, 16 channels: back extensors, hip extensors and abductors "
        "and hamstrings on both sides, right IO/TrA and right anterior deltoid.",
    ),
    "cyton-daisy-trunk-16": (
        _bilateral(["longissimus", "iliocostalis", "multifidus", "rectus_abdominis",
                    "external_oblique", "internal_oblique", "gluteus_maximus"])
        + ["right anterior_deltoid", "left anterior_deltoid"],
        "OpenBCI Cyton+Daisy, 16 channels: the trunk (back and abdominal wall) on both "
        "sides with gluteus maximus and both anterior deltoids.",
    ),
}

PRESETS: tuple[str, ...] = tuple(_PRESET_SPECS)
"""Names of the built-in montages."""


def get_preset(name: str) -> Montage:
    """Return a built-in montage by name (see :data:`PRESETS`)."""
    if name not in _PRESET_SPECS:
        close = difflib.get_close_matches(name, PRESETS, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValidationError(
            f"unknown montage preset {name!r}{hint} (known: {', '.join(PRESETS)})"
        )
    muscles, desc = _PRESET_SPECS[name]
    return make_montage(muscles, name=name, description=desc)


def as_montage(spec: Montage | str | Mapping[str, str] | Sequence[str], *,
               name: str = "montage") -> Montage:
    """A Montage from a Montage, a preset name, a muscle list or ``{channel: muscle}``.

    The one way every layer (simulator, boards, assessment, cohorts) reads a
    montage argument.

    Parameters
    ----------
    spec : Montage, str, mapping or sequence
        A :class:`Montage` (returned as it is); a preset name (:data:`PRESETS`);
        a text with muscles in channel order, ``"left multifidus,right
        multifidus"``, or channel assignments, ``"EXG1=left multifidus,EXG2=..."``
        (as typed on the command line); a mapping channel -> muscle; or a
        sequence of muscles in channel order.
    name : str
        Argument name for the messages (``"montage"``, ``"muscles"``).

    Returns
    -------
    Montage

    Raises
    ------
    ValidationError
        Unknown preset (with close matches), no muscle at all, or a value of
        another type.
    UnknownMuscleError
        A muscle name that is not in the vocabulary.
    """
    if isinstance(spec, Montage):
        return spec
    if isinstance(spec, str):
        s = spec.strip()
        if s in _PRESET_SPECS:
            return get_preset(s)
        if "," in s or "=" in s:
            parts = [x.strip() for x in s.split(",") if x.strip()]
            if parts and all("=" in x for x in parts):
                return make_montage(dict(x.split("=", 1) for x in parts))
            if parts:
                return make_montage(parts)
        return get_preset(s)  # raises with close matches
    if isinstance(spec, (Mapping, Sequence)):
        if len(spec) == 0:
            raise ValidationError(f"{name} must name at least one muscle; got none")
        return make_montage(spec)
    raise ValidationError(
        f"{name} must be a Montage, a preset name, a list of muscles or a mapping "
        f"channel -> muscle; got {type(spec).__name__} {spec!r}"[:300])
