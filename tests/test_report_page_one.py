"""The report's first page, its statements, the PDF on paper and atomic outputs.

Oracles: the comparison's own verdict fields (``n_assessed``, ``n_trials``, the
``min_trials`` the chain used, each criterion's reason and channels), the simulator's
fault (which electrode is flat), and the rendered PDF pages (pdftoppm; skipped where
poppler is absent).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from emgcontrol.patterns import compare
from emgcontrol.recording import Recording
from emgcontrol.report import Report
from emgcontrol.report._summary import references, summarize, target_text, value_text
from emgcontrol.simulate import simulate


@pytest.fixture(scope="module")
def faulty():
    """Right gluteus maximus electrode flat (lead off): its criteria are not assessable."""
    rec, _ = simulate("prone-hip-extension", sfreq=250, seed=1, n_trials=3, mvc=True,
                      openbci=True, faults={"GMax R": "flat"})
    return rec, compare(rec, "prone-hip-extension")


@pytest.fixture(scope="module")
def typical():
    rec, _ = simulate("prone-hip-extension", sfreq=250, seed=3, n_trials=3, mvc=True,
                      openbci=True)
    return rec, compare(rec, "prone-hip-extension")


# ---------------------------------------------------------------- page one
def test_score_is_over_the_assessed_criteria_and_says_what_was_not(faulty):
    rec, comp = faulty
    sm = summarize(comp)
    na = [c for c in comp.criteria if c.verdict == "not_assessable"]
    assessed = [c for c in comp.criteria if c.verdict != "not_assessable"]
    assert na and assessed, "the fault must leave some criteria judged and some not"
    assert sm.n_not_assessable == len(na) and sm.n_assessed == len(assessed)
    assert f"over the {len(assessed)} criteri" in sm.headline
    assert f"{len(na)} of {len(comp.criteria)} not assessable" in sm.headline
    # the criteria that lost GMax R are grouped under one reason naming the electrode,
    # with the action the chain gave for a flat channel
    lost = [c.id for c in na if any(e["channel"] == "GMax R"
                                    for e in c.channels.get("excluded") or [])]
    assert lost
    grp = next(g for g in sm.not_judged if "GMax R" in g.reason)
    assert grp.criteria == lost
    assert "flat" in grp.reason and "plugged in" in grp.action
    assert sum(len(g.criteria) for g in sm.not_judged) == len(na)
    # the HTML and the PDF's first page say the same
    rep = Report(comp, rec)
    html = rep.to_html()
    assert sm.headline in html
    box = html[html.index('id="not-judged"'):]
    assert "GMax R" in box[:2000] and "plugged in" in box[:2000]


def test_each_criterion_has_value_and_target_with_units(typical):
    _, comp = typical
    sm = summarize(comp)
    for ln, cr in zip(sm.lines, comp.criteria):
        assert ln.id == cr.id and ln.verdict == cr.verdict
        if cr.verdict == "not_assessable":
            assert ln.value == "-"
            continue
        if cr.unit == "fraction":
            assert ln.value.startswith(f"{100 * cr.measured:.3g} %")
            assert ln.target.endswith("%")
        elif cr.unit in ("ms", "%MVC"):
            assert ln.value.endswith(cr.unit) and ln.target.endswith(cr.unit)
        num = float(re.match(r"-?[\d.]+", ln.value.replace(",", "")).group())
        scale = 100.0 if cr.unit == "fraction" else 1.0
        assert num == pytest.approx(scale * cr.measured, rel=5e-3, abs=0.5)
    seq = next((x for x in comp.criteria if x.unit == "fraction"), None)
    if seq is not None:
        line = next(ln for ln in sm.lines if ln.id == seq.id)
        assert "muscle pairs in order" in line.value
        assert line.target == "\u2265 100 %"


def test_value_and_target_texts():
    assert value_text(112.0, "ms") == "112 ms"
    assert value_text(1.0, "fraction", "order") == "100 % of muscle pairs in order"
    assert value_text(None, "ms") == "-"
    assert target_text(-300.0, 100.0, "ms") == "-300 to 100 ms"
    assert target_text(18.0, None, "%MVC") == "\u2265 18 %MVC"
    assert target_text(None, 0.5, "ratio") == "\u2264 0.5"
    assert target_text(None, None, "ms", ">= 3") == ">= 3"


def test_references_are_listed_once_per_work():
    a = ("Lewis CL, Sahrmann SA (2009) Muscle activation and movement patterns during prone "
         "hip extension exercise in women. J Athl Train 44:238-248.")
    b = a.replace("44:238-248.", "44(3):238-248")
    c = ("Disagreement: Lehman GJ, Lennon D (2004) Muscle recruitment patterns. BMC 5:3; "
         "Bruno PA, Bagust J (2007) An investigation. Clin Chiropr 10:68-80.")
    out = references([a, b, a, c, "Janda V (1983) Muscle Function Testing."])
    assert sum("Lewis" in r for r in out) == 1
    assert sum("Lehman" in r for r in out) == 1 and sum("Bruno" in r for r in out) == 1
    assert len(out) == 4


def test_clinical_words_on_page_one(faulty):
    rec, comp = faulty
    rep = Report(comp, rec)
    html = rep.to_html()
    head = html[:html.index('<section id="quality">')]
    # no developer words before the processing section
    for dev in ("mvc=", "h_freq", "Pass h_freq", "pattern format", "none: no MVC"):
        assert dev not in head
    # the protocol is named by its title only
    assert "(prone-hip-extension, pattern format" not in html


# --------------------------------------------------------------- statements
def test_fewer_trials_than_the_minimum_makes_verdicts_preliminary():
    rec, _ = simulate("prone-hip-extension", sfreq=250, seed=4, n_trials=2, mvc=True)
    comp = compare(rec, "prone-hip-extension")
    mt = comp.processing["compare"]["min_trials"]
    assert len(comp.measures["trials"]) == 2 < mt
    sm = summarize(comp)
    judged = [ln for ln in sm.lines if ln.verdict != "not_assessable"]
    assert judged, "two clean trials give verdicts (the chain needs min(min_trials, n))"
    by_id = {c.id: c for c in comp.criteria}
    for ln in judged:
        assert ln.preliminary == (by_id[ln.id].n_assessed < mt)
    assert sm.n_preliminary == sum(ln.preliminary for ln in judged) > 0
    assert sm.trials_note and f"at least {mt}" in sm.trials_note
    assert f"{sm.n_preliminary} of these verdict" in sm.headline
    rep = Report(comp, rec)
    html = rep.to_html()
    assert html.count("data-preliminary") == sm.n_preliminary
    items = {i["item"]: i["value"] for i in rep.reporting_items()}
    txt = items["Trials and session values"]
    assert "at least 2 measurable repetition(s)" in txt
    assert f"the protocol's minimum is {mt}" in txt


def test_statements_follow_the_numbers_with_enough_trials(typical):
    rec, comp = typical
    rep = Report(comp, rec)
    mt = comp.processing["compare"]["min_trials"]
    items = {i["item"]: i["value"] for i in rep.reporting_items()}
    need = min(mt, len(comp.measures["trials"]))
    assert f"at least {need} measurable repetition(s)" in items["Trials and session values"]
    assert "preliminary" not in items["Trials and session values"]
    assert summarize(comp).n_preliminary == 0
    cap = rep._traces_caption()
    n_win = len(comp.measures["trials"])
    assert f"Shaded: the {n_win} repetition windows" in cap


def test_whole_recording_without_markers_is_said_and_not_shaded(typical):
    rec, _ = typical
    emg = [k for k, t in enumerate(rec.ch_types) if t == "emg"]
    bare = Recording.from_array(rec.data[emg], rec.sfreq, [rec.ch_names[k] for k in emg],
                                muscles=[rec.muscles[k] for k in emg], units="V")
    comp = compare(bare, "prone-hip-extension")
    src = str(comp.processing["trials"]["source"])
    if "whole recording" not in src:
        pytest.skip(f"the chain found trials without markers ({src})")
    rep = Report(comp, bare)
    sm = summarize(comp)
    assert "no trial markers" in sm.trials_note
    assert "Shaded" not in rep._traces_caption()
    assert "not shaded" in rep._traces_caption()


# ------------------------------------------------------------------ figures
def test_not_assessable_criteria_draw_no_scale(faulty):
    _, comp = faulty
    from emgcontrol.report import plot_criteria

    na = [c.id for c in comp.criteria if c.verdict == "not_assessable"
          and not any(t.get("value") is not None for t in c.trials)]
    assert na
    fig = plot_criteria(comp, ids=na[:1])
    ax = fig.axes[0]
    assert not ax.axison
    assert "not assessable" in " ".join(t.get_text() for t in ax.texts)
    rep = Report(comp)
    spec = next(f for f in rep.figure_specs() if f.id == "fig-criteria")
    assert "Not drawn" in spec.caption


def test_raw_trace_stays_inside_its_axes(typical):
    rec, comp = typical
    from emgcontrol.report import plot_traces

    fig = plot_traces(rec, comp, trial=0)
    for ax in fig.axes:
        lo, hi = ax.get_ylim()
        raw = [ln for ln in ax.get_lines() if str(ln.get_label()).startswith("raw")]
        assert len(raw) == 1
        y = np.asarray(raw[0].get_ydata(), dtype=float)
        assert np.nanmax(y) <= hi and np.nanmin(y) >= lo


# --------------------------------------------------------------------- pdf
def _page_fill(pdf: Path, tmp: Path) -> list[float]:
    """Share of each page's text area (between the margins) filled: from the top
    margin to the lowest non-white pixel above the page number."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp / "pg")], check=True,
                   capture_output=True, timeout=120)
    out = []
    for f in sorted(tmp.glob("pg-*.pgm")):
        im = np.asarray(Image.open(f), dtype=float)
        h = im.shape[0]
        top, bottom = int(round(h * 0.6 / 11.69)), int(round(h * (1 - 0.6 / 11.69)))
        rows = np.where((im[top:bottom] < 200).any(axis=1))[0]
        out.append(0.0 if rows.size == 0 else (rows[-1] + 1) / (bottom - top))
    return out


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("which", ["typical", "faulty"])
def test_pdf_pages_are_filled_and_few(which, request, tmp_path):
    rec, comp = request.getfixturevalue(which)
    rep = Report(comp, rec)
    pdf = rep.save_pdf(tmp_path / "r.pdf")
    fill = _page_fill(pdf, tmp_path)
    n_fig = len(rep.figure_specs())
    assert 2 <= len(fill) <= n_fig + 1, fill
    assert all(f >= 0.33 for f in fill[:-1]), fill
    assert fill[-1] > 0.02


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_page_one_holds_the_summary(faulty, tmp_path):
    rec, comp = faulty
    rep = Report(comp, rec)
    pdf = rep.save_pdf(tmp_path / "r.pdf")
    p1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                        capture_output=True, text=True, timeout=60).stdout
    flat = " ".join(p1.split())
    sm = rep.summary()
    assert sm.headline.split(";")[0] in flat
    assert "Not assessable, and what to do" in flat and "GMax R" in flat
    # a heading never ends a page: the last text line of each page is not a heading
    n = len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))
    heads = ("Results by criterion", "Signal quality", "Muscle traces", "Timing", "Amounts",
             "Processing and reporting items", "References")
    for k in range(1, n + 1):
        txt = subprocess.run(["pdftotext", "-f", str(k), "-l", str(k), str(pdf), "-"],
                             capture_output=True, text=True, timeout=60).stdout
        lines = [x.strip() for x in txt.splitlines() if x.strip()
                 and not x.strip().startswith("page ")]
        assert lines and lines[-1] not in heads, (k, lines[-3:])


# ------------------------------------------------------------------- atomic
def test_save_leaves_no_finished_looking_file_when_interrupted(typical, tmp_path,
                                                               monkeypatch):
    rec, comp = typical
    rep = Report(comp, rec)
    import emgcontrol.report._report as mod

    def stop(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(mod.Report, "to_dict", stop)
    with pytest.raises(KeyboardInterrupt):
        rep.save(tmp_path / "out")
    # the PDF and HTML were complete, the results not: nothing under a final name,
    # no temporary left
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []
    monkeypatch.undo()
    paths = rep.save(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "report.html", "report.pdf", "results.json"]
    assert paths["pdf"].read_bytes().rstrip().endswith(b"%%EOF")
