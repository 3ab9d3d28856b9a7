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
