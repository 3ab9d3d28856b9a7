"""Report figures, HTML, PDF, JSON and the ISEK/CEDE items.

Oracles: the comparison's own measures (every number a figure or table shows is
checked against the row it came from), the simulator's ground truth (firing order
of the "reversed" variant), the PNG/PDF file signatures, and a headless Chromium
rendering of the HTML (skipped where Chromium is absent).
"""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from emgcontrol import ValidationError
from emgcontrol.patterns import Comparison, ProgressStore, compare
from emgcontrol.recording import Recording
from emgcontrol.report import (NOT_RECORDED, Report, amount_rows, plot_amounts, plot_criteria,
                               plot_progress, plot_timing, plot_traces, reporting_items,
                               timing_rows, trace_signals)
from emgcontrol.simulate import simulate

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def session():
    """A reversed prone hip extension (3 trials, MVC block) at the Cyton rate."""
    rec, truth = simulate("prone-hip-extension", "reversed", sfreq=250, seed=0, n_trials=3,
                          mvc=True, openbci=True)
    return rec, truth, compare(rec, "prone-hip-extension")


@pytest.fixture(scope="module")
def written(session, tmp_path_factory):
    rec, _, comp = session
    out = tmp_path_factory.mktemp("report")
    rep = Report(comp, rec, session={"patient_id": "p-test", "source": "simulated test"},
                 info={"electrode_type": "Ag/AgCl, gel, disposable"})
    paths = rep.save(out)
    return rep, paths


# ----------------------------------------------------------------- figures
def test_figures_are_figures_and_render_headless(session):
    from matplotlib.figure import Figure

    rec, _, comp = session
    sig = trace_signals(rec, comp)
    figs = [plot_traces(sig, comp), plot_traces(rec, comp, trial=1, channels=["GMax R"]),
            plot_timing(comp), plot_amounts(comp), plot_criteria(comp),
            plot_criteria(comp, kinds=["ratio"])]
    for fig in figs:
        assert isinstance(fig, Figure)
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=40)
        assert buf.getvalue().startswith(PNG_MAGIC)
    # one axes per pattern channel, in recording order
    chans = [c["channel"] for c in comp.measures["channels"] if c["in_pattern"]]
    assert len(figs[0].axes) == len(chans)


def test_ax_argument_draws_into_the_given_axes(session):
    from matplotlib.figure import Figure

    rec, _, comp = session
    host = Figure()
    axes = host.subplots(2, 2)
    assert plot_timing(comp, ax=axes[0, 0]) is host
    assert plot_amounts(comp, ax=axes[0, 1]) is host
    assert plot_criteria(comp, ids=["gmax-on-time"], ax=axes[1, 0]) is host
    assert plot_traces(rec, comp, channels=["GMax R"], ax=axes[1, 1]) is host
    assert len(host.axes) == 4
    with pytest.raises(ValidationError, match="one channel"):
        plot_traces(rec, comp, ax=axes[1, 1])
    with pytest.raises(ValidationError, match="one criterion"):
        plot_criteria(comp, ax=axes[1, 0])
    with pytest.raises(ValidationError, match="unknown criterion"):
        plot_criteria(comp, ids=["no-such-criterion"])
    with pytest.raises(ValidationError, match="not EMG channels"):
        plot_traces(rec, comp, channels=["ACC X"])
    with pytest.raises(ValidationError, match="trial 9"):
        plot_traces(rec, comp, trial=9)


def test_timing_rows_follow_the_measures_and_the_target_order(session):
    _, truth, comp = session
    data = timing_rows(comp)
    m = comp.measures
    mov = {t["trial"]: t["movement_onset_s"] for t in m["trials"]}
    ons = {(o["channel"], o["trial"]): o for o in m["onsets"]}
    assert data["anchor"] == "movement onset"
    # target order of the sequence criterion: hamstrings, gmax, es_contra, es_ipsi
    assert data["order"] == ["hamstrings", "gmax", "es_contra", "es_ipsi"]
    ranks = [r["rank"] for r in data["rows"]]
    assert ranks == sorted(ranks)
    for r in data["rows"]:
        for t in r["trials"]:
            o = ons[(r["channel"], t["trial"])]
            if o["status"] == "ok":
                assert t["onset_ms"] == pytest.approx(1000 * (o["onset_s"] - mov[t["trial"]]))
            else:
                assert t["onset_ms"] is None
    # the latency window of gmax-on-time is relative to the movement: [-300, 100] ms
    gmax = next(r for r in data["rows"] if r["channel"] == "GMax R")
    w = next(w for w in gmax["windows"] if w["criterion"] == "gmax-on-time")
    assert (w["start_ms"], w["stop_ms"]) == pytest.approx((-300.0, 100.0))
    # ground truth of the reversed variant: the ipsilateral back leads the gluteus
    first = set(truth.firing_order[0])
    med = {r["channel"]: np.median([t["onset_ms"] for t in r["trials"]
                                    if t["onset_ms"] is not None]) for r in data["rows"]}
    assert max(med[c] for c in first if c in med) < med["GMax R"]



def test_figures_read_a_typed_comparison_and_its_stored_form_alike(session):
    """A stored results dict is read by Comparison.from_dict at the border: the same
    rows as the Comparison; anything else is refused with what came."""
    _, _, comp = session
    stored = json.loads(json.dumps(comp.to_dict()))
    assert timing_rows(stored) == timing_rows(comp)
    assert amount_rows(stored) == amount_rows(comp)
    with pytest.raises(ValidationError, match="not an emgcontrol comparison"):
        timing_rows({"criteria": []})
    with pytest.raises(ValidationError, match="got list"):
        plot_timing([1, 2])

def test_amount_rows_are_medians_of_the_measured_trials(session):
    _, _, comp = session
    data = amount_rows(comp)
    assert data["phase"] == "hold" and data["unit"] == "%MVC" and data["normalised"]
    m = comp.measures["amounts"]
    for r in data["rows"]:
        vals = [a["value"] for a in m if a["channel"] == r["channel"] and a["phase"] == "hold"
                and a["status"] == "ok"]
        assert r["median"] == pytest.approx(float(np.median(vals)))
    gmax = next(r for r in data["rows"] if r["channel"] == "GMax R")
    crit = comp.criterion("gmax-amount")
    assert gmax["targets"] == [{"criterion": "gmax-amount", "min": crit.min, "max": crit.max,
                                "verdict": crit.verdict}]
    others = [r for r in data["rows"] if r["channel"] != "GMax R"]
    assert others and all(not r["targets"] for r in others)
    with pytest.raises(ValidationError, match="phase 'lift'"):
        amount_rows(comp, phase="lift")


def test_progress_from_the_store_and_from_comparisons(session, tmp_path):
    from matplotlib.figure import Figure

    _, _, comp = session
    store = ProgressStore(tmp_path)
    store.add("p1", comp, session_date="2026-01-05")
    store.add("p1", comp, session_date="2026-01-12")
    hist = store.history("p1", "prone-hip-extension")
    fig = plot_progress(hist)
    # score + every criterion measured
    n_measured = sum(1 for c in comp.criteria if c.measured is not None)
    assert len([a for a in fig.axes if a.get_visible() and a.axison]) == 1 + n_measured
    assert isinstance(plot_progress([comp, comp.to_dict()], criteria="gmax-on-time"), Figure)
    host = Figure()
    ax = host.add_subplot()
    assert plot_progress(hist, criteria="score", ax=ax) is host
    # the score line carries the stored scores
    ys = [ln.get_ydata() for ln in ax.get_lines()][0]
    assert list(ys) == pytest.approx([comp.score, comp.score])
    with pytest.raises(ValidationError, match="one panel"):
        plot_progress(hist, ax=ax)


# ---------------------------------------------------------------- outputs
def test_html_is_self_contained_responsive_and_printable(written, session):
    rep, paths = written
    _, _, comp = session
    text = paths["html"].read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "@media print" in text and "@media (max-width:640px)" in text
    # no external resource of any kind
    assert not re.search(r'(src|href)\s*=\s*"(?!data:|#)', text)
    assert "@import" not in text and "url(" not in text
    imgs = re.findall(r'<img alt="[^"]+" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(imgs) == len(rep.figure_specs()) >= 6
    for b in imgs:
        assert base64.b64decode(b).startswith(PNG_MAGIC)
    for c in comp.criteria:
        assert f'id="criterion-{c.id}" data-verdict="{c.verdict}"' in text
    for sec in ("criteria", "quality", "traces", "timing", "amounts", "ratios", "progress",
                "methods", "references"):
        assert f'<section id="{sec}">' in text


def test_results_json_has_every_criterion_and_reads_back(written, session):
    _, paths = written
    _, _, comp = session
    raw = paths["json"].read_text(encoding="utf-8")
    data = json.loads(raw, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert [c["id"] for c in data["criteria"]] == [c.id for c in comp.criteria]
    for c, ref in zip(data["criteria"], comp.criteria):
        assert {"id", "verdict", "measured", "target", "reason", "sentence"} <= set(c)
        assert c["verdict"] in ("pass", "fail", "not_assessable")
        assert c["verdict"] == ref.verdict and c["target"] == ref.target
        if ref.measured is None:
            assert c["measured"] is None
        else:
            assert c["measured"] == pytest.approx(ref.measured)
    assert data["assessment"]["format"] == "emgcontrol-assessment"
    assert data["assessment"]["session"]["patient_id"] == "p-test"
    assert set(data["assessment"]["files"]) == {"html", "pdf", "json"}
    assert data["measures"]["amounts"] and data["reporting_items"]
    back = Comparison.from_dict(data)
    assert back.verdicts == comp.verdicts and back.score == pytest.approx(comp.score)


def test_pdf_has_the_results_tables_and_every_figure(written):
    rep, paths = written
    blob = paths["pdf"].read_bytes()
    assert blob.startswith(b"%PDF")
    n_pages = len(re.findall(rb"/Type\s*/Page\b", blob))
    # figures share pages with text: fewer pages than one per figure plus text pages
    assert 2 <= n_pages <= len(rep.figure_specs()) + 1
    n_images = len(re.findall(rb"/Subtype\s*/Image", blob))
    assert n_images >= len(rep.figure_specs())
    if shutil.which("pdftotext"):
        txt = subprocess.run(["pdftotext", str(paths["pdf"]), "-"], capture_output=True,
                             text=True, timeout=60).stdout
        for c in rep.comparison.criteria:
            assert c.id in txt
        assert "ISEK" in txt and "CEDE" in txt
        assert rep.summary().headline.split(" (")[0] in " ".join(txt.split())


def test_reporting_items_fill_known_values_and_say_not_recorded(session):
    rec, _, comp = session
    plain = Recording.from_array(rec.data[:8] * 1e6, 250.0, rec.ch_names[:8],
                                 muscles=rec.muscles[:8], units="uV",
                                 events=[(e.onset, e.duration, e.label) for e in rec.events])
    comp2 = compare(plain, "prone-hip-extension")
    items = {i["item"]: i for i in reporting_items(comp2, plain,
                                                   info={"skin_preparation": "shaved, "
                                                         "abraded, alcohol"})}
    assert items["Electrode type and material"]["value"] == NOT_RECORDED
    assert items["Inter-electrode distance"]["value"] == NOT_RECORDED
    assert items["Skin preparation"]["value"] == "shaved, abraded, alcohol"
    assert items["Skin preparation"]["source"] == "user"
    assert items["Sampling rate"]["value"].startswith("250 Hz")
    f = comp2.processing["filter"]
    bp = items["Band-pass filter"]["value"]
    assert f"{f['l_freq']:g}-{f['h_freq']:g} Hz" in bp and f"order {f['order']}" in bp
    det = comp2.processing["detector"]
    assert items["Method and parameters"]["value"].startswith(det["method"])
    assert f"threshold={det['params']['threshold']:g}" in items["Method and parameters"]["value"]
    assert "MVC" in items["Method"]["value"]
    # simulated recordings say so instead of "not recorded"
    sim_items = {i["item"]: i for i in reporting_items(comp, rec)}
    assert "simulated" in sim_items["Electrode type and material"]["value"]


# --------------------------------------------------------------- chromium
class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.ids: list[str] = []
        self.in_crit = False
        self.crit_cells: list[str] = []
        self._cls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src") or "")
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "table" and a.get("id") == "criteria-table":
            self.in_crit = True
        self._cls.append(a.get("class") or "")

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_crit = False
        if self._cls:
            self._cls.pop()

    def handle_data(self, data):
        if self.in_crit and self._cls and self._cls[-1] == "cid":
            self.crit_cells.append(data.strip())


def _chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name) if not name.startswith("/") else (name if Path(name).exists()
                                                                 else None)
        if p:
            return p
    return None


def test_chromium_renders_every_figure_and_the_criterion_table(written, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium is not installed")
    rep, paths = written
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    res = subprocess.run([exe, *flags, "--dump-dom", paths["html"].resolve().as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    dom = _Dom()
    dom.feed(res.stdout)
    figs = rep.figure_specs()
    assert len(dom.imgs) == len(figs)
    for src in dom.imgs:
        assert src.startswith("data:image/png;base64,") and len(src) > 1000
    for f in figs:
        assert f.id in dom.ids
    assert dom.crit_cells == [c.id for c in rep.comparison.criteria]
    # a phone-sized screenshot renders too
    shot = tmp_path / "phone.png"
    res = subprocess.run([exe, *flags, "--window-size=390,2000", "--hide-scrollbars",
                          f"--screenshot={shot}", paths["html"].resolve().as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and shot.read_bytes().startswith(PNG_MAGIC)


def test_report_without_recording_and_bad_inputs(session, tmp_path):
    _, _, comp = session
    rep = Report(comp.to_dict())
    html = rep.to_html()
    assert "signals are not part of this report" in html
    assert not any(f.section == "traces" for f in rep.figure_specs())
    with pytest.raises(ValidationError, match="Comparison"):
        Report(object())
    with pytest.raises(ValidationError, match="Recording"):
        Report(comp, recording=np.zeros((2, 10)))
    with pytest.raises(ValidationError, match="max_trial_figures"):
        Report(comp, max_trial_figures=-1)
    assert not math.isnan(comp.score)
