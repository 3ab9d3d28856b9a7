"""Corrupted files: every reader either succeeds or raises an EmgcontrolError.

Small valid files of each format are cut short or get random bytes overwritten
(anywhere, or in the first 300 bytes where the headers are); no IndexError,
KeyError, UnicodeDecodeError, struct.error... may escape.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emgcontrol as ec
from emgcontrol import io as eio
from emgcontrol.errors import EmgcontrolError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _openbci import openbci_old, openbci_v6  # noqa: E402  (tests/_openbci.py)


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    d = tmp_path_factory.mktemp("valid")
    rng = np.random.default_rng(0)
    rec = ec.Recording.from_array(rng.normal(0, 50, (2, 75)), 250, ["a", "b"], units="uV",
                                  muscles=["left multifidus", None],
                                  events=[(0.1, 0.0, "go"), (0.2, 0.1, "trial")])
    out = {}
    (d / "v6.txt").write_bytes(openbci_v6(40))
    out["openbci_v6"] = (d / "v6.txt", {})
    (d / "old.txt").write_bytes(openbci_old(40))
    out["openbci_old"] = (d / "old.txt", {})
    eio.write_brainflow_csv(rec, d / "bf.csv")  # with its JSON sidecar
    out["brainflow"] = (d / "bf.csv", {})
    eio.write_edf(rec, d / "r.edf")
    out["edf"] = (d / "r.edf", {})
    eio.write_bdf(rec, d / "r.bdf")
    out["bdf"] = (d / "r.bdf", {})
    eio.write_csv(rec, d / "r.csv", sidecar=False)
    out["csv"] = (d / "r.csv", {"sfreq": 250})
    np.save(d / "r.npy", rec.data)
    out["npy"] = (d / "r.npy", {"sfreq": 250, "units": "V"})  # rec.data is in volts
    np.savez(d / "r.npz", x=rec.data, fs=250.0)
    out["npz"] = (d / "r.npz", {"units": "V"})
    (d / "s.eeg").write_bytes(rng.normal(0, 10, (30, 2)).astype("<f4").tobytes())
    (d / "s.vhdr").write_text(
        "Brain Vision Data Exchange Header File Version 1.0\n[Common Infos]\nCodepage=UTF-8\n"
        "DataFile=s.eeg\nMarkerFile=s.vmrk\nDataFormat=BINARY\nDataOrientation=MULTIPLEXED\n"
        "NumberOfChannels=2\nSamplingInterval=4000\n[Binary Infos]\n"
        "BinaryFormat=IEEE_FLOAT_32\n[Channel Infos]\nCh1=A,,1,µV\nCh2=B,,1,µV\n")
    (d / "s.vmrk").write_text(
        "Brain Vision Data Exchange Marker File, Version 1.0\n[Common Infos]\n"
        "Codepage=UTF-8\nDataFile=s.eeg\n[Marker Infos]\nMk1=Stimulus,S  1,5,1,0\n")
    out["brainvision"] = (d / "s.vhdr", {})
    for name, (path, kw) in out.items():  # every sample is valid to begin with
        assert isinstance(eio.read(path, **kw), ec.Recording), name
    return out


def corruption(size: int):
    pos = st.integers(0, size - 1)
    head = st.integers(0, min(size, 300) - 1)
    byte = st.integers(0, 255)
    return st.one_of(
        st.tuples(st.just("cut"), st.integers(0, size - 1)),
        st.tuples(st.just("flip"), st.lists(st.tuples(pos, byte), min_size=1, max_size=6)),
        st.tuples(st.just("flip"), st.lists(st.tuples(head, byte), min_size=1, max_size=4)),
    )


def _corrupt(raw: bytes, how) -> bytes:
    kind, arg = how
    if kind == "cut":
        return raw[:arg]
    b = bytearray(raw)
    for p, v in arg:
        b[p] = v
    return bytes(b)


@pytest.mark.parametrize("fmt", ["openbci_v6", "openbci_old", "brainflow", "edf", "bdf",
                                 "csv", "npy", "npz", "brainvision"])
def test_corrupted_files_raise_only_emgcontrol_errors(samples, tmp_path_factory, fmt):
    path, kwargs = samples[fmt]
    raw = path.read_bytes()
    target = tmp_path_factory.mktemp(f"fuzz_{fmt}") / path.name
    for extra in path.parent.glob(path.stem + ".*"):  # sidecar / BrainVision siblings
        if extra != path:
            (target.parent / extra.name).write_bytes(extra.read_bytes())
    if fmt == "brainflow":
        (target.parent / (path.name + ".json")).write_bytes(
            (path.parent / (path.name + ".json")).read_bytes())

    @settings(max_examples=30 if fmt != "brainvision" else 15, deadline=None,
              suppress_health_check=[HealthCheck.too_slow], derandomize=True)
    @given(how=corruption(len(raw)))
    def check(how):
        target.write_bytes(_corrupt(raw, how))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rec = eio.read(target, **kwargs)
        except EmgcontrolError:
            return
        assert isinstance(rec, ec.Recording)
        assert np.isfinite(rec.data).all()

    check()


def test_fuzz_benchmark_short_run():
    """A short run of benchmarks/fuzz_readers.py (1000 inputs per reader there):
    every corrupted input reads correctly or raises an EmgcontrolError naming the file."""
    mod = _fuzz_module()
    res = mod.run(n=25, seed=1)
    assert set(res) >= {"openbci_v6", "brainflow", "edf", "bdf_biosemi", "csv", "myo_text",
                        "npy", "npz", "mat", "brainvision"}
    for name, t in res.items():
        assert t.inputs == 25, name
        assert t.fail == 0, (name, t.failures)
        assert t.read + t.error == 25, name


def _fuzz_module():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz_readers.py"
    spec = importlib.util.spec_from_file_location("fuzz_readers", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_readers"] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


# byte flips of the benchmark's .mat sample that crashed scipy.io.loadmat (SIGSEGV,
# scipy 1.17) when it read them unchecked
_MAT_CRASHERS = {
    "0_180": [(52, 142), (134, 154), (206, 16), (253, 156), (264, 79), (321, 204)],
    "1_144": [(115, 52), (233, 254), (321, 105), (423, 163), (485, 7), (495, 178)],
    "1_208": [(265, 14), (2481, 67)],
}


@pytest.mark.parametrize("name", sorted(_MAT_CRASHERS))
def test_mat_inputs_that_crashed_scipy_are_refused(tmp_path, name):
    from emgcontrol.errors import FileFormatError

    samples = _fuzz_module().make_samples(tmp_path)
    raw = bytearray(samples["mat"][0][0].read_bytes())
    for pos, val in _MAT_CRASHERS[name]:
        raw[pos] = val
    bad = tmp_path / f"{name}.mat"
    bad.write_bytes(bytes(raw))
    with pytest.raises(FileFormatError, match=f"{name}.mat: corrupt MATLAB v5 structure"):
        eio.read(bad)
