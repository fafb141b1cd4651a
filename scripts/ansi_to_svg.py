#!/usr/bin/env python3
"""Render an ANSI terminal capture (e.g. `tmux capture-pane -p -e`) as an SVG screenshot.

Usage: ansi_to_svg.py [INPUT|-] [-o OUTPUT] [--cols N] [--rows N] [--title TEXT] [--no-chrome]

Understands the SGR attributes tmux emits: the 16 basic and bright colours, 256-colour
(38;5;N) and truecolor (38;2;R;G;B) foreground/background, in both `;` and `:` forms, plus
bold, dim, italic, underline, strikethrough, reverse and hidden. Other escape sequences
are dropped. Attributes carry over line ends, as they do in tmux's output.

The terminal is drawn on a fixed cell grid: backgrounds are rectangles, each run of
same-styled characters is one <text> with a textLength of exactly its cells (so column
alignment does not depend on the font's advance width), and box-drawing / block
characters are drawn as vector lines and rectangles so frames join without gaps in any
renderer. Python 3 standard library only.
"""

import argparse
import sys
import unicodedata
from dataclasses import dataclass, replace

# ---------------------------------------------------------------------------------------
# Look

DEFAULT_FG = (0xD4, 0xD7, 0xDD)
DEFAULT_BG = (0x1E, 0x21, 0x27)
# Basic 0-7 then bright 8-15 (a One Dark-like palette; index 0 stays visible on the bg).
PALETTE16 = [
    (0x3B, 0x40, 0x48), (0xE0, 0x6C, 0x75), (0x98, 0xC3, 0x79), (0xE5, 0xC0, 0x7B),
    (0x61, 0xAF, 0xEF), (0xC6, 0x78, 0xDD), (0x56, 0xB6, 0xC2), (0xC8, 0xCC, 0xD4),
    (0x7F, 0x84, 0x8E), (0xFF, 0x7B, 0x86), (0xB5, 0xE8, 0x90), (0xFF, 0xD6, 0x8A),
    (0x7C, 0xC4, 0xFF), (0xDE, 0x9B, 0xF0), (0x7F, 0xD6, 0xE0), (0xFF, 0xFF, 0xFF),
]
FONT_FAMILY = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace"
TITLE_FONT = "-apple-system, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif"
CHROME_BG = (0x15, 0x17, 0x1C)
TITLE_BAR = 30
PADDING = 14
DIM_MIX = 0.55  # dim text: this much of fg over bg


def palette256(index):
    if index < 16:
        return PALETTE16[index]
    if index < 232:
        index -= 16
        levels = (0, 95, 135, 175, 215, 255)
        return levels[index // 36], levels[(index // 6) % 6], levels[index % 6]
    grey = 8 + 10 * (index - 232)
    return grey, grey, grey


def hex_colour(rgb):
    return "#%02x%02x%02x" % tuple(max(0, min(255, round(c))) for c in rgb)


def mix(fg, bg, amount):
    return tuple(f * amount + b * (1 - amount) for f, b in zip(fg, bg))


# ---------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True)
class Style:
    fg: object = None  # None, ("i", n) or ("rgb", (r, g, b))
    bg: object = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    strike: bool = False
    reverse: bool = False
    hidden: bool = False


def parse_extended_colour(params, i):
    """Parse 38/48 arguments starting at params[i] (the 5 or 2). Return (colour, next i)."""
    if i >= len(params):
        return None, i
    kind = params[i]
    if kind == 5 and i + 1 < len(params):
        return ("i", params[i + 1] % 256), i + 2
    if kind == 2 and i + 3 < len(params):
        r, g, b = params[i + 1 : i + 4]
        return ("rgb", (r % 256, g % 256, b % 256)), i + 4
    return None, len(params)


def apply_sgr(style, text):
    """Apply one SGR parameter string (the part between ESC[ and m) to style."""
    if text == "":
        return Style()
    if ":" not in text:
        return apply_codes(style, text)
    for group in split_mixed(text):
        if isinstance(group, list):  # a colon sub-parameter group such as 38:2::r:g:b
            style = apply_colon_group(style, group)
            continue
        style = apply_codes(style, group)
    return style


def split_mixed(text):
    """Split parameters where some use colon sub-parameters: yield ints lists or strings."""
    out = []
    for part in text.split(";"):
        if ":" in part:
            out.append([p for p in part.split(":")])
        else:
            out.append(part)
    # Re-join plain parts so that `38;5;N` sequences next to colon groups still parse.
    result, plain = [], []
    for item in out:
        if isinstance(item, list):
            if plain:
                result.append(";".join(plain))
                plain = []
            result.append(item)
        else:
            plain.append(item)
    if plain:
        result.append(";".join(plain))
    return result


def apply_colon_group(style, parts):
    head = int(parts[0] or 0)
    if head in (38, 48, 58) and len(parts) >= 2:
        kind = int(parts[1] or 0)
        values = [int(p) if p else 0 for p in parts[2:]]
        colour = None
        if kind == 5 and values:
            colour = ("i", values[0] % 256)
        elif kind == 2:
            # 38:2:CS:r:g:b (with colour space id) or 38:2:r:g:b
            rgb = values[-3:] if len(values) >= 3 else None
            if rgb:
                colour = ("rgb", tuple(v % 256 for v in rgb))
        if head == 38:
            return replace(style, fg=colour)
        if head == 48:
            return replace(style, bg=colour)
        return style  # 58: underline colour, not drawn
    if head == 4:
        return replace(style, underline=(int(parts[1] or 0) != 0) if len(parts) > 1 else True)
    return apply_codes(style, parts[0])


def apply_codes(style, text):
    try:
        params = [int(p) if p else 0 for p in text.split(";")]
    except ValueError:
        return style
    i = 0
    while i < len(params):
        code = params[i]
        i += 1
        if code == 0:
            style = Style()
        elif code == 1:
            style = replace(style, bold=True)
        elif code == 2:
            style = replace(style, dim=True)
        elif code == 3:
            style = replace(style, italic=True)
        elif code in (4, 21):
            style = replace(style, underline=True)
        elif code == 7:
            style = replace(style, reverse=True)
        elif code == 8:
            style = replace(style, hidden=True)
        elif code == 9:
            style = replace(style, strike=True)
        elif code == 22:
            style = replace(style, bold=False, dim=False)
        elif code == 23:
            style = replace(style, italic=False)
        elif code == 24:
            style = replace(style, underline=False)
        elif code == 27:
            style = replace(style, reverse=False)
        elif code == 28:
            style = replace(style, hidden=False)
        elif code == 29:
            style = replace(style, strike=False)
        elif 30 <= code <= 37:
            style = replace(style, fg=("i", code - 30))
        elif code == 39:
            style = replace(style, fg=None)
        elif 40 <= code <= 47:
            style = replace(style, bg=("i", code - 40))
        elif code == 49:
            style = replace(style, bg=None)
        elif 90 <= code <= 97:
            style = replace(style, fg=("i", code - 90 + 8))
        elif 100 <= code <= 107:
            style = replace(style, bg=("i", code - 100 + 8))
        elif code in (38, 48, 58):
            colour, i = parse_extended_colour(params, i)
            if code == 38:
                style = replace(style, fg=colour)
            elif code == 48:
                style = replace(style, bg=colour)
        # anything else (blink, fonts, overline, ...) is ignored
    return style


def char_width(ch):
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(text, cols=None, rows=None):
    """Return a grid: list of rows, each a list of (char, Style) cells.

    A wide character occupies its cell and the next one, which holds None."""
    grid = []
    style = Style()
    for line in text.split("\n"):
        row = []
        i, n = 0, len(line)
        while i < n:
            ch = line[i]
            if ch == "\x1b":
                if i + 1 < n and line[i + 1] == "[":
                    j = i + 2
                    while j < n and not ("\x40" <= line[j] <= "\x7e"):
                        j += 1
                    if j < n and line[j] == "m":
                        style = apply_sgr(style, line[i + 2 : j])
                    i = j + 1
                    continue
                if i + 1 < n and line[i + 1] == "]":  # OSC ... BEL or ST
                    j = i + 2
                    while j < n and line[j] != "\x07" and not (line[j] == "\x1b" and j + 1 < n and line[j + 1] == "\\"):
                        j += 1
                    i = j + (2 if j < n and line[j] == "\x1b" else 1)
                    continue
                i += 2  # some other two-byte escape
                continue
            i += 1
            if ch == "\t":
                row.extend([(" ", style)] * (8 - len(row) % 8))
                continue
            if ch == "\r" or ord(ch) < 0x20 or ord(ch) == 0x7F:
                continue
            width = char_width(ch)
            if width == 0:
                if row and row[-1] is not None:
                    row[-1] = (row[-1][0] + ch, row[-1][1])
                continue
            row.append((ch, style))
            if width == 2:
                row.append(None)
        grid.append(row)
    if grid and not grid[-1] and text.endswith("\n"):
        grid.pop()
    if rows is not None:
        grid = grid[:rows] + [[] for _ in range(rows - len(grid))]
    width = cols if cols is not None else max((len(r) for r in grid), default=0)
    for index, row in enumerate(grid):
        row = row[:width]
        if row and row[-1] is not None and char_width(row[-1][0][0]) == 2:
            row[-1] = (" ", row[-1][1])  # a wide char whose second half was cut off
        grid[index] = row + [(" ", Style())] * (width - len(row))
    return grid, width


# ---------------------------------------------------------------------------------------
# Box drawing: (up, down, left, right) with weights 1 = light, 2 = heavy.

BOX = {}


def _box(chars, arms):
    for ch in chars:
        BOX[ch] = arms


_box("─", (0, 0, 1, 1))
_box("━", (0, 0, 2, 2))
_box("│", (1, 1, 0, 0))
_box("┃", (2, 2, 0, 0))
_box("┌", (0, 1, 0, 1))
_box("┍", (0, 1, 0, 2))
_box("┎", (0, 2, 0, 1))
_box("┏", (0, 2, 0, 2))
_box("┐", (0, 1, 1, 0))
_box("┑", (0, 1, 2, 0))
_box("┒", (0, 2, 1, 0))
_box("┓", (0, 2, 2, 0))
_box("└", (1, 0, 0, 1))
_box("┕", (1, 0, 0, 2))
_box("┖", (2, 0, 0, 1))
_box("┗", (2, 0, 0, 2))
_box("┘", (1, 0, 1, 0))
_box("┙", (1, 0, 2, 0))
_box("┚", (2, 0, 1, 0))
_box("┛", (2, 0, 2, 0))
_box("├", (1, 1, 0, 1))
_box("┝", (1, 1, 0, 2))
_box("┠", (2, 2, 0, 1))
_box("┣", (2, 2, 0, 2))
_box("┤", (1, 1, 1, 0))
_box("┥", (1, 1, 2, 0))
_box("┨", (2, 2, 1, 0))
_box("┫", (2, 2, 2, 0))
_box("┬", (0, 1, 1, 1))
_box("┯", (0, 1, 2, 2))
_box("┰", (0, 2, 1, 1))
_box("┳", (0, 2, 2, 2))
_box("┴", (1, 0, 1, 1))
_box("┷", (1, 0, 2, 2))
_box("┸", (2, 0, 1, 1))
_box("┻", (2, 0, 2, 2))
_box("┼", (1, 1, 1, 1))
_box("┿", (1, 1, 2, 2))
_box("╂", (2, 2, 1, 1))
_box("╋", (2, 2, 2, 2))
_box("╴", (0, 0, 1, 0))
_box("╵", (1, 0, 0, 0))
_box("╶", (0, 0, 0, 1))
_box("╷", (0, 1, 0, 0))
_box("╸", (0, 0, 2, 0))
_box("╹", (2, 0, 0, 0))
_box("╺", (0, 0, 0, 2))
_box("╻", (0, 2, 0, 0))
ROUNDED = {"╭": (0, 1, 0, 1), "╮": (0, 1, 1, 0), "╯": (1, 0, 1, 0), "╰": (1, 0, 0, 1)}

# Block elements: (x0, y0, x1, y1) as fractions of the cell, and an opacity.
BLOCKS = {
    "█": (0, 0, 1, 1, 1), "▀": (0, 0, 1, 0.5, 1), "▄": (0, 0.5, 1, 1, 1),
    "▌": (0, 0, 0.5, 1, 1), "▐": (0.5, 0, 1, 1, 1), "▔": (0, 0, 1, 0.125, 1),
    "▕": (0.875, 0, 1, 1, 1), "░": (0, 0, 1, 1, 0.25), "▒": (0, 0, 1, 1, 0.5), "▓": (0, 0, 1, 1, 0.75),
}
for _k, _ch in enumerate("▁▂▃▄▅▆▇"):
    BLOCKS[_ch] = (0, 1 - (_k + 1) / 8, 1, 1, 1)
for _k, _ch in enumerate("▉▊▋▌▍▎▏"):
    BLOCKS[_ch] = (0, 0, (7 - _k) / 8, 1, 1)


# ---------------------------------------------------------------------------------------
# Rendering


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def fmt(value):
    text = "%.2f" % value
    return text.rstrip("0").rstrip(".") if "." in text else text


class Renderer:
    def __init__(self, grid, cols, args):
        self.grid, self.cols, self.rows = grid, cols, len(grid)
        self.cw, self.ch, self.fs = args.cell_width, args.cell_height, args.font_size
        self.chrome = not args.no_chrome
        self.title = args.title
        self.pad = PADDING if self.chrome else 0
        self.ox = self.pad
        self.oy = self.pad + (TITLE_BAR if self.chrome else 0)
        # Baseline: centre the font's ascent+descent (DejaVu: 0.928 + 0.236 em) in the cell.
        self.baseline = (self.ch - self.fs * 1.164) / 2 + self.fs * 0.928

    # colours ---------------------------------------------------------------------------
    def resolve(self, colour, default):
        if colour is None:
            return default
        if colour[0] == "i":
            return palette256(colour[1])
        return colour[1]

    def colours(self, style):
        fg = self.resolve(style.fg, DEFAULT_FG)
        bg = self.resolve(style.bg, DEFAULT_BG)
        if style.reverse:
            fg, bg = bg, fg
        if style.dim:
            fg = mix(fg, bg, DIM_MIX)
        if style.hidden:
            fg = bg
        return hex_colour(fg), (None if hex_colour(bg) == hex_colour(DEFAULT_BG) else hex_colour(bg))

    # geometry --------------------------------------------------------------------------
    def x(self, col):
        return self.ox + col * self.cw

    def y(self, row):
        return self.oy + row * self.ch

    def cx(self, col):  # pixel-snapped centre so 1px lines stay crisp
        return int(self.x(col) + self.cw / 2) + 0.5

    def cy(self, row):
        return int(self.y(row) + self.ch / 2) + 0.5

    # drawing ---------------------------------------------------------------------------
    def render(self):
        width = self.cols * self.cw + 2 * self.pad
        height = self.rows * self.ch + 2 * self.pad + (TITLE_BAR if self.chrome else 0)
        out = [
            '<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s">'
            % (fmt(width), fmt(height), fmt(width), fmt(height))
        ]
        if self.title:
            out.append("<title>%s</title>" % escape(self.title))
        if self.chrome:
            out.append(
                '<rect width="%s" height="%s" rx="9" fill="%s"/>' % (fmt(width), fmt(height), hex_colour(DEFAULT_BG))
            )
            out.append(
                '<path d="M0 %sV9Q0 0 9 0H%sQ%s 0 %s 9V%sZ" fill="%s"/>'
                % (fmt(TITLE_BAR), fmt(width - 9), fmt(width), fmt(width), fmt(TITLE_BAR), hex_colour(CHROME_BG))
            )
            for k, colour in enumerate(("#ff5f57", "#febc2e", "#28c840")):
                out.append('<circle cx="%s" cy="%s" r="6" fill="%s"/>' % (fmt(20 + 20 * k), fmt(TITLE_BAR / 2), colour))
            if self.title:
                out.append(
                    '<text x="%s" y="%s" text-anchor="middle" font-family="%s" font-size="13" fill="#9aa0aa">%s</text>'
                    % (fmt(width / 2), fmt(TITLE_BAR / 2 + 4.5), escape(TITLE_FONT), escape(self.title))
                )
        else:
            out.append('<rect width="100%%" height="100%%" fill="%s"/>' % hex_colour(DEFAULT_BG))
        out.extend(self.backgrounds())
        out.append('<g font-family="%s" font-size="%s">' % (escape(FONT_FAMILY), fmt(self.fs)))
        out.extend(self.texts())
        out.append("</g>")
        out.extend(self.boxes())
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def backgrounds(self):
        out = []
        for r, row in enumerate(self.grid):
            c = 0
            while c < self.cols:
                cell = row[c]
                bg = self.colours(cell[1])[1] if cell else None
                if bg is None:
                    c += 1
                    continue
                start = c
                while c < self.cols and (row[c] is None or self.colours(row[c][1])[1] == bg):
                    c += 1
                out.append(
                    '<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>'
                    % (fmt(self.x(start)), fmt(self.y(r)), fmt((c - start) * self.cw), fmt(self.ch), bg)
                )
        return out

    def text_key(self, cell):
        ch, style = cell
        fg, _ = self.colours(style)
        return fg, style.bold, style.italic, style.underline, style.strike

    def texts(self):
        out = []
        for r, row in enumerate(self.grid):
            c = 0
            while c < self.cols:
                cell = row[c]
                if cell is None or cell[0] in BOX or cell[0] in ROUNDED or cell[0] in BLOCKS:
                    c += 1
                    continue
                key = self.text_key(cell)
                start = c
                chars = []
                # A wide character is a run of its own so its two cells are exact.
                if c + 1 < self.cols and row[c + 1] is None:
                    chars.append(cell[0])
                    c += 2
                else:
                    while c < self.cols:
                        cur = row[c]
                        if cur is None or cur[0] in BOX or cur[0] in ROUNDED or cur[0] in BLOCKS:
                            break
                        if self.text_key(cur) != key or (c + 1 < self.cols and row[c + 1] is None):
                            break
                        chars.append(cur[0])
                        c += 1
                self.emit_run(out, r, start, chars, key)
        return out

    def emit_run(self, out, row, start, chars, key):
        fg, bold, italic, underline, strike = key
        wide = len(chars) == 1 and start + 1 < self.cols and self.grid[row][start + 1] is None
        cells = 2 if wide else len(chars)
        # Trim spaces at both ends (nothing to draw) unless a line decoration needs them.
        if not (underline or strike):
            lead = len(chars) - len("".join(chars).lstrip(" "))
            if lead == len(chars):
                return
            trail = len(chars) - len("".join(chars).rstrip(" "))
            chars = chars[lead : len(chars) - trail]
            start += lead
            cells -= lead + trail
        attrs = ['x="%s"' % fmt(self.x(start)), 'y="%s"' % fmt(self.y(row) + self.baseline)]
        attrs.append('textLength="%s" lengthAdjust="spacingAndGlyphs"' % fmt(cells * self.cw))
        attrs.append('fill="%s"' % fg)
        if bold:
            attrs.append('font-weight="bold"')
        if italic:
            attrs.append('font-style="italic"')
        deco = [name for name, on in (("underline", underline), ("line-through", strike)) if on]
        if deco:
            attrs.append('text-decoration="%s"' % " ".join(deco))
        out.append('<text %s xml:space="preserve">%s</text>' % (" ".join(attrs), escape("".join(chars))))

    def boxes(self):
        """Frame characters as merged vector segments, block elements as rectangles."""
        segments = {}  # (fg, weight, orientation) -> list of (fixed, a, b)
        extra = []
        for r, row in enumerate(self.grid):
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                ch, style = cell
                fg = self.colours(style)[0]
                if ch in BLOCKS:
                    x0, y0, x1, y1, alpha = BLOCKS[ch]
                    extra.append(
                        '<rect x="%s" y="%s" width="%s" height="%s" fill="%s"%s/>'
                        % (fmt(self.x(c) + x0 * self.cw), fmt(self.y(r) + y0 * self.ch), fmt((x1 - x0) * self.cw),
                           fmt((y1 - y0) * self.ch), fg, "" if alpha == 1 else ' fill-opacity="%s"' % alpha)
                    )
                    continue
                if ch in ROUNDED:
                    up, down, left, right = ROUNDED[ch]
                    cx, cy = self.cx(c), self.cy(r)
                    radius = min(self.cw, self.ch) / 2 - 0.5
                    hx = self.x(c) if left else self.x(c + 1)
                    vy = self.y(r) if up else self.y(r + 1)
                    sx = cx + (-radius if left else radius)
                    sy = cy + (-radius if up else radius)
                    extra.append(
                        '<path d="M%s %sH%sQ%s %s %s %sV%s" fill="none" stroke="%s" stroke-width="1"/>'
                        % (fmt(hx), fmt(cy), fmt(sx), fmt(cx), fmt(cy), fmt(cx), fmt(sy), fmt(vy), fg)
                    )
                    continue
                if ch not in BOX:
                    continue
                up, down, left, right = BOX[ch]
                cx, cy = self.cx(c), self.cy(r)
                x0, x1 = self.x(c), self.x(c + 1)
                y0, y1 = self.y(r), self.y(r + 1)
                # Arms meet at the centre; a perpendicular arm's half-width covers the joint.
                if left:
                    segments.setdefault((fg, left, "h"), []).append((cy, r, x0, cx + (0.5 if (up or down) else 0)))
                if right:
                    segments.setdefault((fg, right, "h"), []).append((cy, r, cx - (0.5 if (up or down) else 0), x1))
                if up:
                    segments.setdefault((fg, up, "v"), []).append((cx, c, y0, cy + (0.5 if (left or right) else 0)))
                if down:
                    segments.setdefault((fg, down, "v"), []).append((cx, c, cy - (0.5 if (left or right) else 0), y1))
        out = []
        for (fg, weight, orient), items in sorted(segments.items()):
            items.sort()
            merged = []
            for fixed, line, a, b in items:
                if merged and merged[-1][0] == fixed and merged[-1][1] == line and a <= merged[-1][3] + 0.01:
                    merged[-1][3] = max(merged[-1][3], b)
                else:
                    merged.append([fixed, line, a, b])
            path = []
            for fixed, _, a, b in merged:
                if weight == 2:
                    fixed -= 0.5  # 2px line centred on the pixel boundary
                if orient == "h":
                    path.append("M%s %sH%s" % (fmt(a), fmt(fixed), fmt(b)))
                else:
                    path.append("M%s %sV%s" % (fmt(fixed), fmt(a), fmt(b)))
            out.append(
                '<path d="%s" fill="none" stroke="%s" stroke-width="%s"/>' % ("".join(path), fg, weight)
            )
        return out + extra


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", nargs="?", default="-", help="ANSI text file, or - for stdin")
    parser.add_argument("-o", "--output", default="-", help="SVG file to write, or - for stdout")
    parser.add_argument("--cols", type=int, help="terminal width in cells (default: widest line)")
    parser.add_argument("--rows", type=int, help="terminal height in cells (default: number of lines)")
    parser.add_argument("--title", default="", help="window title")
    parser.add_argument("--no-chrome", action="store_true", help="no window frame, just the terminal")
    parser.add_argument("--font-size", type=float, default=14)
    parser.add_argument("--cell-width", type=float, default=8.4)
    parser.add_argument("--cell-height", type=float, default=17)
    args = parser.parse_args()

    if args.input == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(args.input, "rb") as handle:
            data = handle.read()
    grid, cols = parse(data.decode("utf-8", errors="replace"), args.cols, args.rows)
    svg = Renderer(grid, cols, args).render()
    if args.output == "-":
        sys.stdout.write(svg)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(svg)


if __name__ == "__main__":
    main()
