"""`aiid`: reports from an AI Incident Database snapshot (`incidents.csv`, `reports.csv`)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, TextIO
from urllib.parse import urljoin

from selfref.crawlers.fetch import Fetcher
from selfref.crawlers.sources.base import Candidate, Option, Source, parse_datetime

_CSV_TYPES = {"text/csv", "text/plain", "application/csv", "application/octet-stream"}
_NUMBER = re.compile(r"\d+")
# Report texts in the snapshot can exceed csv's default 128 KiB field limit.
_FIELD_LIMIT = 64 * 1024 * 1024


class AiidSource(Source):
    """Reports as ready documents (text from `plain_text` or `text`), incident ids as metadata.

    Give `url` (a directory holding the CSV files) or `path` (a local directory);
    `incident_ids` restricts to reports of those incidents.
    """

    kind = "aiid"

    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "url": Option("url", None),
        "path": Option("str", None),
        "incident_ids": Option("int_list", None),
        "site": Option("url", "https://incidentdatabase.ai"),
        "max_bytes": Option("int", 500_000_000, minimum=1),
    }

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        if (self.options["url"] is None) == (self.options["path"] is None):
            raise ValueError(f"aiid source {name!r}: give exactly one of the options 'url', 'path'")

    def candidates(self, fetcher: Fetcher, state: dict[str, Any]) -> Iterator[Candidate]:
        """One candidate per report with a URL, in `reports.csv` order."""
        wanted = set(self.options["incident_ids"] or ())
        incidents_of: dict[int, list[int]] = {}
        for row in self._rows(fetcher, "incidents.csv", {"incident_id", "reports"}):
            incident = _int(row["incident_id"])
            if incident is None:
                continue
            for report in _NUMBER.findall(row["reports"] or ""):
                incidents_of.setdefault(int(report), []).append(incident)
        site = self.options["site"].rstrip("/")
        for row in self._rows(fetcher, "reports.csv", {"report_number", "url", "title"}):
            number = _int(row["report_number"])
            url = (row["url"] or "").strip()
            if number is None or not url:
                continue
            incidents = sorted(set(incidents_of.get(number, [])))
            if wanted and not wanted.intersection(incidents):
                continue
            text = (row.get("plain_text") or row.get("text") or "").strip()
            yield Candidate(
                url=url,
                source=self.name,
                title=(row["title"] or "").strip() or None,
                text=text or None,
                published=parse_datetime(row.get("date_published")),
                metadata={
                    "incident_ids": incidents,
                    "report_number": number,
                    "authors": _authors(row.get("authors")),
                    "aiid_urls": [f"{site}/cite/{i}/" for i in incidents],
                },
            )

    def _rows(self, fetcher: Fetcher, filename: str, columns: set[str]) -> Iterator[dict[str, str]]:
        csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
        if self.options["path"] is not None:
            path = Path(self.options["path"]).expanduser() / filename
            try:
                handle: TextIO = path.open(encoding="utf-8-sig", newline="")
            except OSError as exc:
                raise self.error(f"cannot read {path}: {exc.strerror}") from None
            where = str(path)
        else:
            where = urljoin(self.options["url"].rstrip("/") + "/", filename)
            result = self.fetch(
                fetcher, where, accept=_CSV_TYPES, max_bytes=self.options["max_bytes"]
            )
            handle = io.TextIOWrapper(io.BytesIO(result.body), encoding="utf-8-sig", newline="")
        with handle:
            reader = csv.DictReader(handle)
            missing = columns - set(reader.fieldnames or ())
            if missing:
                raise self.error(f"{where} lacks the column(s) {', '.join(sorted(missing))}")
            try:
                yield from reader
            except csv.Error as exc:
                raise self.error(f"{where} line {reader.line_num}: {exc}") from None


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value else None
    except (ValueError, OverflowError):  # "x", "inf", "nan": that row is skipped
        return None


def _authors(value: str | None) -> list[str]:
    """Authors from a JSON list (the snapshot's form) or a comma-separated string."""
    if not value or not value.strip():
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value.split(",")
    items = parsed if isinstance(parsed, list) else [parsed]
    return [str(a).strip() for a in items if str(a).strip()]
