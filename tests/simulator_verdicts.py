"""Expected verdicts of the built-in patterns on the simulator's protocol variants
(:func:`emgcontrol.simulate.simulate`): one table for the tests
(``test_patterns_rates.py``, ``test_patterns_faults.py``) and the verdict benchmark
(``benchmarks/bench_patterns.py``, which puts ``tests/`` on ``sys.path``).

The truth of the second EMG model is ``second_model.TRUTH``.
"""

from __future__ import annotations

P, F = "pass", "fail"

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("prone-hip-extension", "typical"): {
        "gmax-before-ipsilateral-es": P, "gmax-before-contralateral-es": P,
        "hamstrings-before-es": P, "gmax-on-time": P, "janda-sequence": P, "gmax-amount": P},
    ("prone-hip-extension", "reversed"): {
        "gmax-before-ipsilateral-es": F, "gmax-before-contralateral-es": F,
        "hamstrings-before-es": F, "gmax-on-time": P, "janda-sequence": F, "gmax-amount": P},
    ("prone-hip-extension", "delayed-gluteus"): {
        "gmax-before-ipsilateral-es": F, "gmax-before-contralateral-es": F,
        "hamstrings-before-es": P, "gmax-on-time": F, "janda-sequence": F, "gmax-amount": F},
    ("arm-raise", "typical"): {
        "deep-abdominals-feedforward": P, "multifidus-anticipatory": P,
        "erector-spinae-anticipatory": P},
    ("arm-raise", "delayed-trunk"): {
        "deep-abdominals-feedforward": F, "multifidus-anticipatory": P,
        "erector-spinae-anticipatory": P},
    ("flexion-relaxation", "typical"): {
        "flexion-relaxation-ratio": P, "extension-relaxation-ratio": P},
    ("flexion-relaxation", "absent"): {
        "flexion-relaxation-ratio": F, "extension-relaxation-ratio": F},
    ("sorensen", "typical"): {"back-mdf-slope": P},
    ("sorensen", "fast-fatigue"): {"back-mdf-slope": F},
    ("lift", "typical"): {"knee-extensor-share": P, "knee-extensors-lead": P, "back-load": P},
    ("lift", "back-dominant"): {"knee-extensor-share": F, "knee-extensors-lead": F,
                                "back-load": F},
}
"""Expected verdict of every criterion per (protocol, simulator variant).

Why (simulator physiology, ``emgcontrol/simulate/_protocols.py``):

* prone hip extension, ``reversed``: erector spinae first (ipsilateral, then
  contralateral +60 ms), gluteus maximus +120 ms, hamstrings +180 ms: every order
  criterion fails; the gluteus is still active before the leg moves (the leg
  starts with the first hip extensor) and at 25 %MVC, so ``gmax-on-time`` and
  ``gmax-amount`` pass.
* ``delayed-gluteus``: gluteus maximus +260 ms after the hamstrings, after both
  erector spinae, at 15 instead of 25 %MVC: gluteus order, timing (about +190 ms
  after movement onset), sequence and amount fail; hamstrings still lead the back.
* arm raise, ``delayed-trunk``: IO/TrA +40 ms after the deltoid (typical -40 ms);
  multifidus (-10 ms) and erector spinae (+15-20 ms) unchanged.
* flexion-relaxation, ``absent``: erector spinae stay at 80 % of their flexion level
  at full flexion: FRR about 1.3, ERR about 2.
* Sorensen, ``fast-fatigue``: back-extensor MDF slope -0.60 instead of -0.25 %/s.
* lift, ``back-dominant``: erector spinae lead at 60-65 %MVC, vastus lateralis 15
  %MVC and late.
"""

NEEDS_MVC = ("prone-hip-extension", "lift")
"""Protocols with %MVC criteria: their sessions start with an MVC block."""

ACCEPTANCE = [("prone-hip-extension", "typical"), ("prone-hip-extension", "reversed"),
              ("arm-raise", "typical"), ("arm-raise", "delayed-trunk"),
              ("flexion-relaxation", "typical"), ("flexion-relaxation", "absent")]
"""Conditions of the acceptance criterion (correct/reversed order, delayed trunk
onset, absent flexion-relaxation, with their typical counterparts)."""
