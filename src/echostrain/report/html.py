"""Self-contained HTML pages: images and videos embedded as base64, no network, no scripts needed.

Build a page from blocks (:class:`Html`) and write it atomically::

    page = Html("Strain report")
    page.heading("GLS")
    page.image("curves.png", alt="strain curves", element_id="curves")
    page.table(["segment", "strain (%)"], rows)
    page.write("report.html")
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from echostrain.io.atomic import write_text_atomic

_STYLE = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1100px;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0 16px 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 4px 9px; text-align: right; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.figures figure { margin: 0; }
figcaption { font-size: 0.85em; color: #555; }
.note { color: #555; font-size: 0.9em; }
"""


def _data_uri(path: str | os.PathLike[str], mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "—" if value != value else f"{value:.3g}" if abs(value) >= 100 else f"{value:.2f}"
    return html.escape(str(value))


class Html:
    """A page under construction."""

    def __init__(self, title: str, subtitle: str | None = None) -> None:
        self.title = title
        self.parts: list[str] = [f"<h1>{html.escape(title)}</h1>"]
        if subtitle:
            self.parts.append(f'<p class="note">{html.escape(subtitle)}</p>')
        self._figures: list[str] | None = None

    def heading(self, text: str) -> None:
        self._close_figures()
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def paragraph(self, text: str, note: bool = False) -> None:
        self._close_figures()
        cls = ' class="note"' if note else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def _open_figures(self) -> list[str]:
        if self._figures is None:
            self._figures = []
        return self._figures

    def _close_figures(self) -> None:
        if self._figures:
            self.parts.append('<div class="figures">' + "".join(self._figures) + "</div>")
        self._figures = None

    def image(self, path: str | os.PathLike[str], alt: str, caption: str | None = None,
              element_id: str | None = None, width_px: int | None = None) -> None:
        """An embedded PNG, side by side with the images added just before it."""
        ident = f' id="{html.escape(element_id)}"' if element_id else ""
        width = f' width="{int(width_px)}"' if width_px else ""
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self._open_figures().append(
            f'<figure><img{ident}{width} alt="{html.escape(alt)}" src="{_data_uri(path, "image/png")}">{cap}</figure>'
        )

    def video(self, path: str | os.PathLike[str], caption: str | None = None, element_id: str | None = None,
              width_px: int = 480) -> None:
        """An embedded MP4 (H.264) that loops."""
        ident = f' id="{html.escape(element_id)}"' if element_id else ""
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self._open_figures().append(
            f'<figure><video{ident} width="{int(width_px)}" controls autoplay loop muted playsinline '
            f'src="{_data_uri(path, "video/mp4")}"></video>{cap}</figure>'
        )

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]], element_id: str | None = None) -> None:
        self._close_figures()
        ident = f' id="{html.escape(element_id)}"' if element_id else ""
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
        self.parts.append(f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def render(self) -> str:
        self._close_figures()
        body = "\n".join(self.parts)
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
        )

    def write(self, path: str | os.PathLike[str]) -> Path:
        return write_text_atomic(Path(path), self.render())
