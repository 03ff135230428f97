"""A postmortem's Markdown as safe HTML (raw HTML and images off), a self-contained page, and a PDF."""

from __future__ import annotations

import html
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace, TextStyle
from markdown_it import MarkdownIt

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
              "BI": "DejaVuSans-BoldOblique.ttf"}
MONO_FILE = "DejaVuSansMono.ttf"
LATIN1 = {"\u2014": "-", "\u2013": "-", "\u2192": "->", "\u2190": "<-", "\u201c": '"', "\u201d": '"',
          "\u2018": "'", "\u2019": "'", "\u2026": "...", "\u2022": "*", "\u2605": "*"}

PAGE_CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;background:#fff;
max-width:46rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.8rem;line-height:1.2}h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #d8dde3}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f3f5f7}pre{padding:.75rem;overflow:auto}
table{border-collapse:collapse}th,td{border:1px solid #d8dde3;padding:.25rem .5rem;text-align:left}
a{color:#0b57d0}footer{margin-top:3rem;color:#5b6673;font-size:.85rem}
"""


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


_MD = _markdown()


def to_html(markdown: str) -> str:
    """The body as HTML: raw HTML in it is shown as text, images are not fetched, unsafe links are dropped."""
    rendered: str = _MD.render(markdown)
    return rendered


def html_page(*, title: str, markdown: str, footer: str) -> str:
    """A self-contained HTML document: inline CSS, no scripts, nothing loaded from elsewhere."""
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{to_html(markdown)}</main>\n<footer>{html.escape(footer)}</footer>\n</body>\n</html>\n"
    )


def _fonts(pdf: FPDF) -> tuple[str, str] | None:
    if not all((FONT_DIR / name).is_file() for name in [*FONT_FILES.values(), MONO_FILE]):
        return None
    for style, name in FONT_FILES.items():
        pdf.add_font("DejaVu", style, str(FONT_DIR / name))
    pdf.add_font("DejaVuMono", "", str(FONT_DIR / MONO_FILE))
    return "DejaVu", "DejaVuMono"


def _latin1(text: str) -> str:
    for char, plain in LATIN1.items():
        text = text.replace(char, plain)
    return text.encode("latin-1", "replace").decode("latin-1")


def pdf_bytes(*, title: str, markdown: str, footer: str) -> bytes:
    """The postmortem as a PDF; Unicode with the DejaVu fonts when installed, Latin-1 otherwise."""
    try:
        return _pdf(title, to_html(markdown), footer, structured=True)
    except Exception:  # markup fpdf cannot lay out: the plain Markdown text instead
        return _pdf(title, html.escape(markdown), footer, structured=False)


def _pdf(title: str, body_html: str, footer: str, *, structured: bool) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Warroom")
    pdf.set_auto_page_break(auto=True, margin=15)
    fonts = _fonts(pdf)
    family, mono = fonts or ("helvetica", "courier")
    text = (lambda s: s) if fonts else _latin1
    pdf.add_page()
    pdf.set_font(family, size=11)
    if structured:
        styles = {"code": FontFace(family=mono), "pre": TextStyle(font_family=mono, t_margin=4, b_margin=0)}
        pdf.write_html(text(body_html), font_family=family, tag_styles=styles)
    else:
        pdf.set_font(family, "B", size=14)
        pdf.multi_cell(0, 8, text(title))
        pdf.set_font(family, size=10)
        pdf.multi_cell(0, 5, text(html.unescape(body_html)))
    pdf.ln(6)
    pdf.set_font(family, "I", size=8)
    pdf.multi_cell(0, 4, text(footer))
    return bytes(pdf.output())
