"""Live feedback in the browser: words, server safety, the page in headless Chromium.

The end-to-end tests start ``emgcontrol live --display web`` (and the Python API)
on the simulated board, open the page in headless Chromium through Selenium and
Debian's chromedriver, and check what the page shows against the simulator's
ground truth: bars move, the order lights and the sentence give the verdict of the
simulated recruitment (reversed: back before buttock), a railed electrode is
named, and a pulled cable makes the page say that data stopped.  Latency is
measured by the page and printed (never asserted as a time).  They skip where
chromium, chromedriver or selenium are absent.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from emgcontrol.errors import EmgcontrolError, ValidationError
from emgcontrol.feedback import FeedbackState, WebDisplay, serve_feedback
from emgcontrol.feedback.web import (is_loopback, plain_names, repetition_sentence,
                                     resolve_live_pattern)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _chromium import find_chromium, open_chromium  # noqa: E402  (tests/_chromium.py)

aiohttp = pytest.importorskip("aiohttp")

PHE = "prone-hip-extension"
STATIC = Path(__file__).resolve().parents[1] / "src" / "emgcontrol" / "feedback" / "web" / "static"


# ------------------------------------------------------------------ words
def _names():
    targets, pat = resolve_live_pattern(PHE)
    from emgcontrol.feedback import get_targets

    return plain_names(pat, get_targets(pat)), pat


def test_plain_names_come_from_the_pattern_groups():
    names, pat = _names()
    assert names["gmax-before-ipsilateral-es"]["first"].startswith("buttock muscle")
    assert names["gmax-before-ipsilateral-es"]["then"] == (
        "lower-back muscles on the side of the lifting leg")
    # a sequence criterion is split in pairs, each with its groups
    assert names["janda-sequence[1]"] == {"first": "hamstrings of the lifting leg",
                                          "then": "buttock muscle (gluteus maximus) of the "
                                                  "lifting leg"}
    assert names["gmax-amount"]["muscle"].startswith("buttock muscle")


def _check(kind, target, violation, **kw):
    return {"kind": kind, "target": target, "violation": violation, "message": "m", **kw}


def test_repetition_sentence_says_order_verdict_in_plain_words():
    names, pat = _names()
    core = {c.id for c in pat.criteria if c.severity == "core"}
    good = {"judged": True, "checks": [_check("order", "gmax-before-ipsilateral-es", False)]}
    text, ok = repetition_sentence(good, names, core=core)
    assert ok is True
    assert text == ("Your buttock muscle of the lifting leg came on before your lower-back "
                    "muscles on the side of the lifting leg: well done.")
    bad = {"judged": True, "checks": [
        _check("order", "janda-sequence[3]", True),           # informative, listed first
        _check("order", "gmax-before-ipsilateral-es", True)]}
    text, ok = repetition_sentence(bad, names, core=core)
    assert ok is False
    assert text.startswith("Your lower-back muscles on the side of the lifting leg came on "
                           "before your buttock muscle of the lifting leg.")
    assert "switch on your buttock muscle of the lifting leg first" in text
    below = {"judged": True, "checks": [_check("below", "gmax-amount", True, value=12.4,
                                               detail={"low": 18.0, "high": None})]}
    text, ok = repetition_sentence(below, names, core=core)
    assert ok is False and "too little: 12 %MVC (target at least 18 %MVC)" in text
    missing = {"judged": True, "checks": [_check("missing", "hamstrings-before-es", True,
                                                 detail={"first_s": None, "then_s": 3.1})]}
    assert "hamstrings of the lifting leg did not switch on" in repetition_sentence(
        missing, names)[0]
    assert repetition_sentence({"judged": False, "checks": []}, names)[1] is None


# ------------------------------------------------------------------ safety
def test_loopback_detection_and_token_rules():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")
    assert WebDisplay().token is None
    d = WebDisplay("0.0.0.0", 0, announce=None)
    assert d.token is not None and len(d.token) >= 20
    assert d.token != WebDisplay("0.0.0.0", 0, announce=None).token
    assert f"?token={d.token}" in d.url
    with pytest.raises(ValidationError, match="token"):
        WebDisplay("0.0.0.0", token="short")
    with pytest.raises(ValidationError, match="port"):
        WebDisplay(port=70000)


def test_page_assets_load_nothing_from_the_internet():
    for f in STATIC.iterdir():
        text = f.read_text()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), f.name


def test_import_feedback_does_not_import_the_server():
    code = ("import sys, emgcontrol, emgcontrol.feedback; "
            "print('aiohttp' in sys.modules, 'selenium' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    assert out == ["False", "False"]


INFO = {"channels": ["GMax R", "LT R"], "labels": ["GMax R", "LT R"], "unit": "%MVC",
        "sfreq": 250.0, "zones_by_channel": [(18.0, None), None],
        "order": [{"id": "gmax-before-ipsilateral-es", "kind": "order",
                   "first": ["GMax R"], "then": ["LT R"]}],
        "targets": PHE, "notes": []}


def _state(values, received=None):
    return FeedbackState(sample=10, time_s=0.04, ch_names=INFO["channels"],
                         labels=INFO["labels"], values=np.asarray(values, float),
                         levels=np.zeros(2), unit="%MVC", zones=INFO["zones_by_channel"],
                         status=["below", None], active=np.array([True, False]),
                         movement=1, events=[], received=received)


async def _ws_messages(url, *, n_until, headers=None, send=()):
    out = []
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(url, headers=headers or {}) as ws:
            for m in send:
                await ws.send_str(json.dumps(m))
            while True:
                msg = await asyncio.wait_for(ws.receive(), 10)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                out.append(json.loads(msg.data))
                if n_until(out):
                    break
    return out


async def _until(w, pred, got=None, timeout=60.0):
    """The next message on socket ``w`` for which ``pred`` holds (each one read is
    appended to ``got`` when given); AssertionError after ``timeout`` s."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        m = json.loads((await asyncio.wait_for(w.receive(), timeout)).data)
        if got is not None:
            got.append(m)
        if pred(m):
            return m
    raise AssertionError("timeout")


async def _status(url, headers=None):
    async with aiohttp.ClientSession() as s:
        async with s.get(url, headers=headers or {}) as r:
            body = await r.text()
            return r.status, body, r.headers, {k: v.value for k, v in r.cookies.items()}


def test_token_required_off_loopback_and_cross_origin_socket_refused():
    d = WebDisplay("0.0.0.0", 0, announce=None)
    with d:
        base = f"http://127.0.0.1:{d.port}"
        for path in ("/", "/clinician", "/static/app.js", "/ws"):
            status, body, _, _ = asyncio.run(_status(base + path))
            assert status == 403, path
            assert "access token" in body
        status, _, _, _ = asyncio.run(_status(base + "/?token=" + "x" * len(d.token)))
        assert status == 403
        status, body, headers, cookies = asyncio.run(_status(f"{base}/?token={d.token}"))
        assert status == 200 and "static/app.js" in body
        assert cookies.get("emgcontrol_token") == d.token
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        # the cookie alone (what the page's later requests carry) is accepted
        status, _, _, _ = asyncio.run(_status(base + "/static/app.js",
                                              {"Cookie": f"emgcontrol_token={d.token}"}))
        assert status == 200
    with WebDisplay(port=0, announce=None) as d:  # loopback: no token, but same origin only
        ws = f"ws://127.0.0.1:{d.port}/ws"
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            asyncio.run(_ws_messages(ws, n_until=lambda o: True,
                                     headers={"Origin": "http://evil.example"}))
        assert err.value.status == 403
        got = asyncio.run(_ws_messages(ws, n_until=lambda o: True,
                                       headers={"Origin": f"http://127.0.0.1:{d.port}"}))
        assert got[0]["t"] in ("hb", "status", "config")


def test_busy_port_is_a_clear_error():
    with WebDisplay(port=0, announce=None) as d:
        with pytest.raises(EmgcontrolError, match=rf"127.0.0.1:{d.port}.*--port 0"):
            WebDisplay(port=d.port, announce=None).start()


def test_socket_sends_config_states_events_and_takes_commands():
    from emgcontrol.feedback import FeedbackEvent

    with WebDisplay(port=0, announce=None) as d:
        d.open(INFO)
        t_recv = time.time()
        ws = f"ws://127.0.0.1:{d.port}/ws"
        result = {}

        def client():
            result["msgs"] = asyncio.run(_ws_messages(
                ws, n_until=lambda o: any(m["t"] == "ev" for m in o) and any(
                    m["t"] == "s" for m in o) and any(m["t"] == "pong" for m in o),
                send=[{"t": "ping", "c": 1.0}, {"t": "cmd", "cmd": "marker", "arg": "cue"},
                      {"t": "cmd", "cmd": "rm -rf"}, {"t": "cmd", "cmd": "stop"}]))

        th = threading.Thread(target=client)
        th.start()
        deadline = time.time() + 10
        while d.server.n_connections == 0 and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        d.update(_state([12.34, float("nan")], received=t_recv))
        d.event(FeedbackEvent("order", 3.7, "order x", True, None,
                              "gmax-before-ipsilateral-es", 1, float("nan")))
        th.join(15)
        msgs = result["msgs"]
    cfg = next(m for m in msgs if m["t"] == "config")
    assert cfg["names"][0] == "right buttock muscle"
    assert cfg["rules"][0]["first_name"] == "buttock muscle of the lifting leg"
    assert cfg["rules"][0]["core"] is True
    s = next(m for m in msgs if m["t"] == "s")
    assert s["v"] == [12.3, None] and s["s"] == "10" and s["a"] == "10"
    assert s["ts"] == pytest.approx(t_recv)
    ev = next(m for m in msgs if m["t"] == "ev")
    assert ev["violation"] is True and ev["value"] is None  # NaN is not valid JSON
    assert any(m["t"] == "msg" and "unknown command 'rm -rf'" in m["text"] for m in msgs)
    assert d.commands.get_nowait() == ("marker", "cue")
    assert d.commands.get_nowait() == ("stop", None)
    assert d.stop_event.is_set()  # run_feedback(..., stop=page.stop_event) ends on Stop


def test_serve_feedback_commands_level_marker_stop(tmp_path):
    """The clinician's level, marker and stop buttons, through the socket."""
    out = tmp_path / "s.csv"
    disp = WebDisplay(port=0, announce=None)
    disp.start()
    res = {}

    def run():
        res["runs"] = serve_feedback(display=disp, duration=60.0, record_to=out, seed=2)

    th = threading.Thread(target=run)
    th.start()
    ws = f"ws://127.0.0.1:{disp.port}/ws"

    async def drive():
        got = []
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(ws) as w:
                async def until(pred):
                    return await _until(w, pred, got)

                await until(lambda m: m["t"] == "status" and m.get("running"))
                await until(lambda m: m["t"] == "s")
                await w.send_str(json.dumps({"t": "cmd", "cmd": "level", "arg": 9}))
                await until(lambda m: m["t"] == "msg" and "no level 9" in m["text"])
                await w.send_str(json.dumps({"t": "cmd", "cmd": "level", "arg": 2}))
                cfg = await until(lambda m: m["t"] == "config" and m.get("level") == 2)
                await until(lambda m: m["t"] == "s")
                await w.send_str(json.dumps({"t": "cmd", "cmd": "marker", "arg": "pain"}))
                await until(lambda m: m["t"] == "msg" and "marker 'pain'" in m["text"])
                await w.send_str(json.dumps({"t": "cmd", "cmd": "stop"}))
                await until(lambda m: m["t"] == "end")
                return cfg, got

    cfg, got = asyncio.run(drive())
    th.join(60)
    disp.stop()
    runs = res["runs"]
    assert len(runs) == 2  # the level change restarted the run, stop ended it
    assert runs[1].settings["targets"] == PHE
    # level 2 has no amount criterion: no zone; level 2's rules only
    assert cfg["zones"] == [None] * len(cfg["channels"])
    assert {r["id"] for r in cfg["rules"]} == {"gmax-before-ipsilateral-es",
                                               "gmax-before-contralateral-es",
                                               "hamstrings-before-es"}
    second = tmp_path / "s-2.csv"
    assert out.exists() and second.exists()
    side = json.loads(second.with_name(second.name + ".json").read_text())
    assert "pain" in json.dumps(side)


def test_start_after_stop_runs_again_until_the_program_stops(tmp_path):
    """Without a duration the page's Start begins a new run (a new numbered recording)."""
    out = tmp_path / "r.csv"
    disp = WebDisplay(port=0, announce=None)
    disp.start()
    quit_ = threading.Event()
    res = {}
    th = threading.Thread(target=lambda: res.setdefault("runs", serve_feedback(
        display=disp, record_to=out, seed=4, stop=quit_)))
    th.start()
    ws = f"ws://127.0.0.1:{disp.port}/ws"

    async def drive():
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(ws) as w:
                async def until(pred):
                    return await _until(w, pred)

                for run in (1, 2):
                    await until(lambda m: m["t"] == "status" and m.get("running")
                                and m.get("run") == run)
                    await until(lambda m: m["t"] == "s")
                    await w.send_str(json.dumps({"t": "cmd", "cmd": "stop"}))
                    await until(lambda m: m["t"] == "status" and m.get("waiting"))
                    if run == 1:
                        await w.send_str(json.dumps({"t": "cmd", "cmd": "start"}))

    asyncio.run(drive())
    quit_.set()  # Ctrl+C in the command line
    th.join(30)
    disp.stop()
    assert not th.is_alive() and len(res["runs"]) == 2
    assert out.exists() and (tmp_path / "r-2.csv").exists()
    assert not (tmp_path / "r-3.csv").exists()


def test_mvc_capture_prompts_on_the_page_and_is_recorded(tmp_path):
    out = tmp_path / "m.csv"
    disp = WebDisplay(port=0, announce=None)
    msgs: list[str] = []
    disp.message = lambda text: msgs.append(text)  # the prompts the page shows
    res = {}
    runs = serve_feedback(display=disp, duration=2.0, record_to=out, seed=1,
                          reference="capture", reference_seconds=0.5,
                          on_result=lambda r: res.setdefault("first", r))
    disp.stop()
    prompts = [m for m in msgs if re.match(r"MVC \d", m)]
    # one prompt per muscle of the simulated montage, in order, then "rest"
    assert [p.split(":")[0] for p in prompts] == [f"MVC {k}/4" for k in range(1, 5)]
    assert "contract gluteus maximus as hard as you can" in " ".join(prompts)
    assert len(runs) == 1 and runs[0] is res["first"]
    assert runs[0].settings["unit"] == "%MVC"
    assert runs[0].settings["reference"]  # the captured reference scaled the bars
    side = json.loads(out.with_name(out.name + ".json").read_text())
    assert "mvc:gluteus_maximus" in json.dumps(side)  # markers of the capture recorded


# ------------------------------------------------------------------ browser
def _browser_or_skip():
    """Paths of chromium and chromedriver; skips where they or selenium are absent."""
    pytest.importorskip("selenium.webdriver")
    found = find_chromium()
    if found is None:
        pytest.skip("chromium and chromedriver (Debian: chromium-driver) are not installed")
    return found


def open_browser(width=1920, height=1080, *, mobile=False):
    """Headless Chromium (Debian's) driven by Selenium at a viewport size."""
    return open_chromium(*_browser_or_skip(), width, height, mobile=mobile)


def page(d):
    return d.execute_script(
        "const b=[...document.querySelectorAll('.bar .fill')].map(e=>e.style.transform);"
        "return {frames: emgPage.frames, reps: emgPage.reps, sentence: emgPage.sentence,"
        " lights: emgPage.lights, bars: b, banner: document.getElementById('banner')"
        ".classList.contains('hidden') ? '' : document.getElementById('banner').textContent,"
        " good: document.getElementById('sentence').classList.contains('good'),"
        " bad: document.getElementById('sentence').classList.contains('bad'),"
        " quality: [...document.querySelectorAll('#quality tr')].map(r=>r.textContent),"
        " faults: [...document.querySelectorAll('.bar.fault')].map(r=>r.dataset.channel),"
        " lat: emgLatency.painted.slice(), drawn: emgLatency.drawn.slice(),"
        " next: emgLatency.presented.slice(),"
        " offset: emgLatency.offset_ms}")


def _scale(t):
    m = re.search(r"scaleX\(([-\d.e]+)\)", t or "")
    return float(m.group(1)) if m else 0.0


def _expected_order_violation(variant, seed, trial=0):
    """Did the simulated subject's ES (side of the leg) start > 20 ms before GMax R?"""
    from emgcontrol.acquire import BoardSession

    s = BoardSession("simulated", variant=variant, seed=seed, duration=30)
    on = {a.channel: a.onset for a in s.truth.activations if a.trial == trial
          and a.phase == "lift"}
    es = min(on[c] for c in ("LT R", "MF R"))
    return es < on["GMax R"] - 0.020


def test_cli_live_web_in_chromium_reversed_order_railed_electrode_and_cable_pull(tmp_path):
    _browser_or_skip()
    assert _expected_order_violation("reversed", 0)  # the fault the page must show
    exe = shutil.which("emgcontrol", path=os.path.dirname(sys.executable)) or "emgcontrol"
    out = tmp_path / "s.csv"
    proc = subprocess.Popen(
        [exe, "live", "--display", "web", "--port", "0", "--duration", "24",
         "--variant", "reversed", "--fault", "GMax L=railed", "--cable-pull", "13:3",
         "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    d = None
    try:
        url = None
        lines = []
        t0 = time.time()
        while url is None and time.time() - t0 < 60:
            line = proc.stdout.readline()
            lines.append(line)
            m = re.search(r"live feedback page: (http://127\.0\.0\.1:\d+/)\s", line)
            if m:
                url = m.group(1)
        assert url, "".join(lines)
        d = open_browser(1920, 1080)
        d.get(url)
        seen = []
        t0 = time.time()
        while proc.poll() is None and time.time() - t0 < 60:
            seen.append(page(d))
            time.sleep(0.25)
        final = page(d)
        rest = proc.stdout.read()
    finally:
        if d is not None:
            d.quit()
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    assert proc.returncode == 0, rest
    # bars move: the right gluteus bar took many different lengths
    gmax_r = {round(_scale(p["bars"][5]), 3) for p in seen if len(p["bars"]) == 8}
    assert len(gmax_r) > 10
    assert max(gmax_r) > 0.1  # above 10 %MVC during a lift
    # the order verdict of the simulated fault: back muscles before the buttock muscle
    lights = {x["id"]: x["state"] for x in final["lights"]}
    assert lights["gmax-before-ipsilateral-es"] == "bad"
    assert any(p["bad"] and p["sentence"].startswith(
        "Your lower-back muscles on the side of the lifting leg came on before your "
        "buttock muscle") for p in seen)
    assert final["reps"] >= 2
    # the railed electrode is named on the page (bar, quality table, banner)
    assert "GMax L" in final["faults"]
    assert any("GMax L" in q and "railed" in q for q in final["quality"])
    assert any("Check electrode GMax L" in p["banner"] for p in seen)
    # the pulled cable: the page said that data stopped
    assert any(p["banner"].startswith("No data for") for p in seen)
    # latency measured by the page, newest sample -> frame on screen
    lat = np.asarray(final["lat"])
    assert lat.size > 100 and np.isfinite(lat).all()
    assert abs(final["offset"]) < 50  # same computer: the clocks agree (offset measured)
    assert np.median(lat) > 0
    # the three marks are in their order: drawn, then that frame rendered, then next frame
    assert np.median(final["drawn"]) <= np.median(lat) <= np.median(final["next"])
    print(f"\nsample-to-screen (Chromium, CLI, 8 ch 250 Hz): median {np.median(lat):.1f} ms, "
          f"p99 {np.percentile(lat, 99):.1f} ms over {lat.size} frames")
    assert out.exists() and "recorded to" in rest


def test_python_api_typical_order_in_chromium_on_a_phone(tmp_path):
    _browser_or_skip()
    assert not _expected_order_violation("typical", 3)
    disp = WebDisplay(port=0, announce=None)
    disp.start()
    res = {}

    def run():
        res["runs"] = serve_feedback(display=disp, duration=13.0, seed=3)

    d = open_browser(390, 844, mobile=True)
    try:
        d.get(disp.url)
        th = threading.Thread(target=run)
        th.start()
        seen = []
        while th.is_alive():
            seen.append(page(d))
            time.sleep(0.25)
        final = page(d)
        d.save_screenshot(str(tmp_path / "phone.png"))
        size = d.execute_script("return [innerWidth, innerHeight, "
                                "document.documentElement.scrollWidth]")
    finally:
        d.quit()
        disp.stop()
    assert size[0] == 390 and size[2] <= 390  # no sideways scrolling on a phone
    lights = {x["id"]: x["state"] for x in final["lights"]}
    assert lights["gmax-before-ipsilateral-es"] == "ok"
    assert any(p["good"] and "came on before" in p["sentence"] and "well done" in
               p["sentence"] for p in seen)
    assert final["reps"] >= 1
    assert len(res["runs"]) == 1 and res["runs"][0].n_blocks > 0
    assert (tmp_path / "phone.png").stat().st_size > 10_000
    assert math.isfinite(np.median(final["lat"]))
