"""Recording container: construction, units, picking, cropping, MNE interop."""

import numpy as np
import pytest

import emgcontrol as ec
from emgcontrol.recording import Event


@pytest.fixture
def rec():
    rng = np.random.default_rng(0)
    data = rng.normal(0, 50, (8, 2500))  # microvolts
    return ec.Recording.from_array(
        data, 250.0, units="uV", muscles=ec.get_preset("cyton-low-back-8"),
        events=[(2.0, 1.0, "trial"), (0.5, 0.0, "go")], meta={"board": "cyton"})


def test_from_array_converts_microvolts_to_volts(rec):
    assert rec.data.dtype == np.float64
    assert rec.data.shape == (8, 2500)
    assert 1e-6 < np.std(rec.data) < 1e-4  # 50 uV in volts
    np.testing.assert_allclose(rec.get_data(units="uV"), rec.data * 1e6)
    np.testing.assert_allclose(rec.get_data(units="mV"), rec.data * 1e3)


def test_units_only_scale_voltage_channels():
    data = np.ones((2, 10))
    r = ec.Recording.from_array(data, 100, ["EMG", "AX"], ch_types=["emg", "acc"], units="mV")
    np.testing.assert_allclose(r.data[0], 1e-3)
    np.testing.assert_allclose(r.data[1], 1.0)  # g stays g
    np.testing.assert_allclose(r.get_data(units="uV")[1], 1.0)


def test_data_is_read_only_and_methods_return_new_objects(rec):
    with pytest.raises(ValueError):
        rec.data[0, 0] = 1.0
    picked = rec.pick(["MF L", "MF R"])
    assert picked is not rec and rec.n_channels == 8
    assert picked.ch_names == ["MF L", "MF R"]
    assert [m.side for m in picked.muscles] == ["left", "right"]
    assert picked.history[-1]["step"] == "pick"


def test_pick_by_muscle_type_and_index(rec):
    assert rec.pick("multifidus").ch_names == ["MF L", "MF R"]
    assert rec.pick("right gluteus maximus").ch_names == ["GMax R"]
    assert rec.pick("emg").n_channels == 8
    assert rec.pick([0, -1]).ch_names == ["LT L", "BF R"]
    with pytest.raises(ec.ValidationError, match="neither a channel"):
        rec.pick("nonsense")
    with pytest.raises(ec.ValidationError, match="no channel records"):
        rec.pick("tibialis anterior")


def test_crop_shifts_and_clips_events(rec):
    c = rec.crop(1.0, 2.5)
    assert c.n_times == int(1.5 * 250) + 1
    np.testing.assert_array_equal(c.data, rec.data[:, 250:626])
    # the event is clipped at the end of the kept data (last sample + 1/sfreq)
    assert c.events == [Event(1.0, pytest.approx(c.duration - 1.0), "trial")]
    with pytest.raises(ec.ValidationError):
        rec.crop(3, 2)
    with pytest.raises(ec.ValidationError, match="past the end"):
        rec.crop(11.0)


@pytest.mark.parametrize("bad, match", [
    (np.full((2, 5), np.nan), "channel 'EMG1' holds 5 non-finite"),
    (np.ones((2, 3, 4)), "must be 2-D"),
    (np.array(["a", "b"]), "real numbers"),
])
def test_bad_data_raises_specific_errors(bad, match):
    with pytest.raises(ec.ValidationError, match=match):
        ec.Recording.from_array(bad, 100, units="uV")


def test_nonfinite_error_names_channel_and_sample():
    data = np.zeros((3, 20))
    data[1, 7] = np.inf
    with pytest.raises(ec.NonFiniteDataError, match=r"'EMG2'.*infinite at sample 7"):
        ec.Recording.from_array(data, 100, units="uV")


@pytest.mark.parametrize("sfreq", [0, -1, np.nan, "x"])
def test_bad_sfreq(sfreq):
    with pytest.raises(ec.ValidationError, match="sfreq"):
        ec.Recording.from_array(np.zeros((1, 10)), sfreq, units="uV")


def test_mismatched_channel_counts():
    with pytest.raises(ec.ValidationError, match="2 names but data has 3"):
        ec.Recording.from_array(np.zeros((3, 10)), 100, ["a", "b"], units="uV")
    with pytest.raises(ec.ValidationError, match="unique"):
        ec.Recording.from_array(np.zeros((2, 10)), 100, ["a", "a"], units="uV")
    with pytest.raises(ec.UnknownMuscleError, match="did you mean 'multifidus'"):
        ec.Recording.from_array(np.zeros((1, 10)), 100, units="uV",
                                muscles=["multifidis"])


def test_mne_round_trip_is_exact_in_volts(rec):
    pytest.importorskip("mne")
    raw = rec.to_mne()
    assert set(raw.get_channel_types()) == {"emg"}
    np.testing.assert_array_equal(raw.get_data(), rec.data)
    back = ec.Recording.from_mne(raw)
    np.testing.assert_array_equal(back.data, rec.data)
    assert back.ch_names == rec.ch_names
    assert back.muscles == rec.muscles
    assert back.events == rec.events
    assert back.meta["board"] == "cyton"


def test_dataframes_and_html(rec):
    df = rec.to_dataframe(units="uV")
    assert list(df.columns) == rec.ch_names and len(df) == rec.n_times
    np.testing.assert_allclose(df.to_numpy().T, rec.data * 1e6)
    assert df.index.name == "time_s"
    ch = rec.channels_frame()
    assert list(ch["muscle"])[:2] == ["longissimus", "longissimus"]
    assert list(rec.events_frame()["label"]) == ["go", "trial"]
    html = rec._repr_html_()
    assert "250 Hz" in html and "gluteus_maximus" in html


def test_set_montage_by_name_and_position(rec):
    r = rec.set_montage({"MF L": "left semitendinosus"})
    assert r.muscles[2] == ec.MuscleRef("semitendinosus", "left")
    r2 = rec.set_montage(["tibialis anterior"] * 8)
    assert all(m.muscle == "tibialis_anterior" for m in r2.muscles)
    with pytest.raises(ec.ValidationError, match="lists 2 muscles"):
        rec.set_montage(["ta", "ta"])


def test_crop_keeps_timestamps_and_dropped_samples_consistent():
    meta = {"dropped_samples": {"count": 7, "gaps": [
        {"sample": 100, "time_s": 1.0, "n_missing": 3}, {"sample": 600, "time_s": 6.0,
                                                         "n_missing": 4}]},
            "meas_date": "2026-01-01T10:00:00+00:00"}
    rec = ec.Recording.from_array(np.zeros((1, 1000)), 100, units="V", meta=meta,
                                  timestamps=1e9 + np.arange(1000) / 100)
    c = rec.crop(5.0, 8.0)
    np.testing.assert_array_equal(c.timestamps, rec.timestamps[500:801])
    assert c.meta["dropped_samples"] == {"count": 4, "gaps": [
        {"sample": 100, "time_s": 1.0, "n_missing": 4}]}
    assert c.meta["meas_date"] == "2026-01-01T10:00:05+00:00"
    assert rec.pick(0).timestamps is rec.timestamps
    with pytest.raises(ec.ValidationError, match="timestamps has 3 values"):
        ec.Recording.from_array(np.zeros((1, 10)), 100, units="uV",
                                timestamps=[1, 2, 3])
