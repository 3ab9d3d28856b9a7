"""Muscle vocabulary, parsing and presets."""

import pytest

import emgcontrol as ec
from emgcontrol import montage

REQUIRED = ["longissimus", "iliocostalis", "multifidus", "gluteus_maximus", "gluteus_medius",
            "biceps_femoris", "semitendinosus", "rectus_abdominis", "external_oblique",
            "internal_oblique", "anterior_deltoid", "rectus_femoris", "vastus_lateralis",
            "vastus_medialis", "tibialis_anterior", "gastrocnemius_medialis"]


def test_vocabulary_covers_the_field():
    for mid in REQUIRED:
        m = montage.MUSCLES[mid]
        assert len(m.placement) > 40, mid


@pytest.mark.parametrize("text, muscle, side", [
    ("gluteus_maximus", "gluteus_maximus", None),
    ("left gluteus maximus", "gluteus_maximus", "left"),
    ("GMax R", "gluteus_maximus", "right"),
    ("multifidus_l", "multifidus", "left"),
    ("R-ES", "longissimus", "right"),
    ("IO/TrA", "internal_oblique", None),
    ("Right Anterior Deltoid", "anterior_deltoid", "right"),
])
def test_parse_muscle(text, muscle, side):
    assert ec.parse_muscle(text) == ec.MuscleRef(muscle, side)


def test_unknown_muscle_lists_close_matches():
    with pytest.raises(ec.UnknownMuscleError, match="did you mean 'semitendinosus'"):
        ec.parse_muscle("semitendinosis")
    with pytest.raises(ec.UnknownMuscleError, match="known muscles"):
        ec.parse_muscle("zzzz")


def test_conflicting_side_is_an_error():
    with pytest.raises(ec.ValidationError, match="names side 'left'"):
        ec.parse_muscle("left multifidus", side="right")


def test_presets_fit_their_boards():
    assert len(ec.get_preset("cyton-low-back-8")) == 8
    assert len(ec.get_preset("cyton-daisy-low-back-16")) == 16
    for name in montage.PRESETS:
        m = ec.get_preset(name)
        assert len(set(m.ch_names)) == len(m)
    with pytest.raises(ec.ValidationError, match="did you mean"):
        ec.get_preset("cyton-low-back")


# muscles of SENIAM and of gait / lower-limb / trunk data sets, as clinicians write them
ABBREVIATIONS = {
    "TFL": "tensor_fasciae_latae", "PL": "peroneus_longus", "PB": "peroneus_brevis",
    "SOL": "soleus", "GL": "gastrocnemius_lateralis", "GM": "gastrocnemius_medialis",
    "LG": "gastrocnemius_lateralis", "MG": "gastrocnemius_medialis",
    "VL": "vastus_lateralis", "VM": "vastus_medialis", "RF": "rectus_femoris",
    "BF": "biceps_femoris", "ST": "semitendinosus", "SM": "semimembranosus",
    "TA": "tibialis_anterior", "AL": "adductor_longus", "GMax": "gluteus_maximus",
    "GMed": "gluteus_medius", "LD": "latissimus_dorsi", "QL": "quadratus_lumborum",
    "UT": "upper_trapezius", "MT": "middle_trapezius", "LTr": "lower_trapezius",
    "AD": "anterior_deltoid", "MD": "middle_deltoid", "PD": "posterior_deltoid",
    "BB": "biceps_brachii", "TB": "triceps_brachii", "ES": "longissimus", "MF": "multifidus",
}
NAMES = {
    "tensor fasciae latae": "tensor_fasciae_latae", "peroneus longus": "peroneus_longus",
    "fibularis longus": "peroneus_longus", "soleus": "soleus",
    "gastrocnemius lateralis": "gastrocnemius_lateralis",
    "latissimus dorsi": "latissimus_dorsi", "upper trapezius": "upper_trapezius",
    "thoracic erector spinae": "thoracic_erector_spinae", "adductor magnus": "adductor_magnus",
    "semimembranosus": "semimembranosus", "biceps brachii": "biceps_brachii",
}
SENIAM = ["longissimus", "iliocostalis", "multifidus", "gluteus_maximus", "gluteus_medius",
          "tensor_fasciae_latae", "biceps_femoris", "semitendinosus", "rectus_femoris",
          "vastus_lateralis", "vastus_medialis", "tibialis_anterior", "peroneus_longus",
          "peroneus_brevis", "soleus", "gastrocnemius_medialis", "gastrocnemius_lateralis",
          "anterior_deltoid", "middle_deltoid", "posterior_deltoid", "upper_trapezius",
          "middle_trapezius", "lower_trapezius", "biceps_brachii", "triceps_brachii",
          "triceps_brachii_lateral"]


@pytest.mark.parametrize("text, muscle", sorted({**ABBREVIATIONS, **NAMES}.items()))
def test_clinical_abbreviations_and_names(text, muscle):
    assert ec.parse_muscle(text) == ec.MuscleRef(muscle, None)
    assert ec.parse_muscle(f"left {text}") == ec.MuscleRef(muscle, "left")
    assert ec.parse_muscle(f"{text} R") == ec.MuscleRef(muscle, "right")


def test_seniam_list_is_covered_with_placements():
    for mid in SENIAM:
        m = montage.MUSCLES[mid]
        assert "SENIAM" in m.placement, mid
    groups = {m.group for m in montage.MUSCLES.values()}
    assert groups <= {"back", "hip", "thigh", "abdominal", "shoulder", "leg", "arm", "chest"}


def test_no_name_or_abbreviation_means_two_muscles():
    owners: dict[str, set[str]] = {}
    for m in montage.MUSCLES.values():
        for key in (m.id, m.name, m.abbreviation, *m.aliases):
            owners.setdefault(montage._norm(key), set()).add(m.id)
    clashes = {k: v for k, v in owners.items() if len(v) > 1}
    assert clashes == {}


def test_unknown_lower_limb_names_still_suggest():
    with pytest.raises(ec.UnknownMuscleError, match="did you mean 'soleus'"):
        ec.parse_muscle("soleous")
    with pytest.raises(ec.UnknownMuscleError, match="'peroneus_longus'"):
        ec.parse_muscle("peroneus longis")
    with pytest.raises(ec.UnknownMuscleError, match="'tensor_fasciae_latae'"):
        ec.parse_muscle("tensor fascia lata muscle")
