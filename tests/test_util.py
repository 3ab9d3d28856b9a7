"""The shared core helpers (emgcontrol._util, emgcontrol.hardware, montage.as_montage).

Each helper replaced copies in several layers; these tests pin the behaviour the
copies had (and the cases where they disagreed) so the one home keeps it.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from emgcontrol import Montage, ValidationError, hardware
from emgcontrol._util import as_float_2d, as_real_array, as_rows, jsonable, warn, window_samples
from emgcontrol.errors import EmgcontrolWarning, UnknownMuscleError
from emgcontrol.montage import as_montage, get_preset


# ------------------------------------------------------------------------ JSON
def test_jsonable_plain_types_from_numpy_and_containers():
    value = {"a": np.float32(1.5), 2: np.int64(3), "b": (1, np.bool_(True), None),
             "c": np.arange(4).reshape(2, 2), "d": [np.nan, np.inf, -np.inf, 1e-300],
             "e": "text", "f": False, "g": Path("x") / "y.bdf", "h": np.str_("s")}
    out = jsonable(value)
    assert out == {"a": 1.5, "2": 3, "b": [1, True, None], "c": [[0, 1], [2, 3]],
                   "d": [None, None, None, 1e-300], "e": "text", "f": False,
                   "g": str(Path("x") / "y.bdf"), "h": "s"}
    assert type(out["a"]) is float and type(out["2"]) is int and out["b"][1] is True
    json.dumps(out, allow_nan=False)  # strict JSON: no NaN token anywhere


def test_jsonable_nan_like_and_other_objects():
    pd = pytest.importorskip("pandas")
    assert jsonable([pd.NA, pd.NaT, np.datetime64("NaT")]) == [None, None, None]
    assert jsonable(np.float64("nan")) is None
    assert jsonable(np.array([1.0, np.nan])) == [1.0, None]
    assert jsonable(np.bool_(False)) is False  # a bool, not 0.0
    assert jsonable({"nested": {"deep": [np.float16(0.5)]}}) == {"nested": {"deep": [0.5]}}


def test_json_exports_of_every_layer_use_the_one_helper():
    from emgcontrol import metrics, onset, simulate

    rec, truth = simulate.simulate("prone-hip-extension", sfreq=500.0, snr_db=20.0, seed=1,
                                   n_trials=1)
    for d in (truth.to_dict(), onset.detect_onsets(rec).to_dict(),
              metrics.compute_amount(rec).to_dict()):
        json.dumps(d, allow_nan=False)
    import emgcontrol.metrics._common as mc
    import emgcontrol.onset._table as ot
    import emgcontrol.simulate._truth as st

    assert mc.jsonable is jsonable and ot.jsonable is jsonable and st.jsonable is jsonable


# ---------------------------------------------------------------------- arrays
def test_array_coercion_widens_and_refuses_with_the_argument_name():
    x = np.arange(6, dtype=np.int16).reshape(2, 3)
    out = as_float_2d("data", x)
    assert out.dtype == np.float64 and out.flags.c_contiguous and out.shape == (2, 3)
    same = np.zeros((2, 3))
    assert as_float_2d("data", same) is same  # float64 C-contiguous: no copy
    assert as_float_2d("data", [1.0, 2.0]).shape == (1, 2)
    with pytest.raises(ValidationError, match="data must be 2-D"):
        as_float_2d("data", np.zeros((2, 2, 2)))
    with pytest.raises(ValidationError, match="data must hold real numbers"):
        as_float_2d("data", np.ones(3, dtype=complex))
    with pytest.raises(ValidationError, match="x must hold real numbers"):
        as_real_array("x", ["a", "b"])
    with pytest.raises(ValidationError, match="x cannot be converted"):
        as_real_array("x", [[1, 2], [3]])
    rows, shape = as_rows("x", np.ones((2, 3, 5), dtype=np.float32))
    assert rows.shape == (6, 5) and shape == (2, 3, 5) and rows.dtype == np.float64
    with pytest.raises(ValidationError, match="x must have a time axis; got a scalar"):
        as_rows("x", 3.0)


def test_the_layers_keep_their_messages():
    from emgcontrol._validate import as_float_2d as from_validate
    from emgcontrol.signal._common import as_array
    from emgcontrol.signal.ecg import _as_2d

    assert from_validate is as_float_2d and _as_2d is as_rows
    with pytest.raises(ValidationError, match="at least one dimension"):
        as_array("x", 1.0)
    assert as_array("x", np.arange(3)).dtype == np.float64


def test_window_samples_rounds_and_refuses_less_than_a_sample():
    assert window_samples("window_s", 0.05, 250.0) == 12  # 12.5 rounds to even
    assert window_samples("window_s", 0.054, 250.0) == 14  # 13.5 rounds to even
    assert window_samples("window_s", 0.1, 1000.0) == 100
    assert window_samples("w", 1e-3, 1000.0) == 1
    with pytest.raises(ValidationError, match="w=0.001 s is shorter than one sample"):
        window_samples("w", 1e-3, 250.0)
    with pytest.raises(ValidationError, match="w must be a finite number > 0"):
        window_samples("w", -1.0, 250.0)
    from emgcontrol.metrics._common import n_samples
    from emgcontrol.signal._common import n_window

    assert n_samples("x", 0.2, 250.0) == n_window(0.2, 250.0, "x") == 50


# -------------------------------------------------------------------- warnings
def _inner():
    warn("from inside")


def test_warn_points_at_the_first_caller_outside_the_package():
    import emgcontrol.signal as sig

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn("direct")
        _inner()  # this file is outside the package: the warning points here
        sig.notch(np.random.default_rng(0).normal(size=(1, 2000)), 1000.0, "auto")
    assert [w.category for w in caught] == [EmgcontrolWarning] * 3
    assert all(Path(w.filename).resolve() == Path(__file__).resolve() for w in caught), \
        [(w.filename, w.lineno) for w in caught]
    assert "no mains line" in str(caught[2].message)


# -------------------------------------------------------------------- hardware
def test_board_constants_agree_everywhere():
    from emgcontrol import acquire, simulate
    from emgcontrol.metrics._common import RAIL_V
    from emgcontrol.onset._detect import RAIL_V as ONSET_RAIL_V

    assert hardware.CYTON_RAIL_V == 4.5 / 24 == 0.1875
    assert hardware.CYTON_RAIL_UV == 187_500.0
    assert hardware.CYTON_LSB_V == pytest.approx(0.02235e-6, rel=1e-3)
    assert hardware.ADC_MAX_CODE * hardware.CYTON_LSB_V == hardware.CYTON_RAIL_V
    # every layer's copy is the same number, in its unit
    assert RAIL_V == ONSET_RAIL_V == simulate.CYTON_RAIL_V == hardware.CYTON_RAIL_V
    assert acquire.rail_uv(24) == hardware.CYTON_RAIL_UV
    assert simulate.CYTON_LSB_V == hardware.CYTON_LSB_V
    assert acquire.GAINS == hardware.CYTON_GAINS
    for g in hardware.CYTON_GAINS:
        assert acquire.rail_uv(g) == pytest.approx(4.5e6 / g, rel=1e-15)
        assert math.isclose(hardware.cyton_lsb_v(g) * hardware.ADC_MAX_CODE, 4.5 / g)


def test_simulated_cyton_rails_at_the_hardware_full_scale():
    from emgcontrol.simulate import simulate

    rec, _ = simulate("prone-hip-extension", sfreq=250.0, seed=3, n_trials=1, openbci=True,
                      faults={"GMax L": "railed"})
    i = rec.ch_names.index("GMax L")
    lo, hi = rec.data[i].min(), rec.data[i].max()
    assert max(abs(lo), abs(hi)) >= hardware.CYTON_RAIL_V * (1 - 1e-12)
    assert hi <= hardware.CYTON_RAIL_V and lo >= -(hardware.ADC_MAX_CODE + 1) * \
        hardware.CYTON_LSB_V


# --------------------------------------------------------------------- montage
def test_as_montage_reads_every_form_once_for_all_layers():
    from emgcontrol import acquire

    assert acquire.as_montage is as_montage
    m = get_preset("cyton-low-back-8")
    assert as_montage(m) is m
    assert as_montage(" cyton-low-back-8 ") == m
    two = as_montage("left multifidus, right multifidus")
    assert isinstance(two, Montage) and len(two) == 2
    named = as_montage("EXG1=left gluteus maximus,EXG2=right gluteus maximus")
    assert len(named) == 2
    assert len(as_montage(["left multifidus"])) == 1
    assert len(as_montage({"A": "right multifidus"})) == 1
    with pytest.raises(ValidationError, match="unknown montage preset 'cyton-low-bak-8'"):
        as_montage("cyton-low-bak-8")
    with pytest.raises(ValidationError, match="muscles must name at least one muscle"):
        as_montage([], name="muscles")
    with pytest.raises(ValidationError, match="montage must be a Montage.*got int 5"):
        as_montage(5)
    with pytest.raises(UnknownMuscleError):
        as_montage("left nosuchmuscle, right multifidus")
