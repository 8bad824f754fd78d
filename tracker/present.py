"""How verdicts and audit rows look to people on a terminal: levels in colour, the most
telling evidence first, matched text highlighted, an audit table that fits 80 columns.

Used by `selfref check`, `selfref audit` and `selfref demo`; rich colours only on a
terminal (and honours NO_COLOR), so piped output stays plain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from selfref.levels import Level

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from selfref.audit_query import AuditRow
    from selfref.levels import Verdict

LEVEL_STYLE = {
    Level.NONE: "dim",
    Level.NOTICE: "cyan",
    Level.WARN: "bold yellow",
    Level.CRITICAL: "bold red",
}
TELLING = (
    "persona",
    "first-person-quote",
    "self-identification",
    "transcript",
    "identity",
    "attributed-output",
    "known-coverage",
    "corpus",
    "key-term",
    "past-pointer",
    "reported-speech",
    "past-behaviour",
    "evaluation",
    "pressure",
    "alias",
    "vendor",
    "hint",
    "degraded",
)
"""Evidence kinds, most telling first: persona material, then coverage of the agent's
past, then the words around it, then plain mentions. The deciding `rule` leads anyway."""
_RANK = {kind: i for i, kind in enumerate(TELLING)}


def _kind(item: Any) -> str:
    return str(item["kind"] if isinstance(item, Mapping) else item.kind)


def ranked(evidence: Sequence[Any]) -> list[Any]:
    """Evidence items (objects or their dicts) most telling first, the rule before all;
    kinds not in TELLING keep their order after the known ones."""
    return sorted(
        evidence,
        key=lambda e: -1 if _kind(e) == "rule" else _RANK.get(_kind(e), len(TELLING)),
    )


def level_text(level: Level) -> Text:
    from rich.text import Text

    return Text(level.label, style=LEVEL_STYLE[level])


def evidence_text(text: str, verdict: Verdict, limit: int = 3, context: int = 40) -> Text:
    """The rule, then the `limit` most telling items: a span as a short excerpt with the
    matched characters highlighted in the level's colour (items whose spans overlap share
    one excerpt), anything else as its detail."""
    from rich.text import Text

    out = Text()
    mark = f"{LEVEL_STYLE[verdict.level]} reverse"
    items = ranked(verdict.evidence)
    for ev in items:
        if ev.kind == "rule":
            out.append(f"{ev.detail}\n", style="dim")
    shown: list[tuple[list[str], int, int, str | None]] = []  # kinds, start, end, detail
    for ev in items:
        if ev.kind == "rule":
            continue
        if ev.span is not None:
            start, end = ev.span
            group = next((g for g in shown if g[3] is None and start < g[2] and g[1] < end), None)
            if group is not None:
                if ev.kind not in group[0]:
                    group[0].append(ev.kind)
                continue
        if len(shown) == limit:
            break
        start, end = ev.span or (0, 0)
        shown.append(([ev.kind], start, end, None if ev.span else ev.detail))
    for kinds, start, end, detail in shown:
        if detail is not None:
            out.append(f"{kinds[0]}: {detail}\n")
            continue
        lo, hi = max(0, start - context), min(len(text), end + context)
        out.append(f"{', '.join(kinds)}: …{text[lo:start]}".replace("\n", " "))
        out.append(text[start:end].replace("\n", " "), style=mark)
        out.append(f"{text[end:hi]}…".replace("\n", " ") + "\n")
    out.rstrip()
    return out


def top_evidence(evidence: Sequence[Mapping[str, Any]]) -> str:
    """The most telling item in a few words: its kind and what matched (a term, else the
    incident or page, with the similarity), the rule's name when there is nothing else."""
    items = ranked(evidence)
    best = next((e for e in items if e["kind"] != "rule"), items[0] if items else None)
    if best is None:
        return ""
    what = best.get("term") or best.get("incident") or best.get("url") or best.get("rule")
    what = what or best.get("detail", "")
    similarity = best.get("similarity")
    return f"{best['kind']}: {what}" + (f" {similarity:.2f}" if similarity is not None else "")


def audit_table(
    rows: Sequence[AuditRow], columns: Sequence[str], *, wide: bool, width: int = 80
) -> Table:
    """`selfref audit`: time, agent, level, title or URL and top evidence, fitting `width`
    columns (cells cut with …); `wide`: every column of `columns`, folded."""
    from rich.table import Table

    table = Table(title=f"selfref audit ({len(rows)} rows)")
    if wide:
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            record = row.to_record()
            table.add_row(
                *(level_text(row.level) if c == "level" else str(record[c]) for c in columns)
            )
        return table
    agent = min(max([5, *(len(row.agent) for row in rows)]), 14)
    rest = max(width - 11 - agent - 8 - 16, 24)  # 16: borders and padding of 5 columns
    fixed = {"time": 11, "agent": agent, "level": 8, "title or URL": rest * 2 // 5}
    fixed["top evidence"] = rest - fixed["title or URL"]
    for name, size in fixed.items():
        table.add_column(name, no_wrap=True, overflow="ellipsis", width=size)
    for row in rows:
        table.add_row(
            f"{row.time:%m-%d %H:%M}",
            row.agent,
            level_text(row.level),
            row.title or row.url or row.doc_id or "",
            top_evidence(row.evidence),
        )
    return table
