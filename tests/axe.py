"""axe-core in a playwright page: the WCAG 2.0/2.1 A and AA rules, as ``make test-site`` and
``make test-browser`` run them (axe-core from npm, pinned in site/package.json and package-lock.json)."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["AXE_JS", "TAGS", "BLOCKING", "axe_version", "run_axe", "blocking", "summary"]

REPO = Path(__file__).resolve().parents[1]
AXE_JS = REPO / "site" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")  # impacts that fail the check


def axe_version() -> str:
    return json.loads((AXE_JS.parent / "package.json").read_text())["version"]


def run_axe(page, context: str | None = None) -> list[dict]:
    """The violations axe finds in ``page`` (or only in the elements matching CSS ``context``):
    ``[{"id", "impact", "help", "nodes": [{"target", "html"}]}]``."""
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} not found: run `npm ci` in site/ (make site does)")
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async ([context, tags]) => {
            const where = context ? {include: [...document.querySelectorAll(context)].map(e => [e])} : document;
            if (context && !where.include.length) return [];
            const r = await axe.run(where, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200)}))}));
        }""",
        [context, TAGS],
    )
    return result


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]


def summary(violations: list[dict]) -> dict[str, int]:
    """rule id (impact) -> number of nodes."""
    return {f"{v['id']} ({v['impact']})": len(v["nodes"]) for v in violations}
