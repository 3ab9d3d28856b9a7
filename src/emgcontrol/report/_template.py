"""The HTML report as one Jinja2 template (autoescaped), filled by :meth:`Report.to_html`.

The template holds the document's structure only; every sentence that states a number
comes from the content model the PDF reads too (:func:`emgcontrol.report.summarize`,
the report's tables and figure specs).  Jinja2 comes with MNE, a dependency already.
"""

from __future__ import annotations

from typing import Any

__all__ = ["render_html"]

TEMPLATE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="emgcontrol">
<title>{{ title }} -- emgcontrol assessment</title>
<style>{{ css|safe }}</style></head><body><main>
{%- macro figure(f) %}
<figure id="{{ f.id }}"><img alt="{{ f.alt }}" src="data:image/png;base64,{{ f.data }}"><figcaption><strong>{{ f.title }}.</strong> {{ f.caption }}</figcaption></figure>
{%- endmacro %}
<header id="session-header">
<h1>{{ title }}</h1>
<p class="sub">Surface-EMG muscle-recruitment assessment{% if patient %} -- patient {{ patient }}{% endif %} -- {{ date }}</p>
<div class="cards">
<div class="card score"><div class="num">{{ score_text }}</div><div class="lbl">score / 100 over {{ sm.n_assessed }} assessed</div></div>
{%- for cls, num, label in cards %}
<div class="card {{ cls }}"><div class="num">{{ num }}</div><div class="lbl">{{ label }}</div></div>
{%- endfor %}
</div>
<p id="headline" class="headline">{{ sm.headline }}.</p>
{%- if sm.trials_note %}
<p class="note" id="trials-note">{{ sm.trials_note }}</p>
{%- endif %}
{%- if sm.not_judged %}
<div id="not-judged" class="notjudged"><strong>Not assessable, and what to do</strong><ul>
{%- for g in sm.not_judged %}
<li><strong>{{ g.reason }}</strong> ({{ g.criteria|length }} criteri{{ "on" if g.criteria|length == 1 else "a" }}): {{ g.action }}.</li>
{%- endfor %}
</ul></div>
{%- endif %}
<dl class="kv">{% for k, v in session_rows %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}</dl>
</header>
<nav class="toc" aria-label="Contents"><strong>Contents</strong><ul>{% for k, t in sections %}<li><a href="#{{ k }}">{{ t }}</a></li>{% endfor %}</ul></nav>

<section id="criteria"><h2>Results by criterion</h2>
<p>{{ criteria_intro }}</p>
<div class="table-wrap"><table id="criteria-table" class="stack"><thead><tr><th>Criterion</th><th>Verdict</th><th>Measured</th><th>Target</th><th>Repetitions</th><th>What it means</th></tr></thead><tbody>
{%- for ln, cr in criteria %}
<tr id="criterion-{{ ln.id }}" data-verdict="{{ ln.verdict }}"{% if ln.preliminary %} data-preliminary{% endif %}><td data-label="Criterion"><strong>{{ ln.title }}</strong>{% if ln.informative %} <span class="small">(informative)</span>{% endif %}<div class="cid">{{ ln.id }}</div></td><td data-label="Verdict"><span class="badge {{ ln.verdict }}">{{ verdict_text[ln.verdict] }}</span>{% if ln.preliminary %} <span class="badge prelim">preliminary</span>{% endif %}</td><td data-label="Measured" class="val">{{ ln.value }}</td><td data-label="Target" class="val">{{ ln.target }}</td><td data-label="Repetitions">{{ ln.trials }}</td><td data-label="What it means">{{ ln.sentence }}
{%- if ln.verdict == "not_assessable" %}<details class="small"><summary>Details</summary>{{ cr.reason }}</details>
{%- elif cr.reason %}<div class="small">Note: {{ cr.reason }}</div>{% endif %}</td></tr>
{%- endfor %}
</tbody></table></div>
{%- for f in figs.criteria %}{{ figure(f) }}{% endfor %}
</section>

<section id="quality"><h2>Signal quality</h2>
<p>{{ quality_intro }}</p>
<div class="table-wrap"><table id="quality-table" class="stack"><thead><tr><th>Channel</th><th>Muscle</th><th>Quality</th><th>Usable</th><th>SNR (dB)</th><th>Noise (uV RMS)</th><th>Mains (%)</th><th>ECG (%)</th><th>Remarks</th></tr></thead><tbody>
{%- for r in quality %}
<tr><td data-label="Channel">{{ r.channel }}{% if not r.in_pattern %} <span class="small">(not used)</span>{% endif %}</td><td data-label="Muscle">{{ r.muscle }}</td><td data-label="Quality"><span class="badge {{ r.cls }}">{{ r.verdict }}</span></td><td data-label="Usable">{% if r.usable %}yes{% else %}<strong>no</strong>{% endif %}</td><td data-label="SNR (dB)" class="num">{{ r.snr }}</td><td data-label="Noise (uV RMS)" class="num">{{ r.noise }}</td><td data-label="Mains (%)" class="num">{{ r.mains }}</td><td data-label="ECG (%)" class="num">{{ r.ecg }}</td><td data-label="Remarks">{{ r.remark }}{% if r.details %}<details class="small"><summary>Details</summary>{{ r.details }}</details>{% endif %}</td></tr>
{%- endfor %}
</tbody></table></div></section>

<section id="traces"><h2>Muscle traces</h2>
{%- for f in figs.traces %}{{ figure(f) }}{% else %}
<p class="note">The signals are not part of this report (the report was made from stored results without the recording).</p>
{%- endfor %}
</section>

<section id="timing"><h2>Timing</h2>
{%- for f in figs.timing %}{{ figure(f) }}{% endfor %}
{%- if firing_order %}
<p>{{ firing_order }}</p>
{%- endif %}
{%- if not figs.timing %}
<p>No onsets were measured in this session.</p>
{%- endif %}
</section>

<section id="amounts"><h2>Amounts</h2>
{%- for f in figs.amounts %}{{ figure(f) }}{% else %}
<p>No amplitudes were measured for this protocol{% if no_mvc %} (no maximal-contraction reference was recorded){% endif %}.</p>
{%- endfor %}
</section>

<section id="ratios"><h2>Ratios and co-contraction</h2>
{%- for f in figs.ratios %}{{ figure(f) }}{% endfor %}
{%- if ratios %}
<div class="table-wrap"><table id="ratio-table" class="stack"><thead><tr><th>Measure</th><th>Repetition</th><th>Phase</th><th>Value</th><th>Status</th></tr></thead><tbody>
{%- for r in ratios %}
<tr><td data-label="Measure">{{ r.what }}</td><td data-label="Repetition">{{ r.trial }}</td><td data-label="Phase">{{ r.phase }}</td><td data-label="Value" class="num">{{ r.value }}</td><td data-label="Status">{{ r.status }}</td></tr>
{%- endfor %}
</tbody></table></div>
{%- elif not figs.ratios %}
<p>This protocol has no ratio, co-contraction, flexion-relaxation or fatigue criterion.</p>
{%- endif %}
</section>

<section id="progress"><h2>Progress</h2>
{%- if level_text %}
<p>{{ level_text }}</p>
{%- endif %}
{%- for f in figs.progress %}{{ figure(f) }}{% else %}
{%- if no_history %}
<p>No patient id was given: this session was not stored, so there is no progress to show (use <code>--patient ID</code>).</p>
{%- else %}
<p>This is the first stored session of this patient in this protocol; progress charts appear from the second session on.</p>
{%- endif %}
{%- endfor %}
</section>

<section id="methods"><h2>Processing and reporting items</h2>
<p>{{ items_intro }}</p>
<div class="table-wrap"><table id="items-table" class="stack"><thead><tr><th>Section</th><th>Item</th><th>Value</th><th>Source</th></tr></thead><tbody>
{%- for it in items %}
<tr><td data-label="Section">{{ it.section }}</td><td data-label="Item">{{ it.item }}</td><td data-label="Value">{{ it.value }}</td><td data-label="Source" class="small">{{ it.source }}</td></tr>
{%- endfor %}
</tbody></table></div>
{%- if history %}
<h3>Processing history</h3><ol>
{%- for step, params in history %}
<li><strong>{{ step }}</strong> <span class="small">{{ params }}</span></li>
{%- endfor %}
</ol>
{%- endif %}
{%- if notes %}
<h3 id="notes">Processing notes</h3>
{%- for w in notes %}
<p class="note">{{ w }}</p>
{%- endfor %}
{%- endif %}
</section>

<section id="references"><h2>References</h2><ol class="refs">
{%- for r in references %}
<li>{{ r }}</li>
{%- endfor %}
</ol></section>
<footer>Made by emgcontrol {{ version }} on {{ created }}. This report supports clinical reasoning; it does not replace it.</footer>
</main></body></html>
"""

_TEMPLATE: Any = None


def render_html(context: dict[str, Any]) -> str:
    """The report's HTML from its context (see :meth:`Report.html_context`)."""
    global _TEMPLATE
    if _TEMPLATE is None:
        import jinja2

        env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                 keep_trailing_newline=True)
        _TEMPLATE = env.from_string(TEMPLATE)
    return str(_TEMPLATE.render(**context))
