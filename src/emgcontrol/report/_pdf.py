"""A4 pages for paper, laid out from blocks (headings, paragraphs, tables, figures).

The report builds one list of blocks from the same content the HTML shows
(:meth:`emgcontrol.report.Report.pdf_blocks`); :func:`write_pdf` flows them onto A4
pages with matplotlib's PDF backend (pure Python, no system library): headings stay
with the block that follows them, tables are ruled tables whose rows never split and
whose header repeats on a new page, figures are scaled to the text width and shrunk to
fill the rest of a page that is still mostly empty rather than leaving it blank.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Heading", "Para", "Table", "Image", "Badges", "write_pdf", "PAGE", "MARGIN"]

PAGE = (8.27, 11.69)
"""A4 in inches."""
MARGIN = 0.6
"""Page margin, inches."""
_W = PAGE[0] - 2 * MARGIN
_INK = "#1b1f23"
_MUTED = "#57606a"
_LINE = "#c8cfd6"


_RENDERER: Any = None
_WIDTHS: dict[tuple[str, float, bool], float] = {}


def _width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in inches as matplotlib's PDF backend draws it."""
    global _RENDERER
    key = (text, size, bold)
    w = _WIDTHS.get(key)
    if w is None:
        if _RENDERER is None:
            from matplotlib.textpath import TextToPath

            _RENDERER = TextToPath()  # unhinted outlines, as the PDF backend places glyphs
        from matplotlib.font_manager import FontProperties

        fp = FontProperties(size=size, weight="bold" if bold else "normal")
        w = _RENDERER.get_text_width_height_descent(text, fp, ismath=False)[0] / 72.0
        _WIDTHS[key] = w
    return w


def _wrap(text: str, width_in: float, size: float, bold: bool = False) -> list[str]:
    """Lines of ``text`` no wider than ``width_in`` (words split only when one word is
    wider than the line)."""
    out: list[str] = []
    for para in str(text).split("\n"):
        line = ""
        for word in para.split():
            cand = f"{line} {word}" if line else word
            if _width(cand, size, bold) <= width_in:
                line = cand
                continue
            if line:
                out.append(line)
            while _width(word, size, bold) > width_in and len(word) > 1:
                n = max(1, int(len(word) * width_in / _width(word, size, bold)))
                out.append(word[:n])
                word = word[n:]
            line = word
        out.append(line)
    return out


def _lh(size: float) -> float:
    """Line height (inches) of a font size (points)."""
    return size * 1.32 / 72.0


@dataclass
class Heading:
    text: str
    level: int = 2

    @property
    def size(self) -> float:
        return {1: 17.0, 2: 12.5, 3: 10.5}[self.level]

    def height(self) -> float:
        lines = _wrap(self.text, _W, self.size, True)
        return len(lines) * _lh(self.size) + (0.22 if self.level <= 2 else 0.1)


@dataclass
class Para:
    text: str
    size: float = 9.0
    colour: str = _INK
    bold: bool = False
    box: str | None = None  # background colour of a boxed note
    gap: float = 0.08  # space after, inches

    def lines(self) -> list[str]:
        return _wrap(self.text, _W - (0.2 if self.box else 0.0), self.size, self.bold)

    def height(self) -> float:
        return len(self.lines()) * _lh(self.size) + self.gap + (0.1 if self.box else 0.0)


@dataclass
class Badges:
    """A row of number cards: (number, label, colour)."""

    cards: list[tuple[str, str, str]]

    def height(self) -> float:
        return 0.72


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[float]  # shares of the text width
    size: float = 8.0
    badge_col: int | None = None  # column whose text is a verdict (coloured)
    badge_colours: dict[str, str] = field(default_factory=dict)
    bold_col: int | None = None

    def _cells(self, row: Sequence[str], header: bool = False) -> list[list[str]]:
        return [_wrap(str(c), w * _W - 0.1, self.size,
                      header or j == self.badge_col or j == self.bold_col)
                for j, (c, w) in enumerate(zip(row, self.widths))]

    def row_height(self, row: Sequence[str], header: bool = False) -> float:
        return max(len(c) for c in self._cells(row, header)) * _lh(self.size) + 0.08

    def height(self) -> float:
        return (self.row_height(self.header, True) + sum(self.row_height(r) for r in self.rows)
                + 0.12)


@dataclass
class Image:
    png: bytes
    title: str
    caption: str
    dpi: float
    max_share: float = 1.0  # largest share of the page's text height the image may take

    def size(self) -> tuple[float, float]:
        import matplotlib.image as mpimg

        if not hasattr(self, "_img"):
            self._img = mpimg.imread(io.BytesIO(self.png), format="png")
        h, w = self._img.shape[:2]
        return w / self.dpi, h / self.dpi

    def extra(self, scale_w: float = _W) -> float:
        cap = _wrap(self.caption, _W, 8.0)
        return _lh(11.0) + 0.06 + len(cap) * _lh(8.0) + 0.2


class _Pages:
    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self.fig: Any = None
        self.ax: Any = None
        self.y = 0.0
        self.n = 0

    @property
    def bottom(self) -> float:
        return PAGE[1] - MARGIN

    @property
    def left(self) -> float:
        return self.bottom - self.y

    @property
    def used(self) -> float:
        return (self.y - MARGIN) / (PAGE[1] - 2 * MARGIN)

    def new(self) -> None:
        from matplotlib.figure import Figure

        self.flush()
        self.fig = Figure(figsize=PAGE)
        ax = self.fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, PAGE[0])
        ax.set_ylim(PAGE[1], 0)
        ax.set_axis_off()
        self.ax = ax
        self.y = MARGIN
        self.n += 1
        self.ax.text(PAGE[0] - MARGIN, PAGE[1] - MARGIN / 2, f"page {self.n}", fontsize=7,
                     color=_MUTED, ha="right", va="center")

    def flush(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def ensure(self, h: float) -> None:
        if self.fig is None or (h > self.left and self.y > MARGIN + 1e-6):
            self.new()

    def text(self, x: float, s: str, size: float, colour: str = _INK, bold: bool = False,
             **kw: Any) -> None:
        self.ax.text(x, self.y, s, fontsize=size, color=colour, va="top", ha="left",
                     fontweight="bold" if bold else "normal", **kw)


def _heading(P: _Pages, b: Heading, after: float) -> None:
    P.ensure(b.height() + after)
    if b.level <= 2 and P.y > MARGIN + 1e-6:
        P.y += 0.1
    for ln in _wrap(b.text, _W, b.size, True):
        P.text(MARGIN, ln, b.size, bold=True)
        P.y += _lh(b.size)
    if b.level == 2:
        P.ax.plot([MARGIN, PAGE[0] - MARGIN], [P.y + 0.02] * 2, color=_LINE, lw=1.2)
    P.y += 0.12 if b.level <= 2 else 0.04


def _para(P: _Pages, b: Para) -> None:
    from matplotlib.patches import Rectangle

    lines = b.lines()
    lh = _lh(b.size)
    i = 0
    while i < len(lines):
        P.ensure(min(len(lines) - i, 2) * lh + 0.08)
        fit = max(1, int((P.left - 0.08 - (0.1 if b.box else 0)) // lh))
        chunk = lines[i:i + fit]
        x = MARGIN + (0.1 if b.box else 0.0)
        if b.box:
            h = len(chunk) * lh + 0.1
            P.ax.add_patch(Rectangle((MARGIN, P.y), _W, h, color=b.box, lw=0, zorder=0))
            P.ax.add_patch(Rectangle((MARGIN, P.y), 0.04, h, color="#8c959f", lw=0))
            P.y += 0.05
        for ln in chunk:
            P.text(x, ln, b.size, b.colour, b.bold)
            P.y += lh
        P.y += b.gap + (0.05 if b.box else 0.0)
        i += len(chunk)


def _badges(P: _Pages, b: Badges) -> None:
    from matplotlib.patches import FancyBboxPatch

    P.ensure(b.height())
    n = len(b.cards)
    gap = 0.12
    w = (_W - gap * (n - 1)) / n
    for k, (num, label, colour) in enumerate(b.cards):
        x = MARGIN + k * (w + gap)
        P.ax.add_patch(FancyBboxPatch((x, P.y), w, 0.6, boxstyle="round,pad=0,rounding_size=0.06",
                                      fc="#f6f8fa", ec=_LINE, lw=0.8))
        P.ax.text(x + 0.12, P.y + 0.08, num, fontsize=17, fontweight="bold", color=colour,
                  va="top")
        P.ax.text(x + 0.12, P.y + 0.42, label, fontsize=7.5, color=_MUTED, va="top")
    P.y += b.height()


def _table(P: _Pages, b: Table) -> None:
    from matplotlib.patches import Rectangle

    lh = _lh(b.size)
    xs = [MARGIN]
    for w in b.widths:
        xs.append(xs[-1] + w * _W)

    def draw_row(row: Sequence[str], header: bool) -> None:
        cells = b._cells(row, header)
        h = max(len(c) for c in cells) * lh + 0.08
        if header:
            P.ax.add_patch(Rectangle((MARGIN, P.y), _W, h, color="#eef1f4", lw=0, zorder=0))
        for j, lines in enumerate(cells):
            colour = _INK
            bold = header or j == b.bold_col
            if not header and j == b.badge_col:
                colour = b.badge_colours.get(str(row[j]).split()[0] if row[j] else "", _INK)
                bold = True
            for i, ln in enumerate(lines):
                P.ax.text(xs[j] + 0.05, P.y + 0.04 + i * lh, ln, fontsize=b.size, color=colour,
                          fontweight="bold" if bold else "normal", va="top", ha="left")
        P.y += h
        P.ax.plot([MARGIN, PAGE[0] - MARGIN], [P.y, P.y], color=_LINE, lw=0.6)

    hh = b.row_height(b.header, True)
    first = b.row_height(b.rows[0]) if b.rows else 0.0
    P.ensure(hh + first)
    P.ax.plot([MARGIN, PAGE[0] - MARGIN], [P.y, P.y], color=_LINE, lw=0.6)
    draw_row(b.header, True)
    for r in b.rows:
        if b.row_height(r) > P.left:
            P.new()
            P.ax.plot([MARGIN, PAGE[0] - MARGIN], [P.y, P.y], color=_LINE, lw=0.6)
            draw_row(b.header, True)
        draw_row(r, False)
    P.y += 0.12


def _image_scale(P: _Pages, b: Image, above: float = 0.0) -> float | None:
    """Scale of the image on the current page below ``above`` inches of other content,
    or None when it goes to a new page: a page still mostly empty takes the figure
    shrunk (down to 55 %) rather than staying blank."""
    w_in, h_in = b.size()
    extra = b.extra()
    full = PAGE[1] - 2 * MARGIN
    scale = min(_W / w_in, (full - extra) / h_in, b.max_share * full / h_in)
    if P.fig is None:
        return None
    left = P.left - above
    if h_in * scale + extra <= left:
        return scale
    fit = (left - extra) / h_in
    used = P.used + above / full
    if used < 0.45 and fit >= 0.55 * scale:
        return fit
    return None


def _image(P: _Pages, b: Image) -> None:
    w_in, h_in = b.size()
    sc = _image_scale(P, b)
    if sc is None:
        P.new()
        sc = _image_scale(P, b)
        assert sc is not None
    scale = sc
    w, h = w_in * scale, h_in * scale
    P.text(MARGIN, b.title, 11.0, bold=True)
    P.y += _lh(11.0) + 0.06
    x0 = MARGIN + (_W - w) / 2
    P.ax.imshow(b._img, extent=(x0, x0 + w, P.y + h, P.y), interpolation="antialiased",
                aspect="auto")
    P.ax.set_xlim(0, PAGE[0])
    P.ax.set_ylim(PAGE[1], 0)
    P.y += h + 0.06
    for ln in _wrap(b.caption, _W, 8.0):
        P.text(MARGIN, ln, 8.0, _MUTED)
        P.y += _lh(8.0)
    P.y += 0.2


def write_pdf(path: Any, blocks: Sequence[Any], metadata: dict[str, str] | None = None
              ) -> int:
    """Lay ``blocks`` out on A4 pages and write them to ``path``; returns the page count."""
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path, metadata=metadata or {}) as pdf:
        P = _Pages(pdf)
        for i, b in enumerate(blocks):
            if isinstance(b, Heading):
                nxt = blocks[i + 1] if i + 1 < len(blocks) else None
                after = 0.0
                if isinstance(nxt, Para):
                    after = min(nxt.height(), 3 * _lh(nxt.size))
                elif isinstance(nxt, Table):
                    after = nxt.row_height(nxt.header) + (nxt.row_height(nxt.rows[0])
                                                          if nxt.rows else 0)
                elif isinstance(nxt, Image):
                    if P.fig is not None and _image_scale(P, nxt, b.height() + 0.1) is None:
                        P.new()
                elif nxt is not None and hasattr(nxt, "height"):
                    after = nxt.height()
                _heading(P, b, after)
            elif isinstance(b, Para):
                _para(P, b)
            elif isinstance(b, Badges):
                _badges(P, b)
            elif isinstance(b, Table):
                _table(P, b)
            elif isinstance(b, Image):
                _image(P, b)
            else:  # pragma: no cover - a programming error
                raise TypeError(f"unknown PDF block {type(b).__name__}")
        P.flush()
        return P.n
