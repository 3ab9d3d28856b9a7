"""Sample sessions: loadable, with ground truth, and regenerable.

The files in ``datasets/`` were written once, with the package versions of the
machine that made them.  Regenerating them elsewhere runs the same simulator on
other numpy/scipy builds, whose results may differ in the last bits of a float
(vectorised ``sin``/``exp``, summation order).  So stored and regenerated
samples are compared by value, with tolerances that follow from how each file
stores its numbers, never as text:

* signals: one quantisation step of the file (BDF 24 bit and EDF 16 bit: the
  channel's ``(physical max - physical min) / (digital max - digital min)``
  from the header; BrainFlow CSV: ``%f``, 1e-6 in the file's unit).  Each
  file rounds to within half a step of the simulated value, so two files made
  from values that differ by a few ulp differ by at most one step;
* events: EDF+/BDF+ annotations store onsets as decimal text with at least 12
  decimals (older edfio ``%+.12f``, newer the shortest round-trip form), the
  BrainFlow sidecar as JSON (round-trip exact): 2e-12 s covers two roundings
  of half of 1e-12 s plus float noise;
* ground truth (``.truth.json``): JSON keeps every float exactly (``repr``
  round-trips), so a difference comes only from arithmetic in the generator;
  ``RTOL_TRUTH`` = 1e-12 is thousands of ulp (1 ulp = 2.2e-16 relative) yet a
  millionth of the smallest real change (a moved onset, a new seed).  Keys,
  strings, integers and booleans must be equal.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import emgcontrol as ec
from emgcontrol import datasets

REPO_DATASETS = Path(__file__).resolve().parents[1] / "datasets"

CSV_STEP = 1e-6  # BrainFlow's write_file: "%f", six decimals, in uV (EXG) or g (accel)
EVENT_ATOL_S = 2e-12
RTOL_TRUTH = 1e-12
ATOL_TRUTH = 1e-18  # for exact zeros: far below any stored magnitude (>= 1e-6 V) x RTOL_TRUTH
_TO_SI = {"uV": 1e-6, "mV": 1e-3, "V": 1.0, "nV": 1e-9}


def test_every_sample_loads_with_its_truth():
    for name in datasets.list_datasets():
        rec, truth = datasets.load(name)
        sample = datasets.SAMPLES[name]
        assert rec.sfreq == sample.sfreq
        assert truth.protocol == sample.protocol and truth.variant == sample.variant
        emg = [m for m, t in zip(rec.muscles, rec.ch_types) if t == "emg"]
        assert all(m is not None for m in emg), name


def quantisation_step(path: Path, rec: ec.Recording) -> np.ndarray:
    """Per channel, the step between two storable values, in ``rec.data`` units."""
    ext = path.suffix.lower()
    if ext == ".csv":
        unit = np.array([1e-6 if t in ("emg", "ecg") else 1.0 for t in rec.ch_types])
        return CSV_STEP * unit
    import edfio

    edf = (edfio.read_bdf if ext == ".bdf" else edfio.read_edf)(path)
    signals = edf.signals
    assert len(signals) == rec.n_channels, path
    steps = []
    for sig in signals:
        (pmin, pmax), (dmin, dmax) = sig.physical_range, sig.digital_range
        steps.append((pmax - pmin) / (dmax - dmin) * _TO_SI.get(sig.physical_dimension, 1.0))
    return np.array(steps)


def assert_same_values(stored, fresh, where="truth"):
    """Equal structure, keys and non-float leaves; floats within RTOL_TRUTH."""
    if isinstance(stored, dict):
        assert isinstance(fresh, dict), where
        assert list(stored) == list(fresh), f"{where}: keys differ"
        for k in stored:
            assert_same_values(stored[k], fresh[k], f"{where}.{k}")
    elif isinstance(stored, list):
        assert isinstance(fresh, list) and len(stored) == len(fresh), f"{where}: length"
        for i, (a, b) in enumerate(zip(stored, fresh)):
            assert_same_values(a, b, f"{where}[{i}]")
    elif isinstance(stored, float):
        assert type(fresh) is float, f"{where}: {fresh!r} is not a float"
        assert math.isclose(stored, fresh, rel_tol=RTOL_TRUTH, abs_tol=ATOL_TRUTH), \
            f"{where}: stored {stored!r}, regenerated {fresh!r}"
    else:  # str, int, bool, None: exact, and of the same type (True != 1 here)
        assert type(stored) is type(fresh) and stored == fresh, \
            f"{where}: stored {stored!r}, regenerated {fresh!r}"


@pytest.mark.parametrize("name", datasets.list_datasets())
def test_files_in_the_repository_match_the_generator(name, tmp_path):
    sample = datasets.SAMPLES[name]
    stored_path = REPO_DATASETS / sample.filename
    assert stored_path.exists(), f"{stored_path} missing: run datasets/make_datasets.py"
    fresh_path = datasets.make(name, tmp_path)
    fresh, stored = ec.read(fresh_path), ec.read(stored_path)
    hint = "stale sample: run datasets/make_datasets.py"
    assert (stored.sfreq, stored.ch_names, stored.ch_types, stored.muscles) \
        == (fresh.sfreq, fresh.ch_names, fresh.ch_types, fresh.muscles), hint
    assert stored.data.shape == fresh.data.shape, hint
    step = quantisation_step(stored_path, stored)
    assert np.all(step > 0) and np.all(step < 1e-3 * np.ptp(stored.data, axis=1)), step
    # one step, plus a millionth of it for the float arithmetic of the scaling
    excess = np.abs(stored.data - fresh.data) / (step * (1 + 1e-6))[:, None]
    ch, i = np.unravel_index(np.argmax(excess), excess.shape)
    assert excess[ch, i] <= 1.0, (f"{hint}: {stored.ch_names[ch]} sample {i} differs by "
                                  f"{excess[ch, i]:.3g} quantisation steps")
    assert [e.label for e in stored.events] == [e.label for e in fresh.events], hint
    times = np.array([(e.onset, e.duration) for e in stored.events])
    times_fresh = np.array([(e.onset, e.duration) for e in fresh.events])
    np.testing.assert_allclose(times, times_fresh, rtol=0, atol=EVENT_ATOL_S, err_msg=hint)
    truth_name = sample.filename + ".truth.json"
    assert_same_values(json.loads((REPO_DATASETS / truth_name).read_text()),
                       json.loads((tmp_path / truth_name).read_text()))


def test_truth_comparison_tolerates_last_bits_only():
    d = json.loads((REPO_DATASETS / "prone-hip-extension_cyton.csv.truth.json").read_text())
    act = d["activations"][0]

    def changed(key, value):
        c = json.loads(json.dumps(d))
        c["activations"][0][key] = value
        return c

    x = act["amplitude_v"]
    assert_same_values(d, changed("amplitude_v", x * (1 + 8 * 2.0**-52)))
    assert_same_values(d, changed("onset", float(np.nextafter(act["onset"], 99.0))))
    for bad in (changed("amplitude_v", x * (1 + 1e-9)),   # a real change
                changed("onset", act["onset"] + 1e-6),
                changed("channel", act["channel"] + " "),
                changed("trial", float(act["trial"])),     # int became float
                {**d, "extra": 1}):
        with pytest.raises(AssertionError):
            assert_same_values(d, bad)


def test_unknown_dataset():
    with pytest.raises(ec.ValidationError, match="available: prone-hip-extension-cyton"):
        datasets.load("nope")


def test_fetch_regenerates_when_the_folder_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_repo_dir", lambda: tmp_path / "absent")
    monkeypatch.setenv("EMGCONTROL_DATA", str(tmp_path / "cache"))
    path = datasets.fetch("flexion-relaxation-absent")
    assert path.parent.parent == tmp_path / "cache" and path.exists()
    rec, truth = datasets.load("flexion-relaxation-absent")
    assert truth.variant == "absent" and rec.sfreq == 250
