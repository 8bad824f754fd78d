"""An example third-party plug-in: a source of ready notes and a channel that writes alerts
to a JSON Lines file."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Self

from selfref.alerts import Alert, Channel, DeliveryResult, Options
from selfref.crawlers.fetch import Fetcher
from selfref.crawlers.sources import Candidate, Option, Source


class NotesSource(Source):
    """One ready document per entry of the `notes` option; nothing is fetched."""

    OPTIONS: ClassVar[Mapping[str, Option]] = {"notes": Option("str_list")}

    def candidates(self, fetcher: Fetcher, state: dict[str, Any]) -> Iterator[Candidate]:
        for i, text in enumerate(self.options["notes"]):
            yield Candidate(
                url=f"https://notes.example/{i}", source=self.name, title=f"Note {i}", text=text
            )


class FileChannel(Channel):
    """Appends each alert's payload as one JSON line to the file named by `path`."""

    def __init__(self, name: str, path: str) -> None:
        super().__init__(name)
        self.path = path

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> Self:
        opts = Options(cls.kind, name, options)
        path = opts.string("path")
        opts.done()
        return cls(name, path)

    def send(self, alerts: Sequence[Alert]) -> DeliveryResult:
        with open(self.path, "a", encoding="utf-8") as out:
            for alert in alerts:
                out.write(json.dumps(alert.to_payload()) + "\n")
        return DeliveryResult.delivered()
