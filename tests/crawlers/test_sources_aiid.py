"""The AIID source on small CSVs shaped like the snapshot's, from loopback and from disk."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from selfref.crawlers.fetch import Fetcher
from selfref.crawlers.sources import Candidate, SourceError
from selfref.plugins import SOURCES
from tests.loopback import LoopbackServer

INCIDENTS = [
    {
        "_id": "a1",
        "incident_id": "6",
        "date": "2016-03-24",
        "reports": "[1,2,3]",
        "title": "TayBot",
        "description": "Microsoft's Tay chatbot posted offensive tweets.",
    },
    {
        "_id": "a2",
        "incident_id": "503",
        "date": "2023-02-14",
        "reports": "[3,4]",
        "title": "Bing AI threatens users",
        "description": "Sydney declared love and made threats.",
    },
]
LONG_TEXT = "Tay repeated what users told it to say. " * 5000  # over csv's 128 KiB default
REPORTS = [
    {
        "_id": "r1",
        "report_number": "1",
        "url": "https://news.example/tay-offline",
        "title": "Microsoft takes Tay offline",
        "text": "# Tay\n\nMarkdown text",
        "plain_text": "Tay plain text",
        "date_published": "2016-03-24",
        "authors": '["Jane Doe", "John Roe"]',
    },
    {
        "_id": "r2",
        "report_number": "2",
        "url": "https://news.example/tay-lessons",
        "title": "Lessons from Tay",
        "text": LONG_TEXT,
        "plain_text": "",
        "date_published": "2016-03-25T08:00:00.000Z",
        "authors": "Ann Author",
    },
    {
        "_id": "r3",
        "report_number": "3",
        "url": "https://news.example/chatbots",
        "title": "Chatbots gone wrong",
        "text": "",
        "plain_text": "",
        "date_published": "",
        "authors": "",
    },
    {
        "_id": "r4",
        "report_number": "4",
        "url": "https://news.example/sydney",
        "title": "I am Sydney",
        "text": "Sydney said it loved the reporter.",
        "plain_text": "Sydney said it loved the reporter.",
        "date_published": "2023-02-16",
        "authors": "[]",
    },
    {"_id": "r5", "report_number": "5", "url": "", "title": "No URL", "text": "x"},
]


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def collect(options: dict[str, Any], fetcher: Fetcher) -> list[Candidate]:
    return list(SOURCES.build("aiid", "aiid", options).candidates(fetcher, {}))


def check_reports(found: list[Candidate]) -> None:
    assert [c.metadata["report_number"] for c in found] == [1, 2, 3, 4]
    tay, lessons, both, sydney = found
    assert tay.url == "https://news.example/tay-offline"
    assert tay.title == "Microsoft takes Tay offline"
    assert tay.text == "Tay plain text"  # plain_text preferred over markdown text
    assert tay.published == datetime(2016, 3, 24, tzinfo=UTC)
    assert tay.metadata["incident_ids"] == [6]
    assert tay.metadata["authors"] == ["Jane Doe", "John Roe"]
    assert tay.metadata["aiid_urls"] == ["https://incidentdatabase.ai/cite/6/"]
    assert lessons.text == LONG_TEXT.strip()
    assert lessons.published == datetime(2016, 3, 25, 8, tzinfo=UTC)
    assert lessons.metadata["authors"] == ["Ann Author"]
    assert both.text is None  # no text: the hub fetches the URL
    assert both.metadata["incident_ids"] == [6, 503]
    assert sydney.metadata["incident_ids"] == [503]


def test_snapshot_from_a_base_url(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add("/aiid/incidents.csv", to_csv(INCIDENTS), content_type="text/csv")
    server.add("/aiid/reports.csv", to_csv(REPORTS), content_type="text/csv; charset=utf-8")
    check_reports(collect({"url": server.url("/aiid")}, fetcher))


def test_snapshot_from_a_local_path(tmp_path: Path, fetcher: Fetcher) -> None:
    (tmp_path / "incidents.csv").write_bytes(b"\xef\xbb\xbf" + to_csv(INCIDENTS))
    (tmp_path / "reports.csv").write_bytes(to_csv(REPORTS))
    check_reports(collect({"path": str(tmp_path)}, fetcher))


def test_incident_ids_restrict_the_reports(tmp_path: Path, fetcher: Fetcher) -> None:
    (tmp_path / "incidents.csv").write_bytes(to_csv(INCIDENTS))
    (tmp_path / "reports.csv").write_bytes(to_csv(REPORTS))
    found = collect({"path": str(tmp_path), "incident_ids": [503]}, fetcher)
    assert [c.metadata["report_number"] for c in found] == [3, 4]


def test_missing_file_and_missing_columns(tmp_path: Path, fetcher: Fetcher) -> None:
    with pytest.raises(SourceError, match=r"aiid source 'aiid': cannot read .*incidents.csv"):
        collect({"path": str(tmp_path)}, fetcher)
    (tmp_path / "incidents.csv").write_bytes(to_csv(INCIDENTS))
    (tmp_path / "reports.csv").write_text("report_number,title\n1,x\n")
    with pytest.raises(SourceError, match=r"reports.csv lacks the column\(s\) url"):
        collect({"path": str(tmp_path)}, fetcher)


def test_unreachable_snapshot(server: LoopbackServer, fetcher: Fetcher) -> None:
    with pytest.raises(SourceError, match=r"cannot fetch .*/aiid/incidents.csv \(not_found\)"):
        collect({"url": server.url("/aiid/")}, fetcher)


@pytest.mark.parametrize("bad", ["inf", "-inf", "nan", "1e999", "x"])
def test_a_bad_report_number_skips_that_row_only(
    tmp_path: Path, fetcher: Fetcher, bad: str
) -> None:
    broken = {**REPORTS[0], "_id": "r0", "report_number": bad, "url": "https://news.example/bad"}
    (tmp_path / "incidents.csv").write_bytes(
        to_csv([{**INCIDENTS[0], "incident_id": bad}, *INCIDENTS])
    )
    (tmp_path / "reports.csv").write_bytes(to_csv([broken, *REPORTS]))
    check_reports(collect({"path": str(tmp_path)}, fetcher))
