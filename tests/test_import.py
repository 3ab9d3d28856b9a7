"""`import emgcontrol` must stay light: no mne, matplotlib, brainflow or dask."""

import json
import subprocess
import sys

HEAVY = {"mne", "matplotlib", "brainflow", "dask"}


def test_import_is_light():
    code = ("import sys, json, emgcontrol; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert not (loaded & HEAVY), f"import emgcontrol pulled in {sorted(loaded & HEAVY)}"


def test_lazy_subpackages_and_functions_resolve():
    import emgcontrol as ec

    assert callable(ec.detect_onsets) and callable(ec.compare) and callable(ec.warmup)
    assert ec.quality.__module__ == "emgcontrol.signal.quality"
    assert ec.patterns.__name__ == "emgcontrol.patterns"
    for name in ec.__all__:
        assert getattr(ec, name) is not None, name
    try:
        ec.no_such_thing
    except AttributeError as err:
        assert "no_such_thing" in str(err)
    else:  # pragma: no cover
        raise AssertionError("unknown attribute did not raise")
