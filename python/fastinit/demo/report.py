"""Write the demo's report: ``index.html``, ``figures/*.png`` and ``results.json``.

The HTML page is self-contained: the figures are embedded as base64 PNG
``data:`` URIs and the style sheet is inline, so the page opens from disk, by
e-mail or from a CI artifact with no network access. The same PNG bytes are
also written to ``figures/`` and every measured number to ``results.json``.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
import os
from collections.abc import Sequence
from typing import Any

from .section import Section

__all__ = ["json_safe", "png_bytes", "write_report"]

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d2329;
       max-width: 1120px; margin: 2em auto; padding: 0 1.2em; line-height: 1.5; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2.2em; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; }
.meta { color: #57606a; font-size: 0.92em; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { color: #57606a; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 1em 0; }
th, td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
ul.findings { list-style: none; padding-left: 0; } ul.findings li { margin: 0.35em 0; }
.mark { display: inline-block; width: 1.4em; font-weight: bold; }
.holds .mark { color: #1a7f37; } .fails .mark { color: #cf222e; }
.note { background: #fff8c5; border: 1px solid #d4a72c; padding: 0.6em 0.9em; border-radius: 6px; }
ul.toc { list-style: none; padding-left: 0; }
code { background: #f6f8fa; padding: 0.1em 0.3em; border-radius: 4px; }
"""


def png_bytes(figure: Any) -> bytes:
    """The figure rendered as PNG (100 dpi)."""
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=100, facecolor="white")
    return buf.getvalue()


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as ``None`` and tuples as lists (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # NumPy scalars
        return json_safe(value.item())
    return value


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _is_number(cell: str) -> bool:
    return cell.replace(".", "", 1).replace("e", "", 1).replace("-", "").replace("+", "").rstrip("x%").isdigit()


def _findings_html(section: Section) -> str:
    items = []
    for f in section.findings:
        cls, mark = ("holds", "✓") if f.holds else ("fails", "✗")
        items.append(f'<li class="{cls}"><span class="mark">{mark}</span>{_esc(f.text)}</li>')
    return '<ul class="findings">' + "".join(items) + "</ul>" if items else ""


def _table_html(table: tuple[list[str], list[list[str]]] | None) -> str:
    if not table:
        return ""
    header, rows = table
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{_esc(c)}</td>' if _is_number(c) else f"<td>{_esc(c)}</td>"
                         for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section_html(section: Section, pngs: dict[str, bytes]) -> str:
    parts = [f'<section id="{_esc(section.key)}"><h2>{_esc(section.title)}</h2>',
             f"<p>{_esc(section.lesson)}</p>"]
    parts += [f'<p class="note">{_esc(n)}</p>' for n in section.notes]
    if section.findings:
        parts.append("<h3>What this run measured</h3>" + _findings_html(section))
    for fig in section.figures:
        data = base64.b64encode(pngs[fig.name]).decode("ascii")
        parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(fig.caption)}">'
                     f"<figcaption>{_esc(fig.caption)}</figcaption></figure>")
    parts.append(_table_html(section.table))
    if section.available:
        parts.append(f'<p class="meta">Section time: {section.seconds:.1f} s. Rerun from Python: '
                     f"<code>from fastinit.demo import {_esc(section.key)}; "
                     f"{_esc(section.key)}.run(seed=...)</code></p>")
    parts.append("</section>")
    return "\n".join(parts)


def render_html(sections: Sequence[Section], meta: dict[str, Any], pngs: dict[str, bytes]) -> str:
    """The whole page as a string."""
    n_hold = sum(f.holds for s in sections for f in s.findings)
    n_all = sum(len(s.findings) for s in sections)
    toc = "".join(f'<li><a href="#{_esc(s.key)}">{_esc(s.title)}</a>'
                  + ("" if s.available else " (not available in this build)") + "</li>" for s in sections)
    header = (
        "<h1>Weight initialization, measured</h1>"
        f'<p class="meta">fastinit {_esc(meta["version"])}, {_esc(meta["isa"])} kernels, '
        f'{meta["threads"]} thread(s); {"quick" if meta["quick"] else "full"} run, seed {meta["seed"]}; '
        f'{_esc(meta["date"])}; experiments {meta["seconds"]:.0f} s. Command: <code>{_esc(meta["command"])}</code></p>'
        "<p>Four lessons of weight initialization: never initialize with zeros; Xavier/Glorot for S-shaped "
        "activations; He/Kaiming for ReLU; Hinton's layer-wise pretraining. Each section below runs an "
        "experiment with fastinit's initializers and scikit-learn or PyTorch, draws it, and lists the "
        "numbers that support the lesson (✓) or contradict it (✗). "
        f"In this run {n_hold} of {n_all} findings support their lesson.</p>"
        f'<ul class="toc">{toc}</ul>'
    )
    body = "\n".join(_section_html(s, pngs) for s in sections)
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>fastinit demo: weight initialization, measured</title><style>{_CSS}</style></head>"
            f"<body>{header}\n{body}\n</body></html>\n")


def write_report(sections: Sequence[Section], out: str, meta: dict[str, Any]) -> str:
    """Write ``out/index.html``, ``out/figures/<name>.png`` and ``out/results.json``;
    return the path of ``index.html``. ``out`` must exist."""
    fig_dir = os.path.join(out, "figures")
    os.makedirs(fig_dir, exist_ok=True)
    pngs = {}
    for section in sections:
        for fig in section.figures:
            pngs[fig.name] = png_bytes(fig.figure)
            with open(os.path.join(fig_dir, fig.name + ".png"), "wb") as fh:
                fh.write(pngs[fig.name])
    results = {
        "meta": meta,
        "sections": {
            s.key: {"title": s.title, "available": s.available, "seconds": s.seconds, "notes": s.notes,
                    "findings": [{"text": f.text, "holds": f.holds} for f in s.findings],
                    "figures": [f"figures/{f.name}.png" for f in s.figures], "numbers": s.numbers}
            for s in sections
        },
    }
    # results.json and index.html are written whole or not at all (a
    # temporary file renamed into place), index.html last: a run stopped on
    # the way never leaves a truncated report.
    _write_whole(os.path.join(out, "results.json"),
                 json.dumps(json_safe(results), indent=1, allow_nan=False) + "\n")
    path = os.path.join(out, "index.html")
    _write_whole(path, render_html(sections, meta, pngs))
    return path


def _write_whole(path: str, text: str) -> None:
    tmp = path + ".partial"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
