"""Every template in the tree is compatible with the Content-Security-Policy: no inline <script> (a
``<script type="application/json">`` data block is allowed), no on*= handler attributes, no hx-on (htmx
compiles it with new Function), no javascript: URLs. Runs over every app, the new ones included."""

from __future__ import annotations

import re
from pathlib import Path

import qinqing

ROOT = Path(qinqing.__file__).resolve().parent
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER = re.compile(r"<[a-zA-Z][^<>]*?\s(on[a-z]+)\s*=", re.I | re.S)
HX_ON = re.compile(r"\shx-on(?::|-|\b)[^\s=>]*\s*=", re.I)
JS_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
EVAL_VALUES = re.compile(r"""hx-(?:vals|vars)\s*=\s*["']\s*js:""", re.I)


def templates() -> list[Path]:
    return sorted(
        p for p in ROOT.glob("**/templates/**/*") if p.is_file() and p.suffix in {".html", ".txt", ".xml"}
    )


def findings(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in SCRIPT.finditer(text):
        attrs = match.group(1)
        if "src=" in attrs.replace(" ", "") or re.search(r"type\s*=\s*[\"']application/(ld\+)?json", attrs):
            continue
        found.append("inline <script>")
    found += [f"{m.group(1)}= handler" for m in HANDLER.finditer(text)]
    found += ["hx-on" for _ in HX_ON.finditer(text)]
    found += ["javascript: URL" for _ in JS_URL.finditer(text)]
    found += ["hx-vals js:" for _ in EVAL_VALUES.finditer(text)]
    return found


def test_the_scanner_finds_each_kind(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<script>alert(1)</script><script src="/static/a.js" defer></script>'
        '<script type="application/json">{}</script><button onclick="x()">x</button>'
        "<form\n  onsubmit='return confirm(1)'></form><a href=\"javascript:void(0)\">a</a>"
        '<b hx-on::after-request="this.remove()"></b><i hx-vals=\'js:{a: 1}\'></i><p data-onclick="ok">',
        encoding="utf-8",
    )
    assert findings(bad) == [
        "inline <script>",
        "onclick= handler",
        "onsubmit= handler",
        "hx-on",
        "javascript: URL",
        "hx-vals js:",
    ]


def test_no_template_has_inline_script_or_handlers() -> None:
    paths = templates()
    bad = {str(p.relative_to(ROOT)): f for p in paths if (f := findings(p))}
    apps = sorted({name.split("/")[0] for name in bad})
    print(f"templates scanned: {len(paths)}; not CSP-compliant: {len(bad)} (apps: {', '.join(apps) or '—'})")
    for name, found in sorted(bad.items()):
        print(f"  {name}: {', '.join(sorted(set(found)))}")
    assert len(paths) > 100
    assert bad == {}
