"""Sample sessions: loadable, with ground truth, and regenerable bit for bit."""

import numpy as np
import pytest

import emgcontrol as ec
from emgcontrol import datasets


def test_every_sample_loads_with_its_truth():
    for name in datasets.list_datasets():
        rec, truth = datasets.load(name)
        sample = datasets.SAMPLES[name]
        assert rec.sfreq == sample.sfreq
        assert truth.protocol == sample.protocol and truth.variant == sample.variant
        emg = [m for m, t in zip(rec.muscles, rec.ch_types) if t == "emg"]
        assert all(m is not None for m in emg), name


def test_files_in_the_repository_match_the_generator(tmp_path):
    name = "arm-raise-delayed-trunk"
    fresh = ec.read(datasets.make(name, tmp_path))
    stored, _ = datasets.load(name)
    np.testing.assert_allclose(stored.data, fresh.data, rtol=0, atol=1e-9)
    assert stored.events == fresh.events


def test_unknown_dataset():
    with pytest.raises(ec.ValidationError, match="available: prone-hip-extension-cyton"):
        datasets.load("nope")


def test_fetch_regenerates_when_the_folder_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_repo_dir", lambda: tmp_path / "absent")
    monkeypatch.setenv("EMGCONTROL_DATA", str(tmp_path / "cache"))
    path = datasets.fetch("flexion-relaxation-absent")
    assert path.parent == tmp_path / "cache" and path.exists()
