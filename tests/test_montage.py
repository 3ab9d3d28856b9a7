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
