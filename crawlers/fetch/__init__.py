"""Polite, bounded HTTP fetching on httpx, as an ordered chain of small steps.

The chain is `Fetcher.steps` (one tuple in `fetcher.py`), outermost first. Each step does
one job, then calls the steps after it or ends the fetch by filling its result
(`chain.py`); the order is what makes the whole:

1. `Redirect`: runs the rest once per hop, so every step below sees every hop.
2. `Guard`: only http(s), and only what the SSRF guard allows.
3. `Robots`: only what robots.txt allows (fetched through this same chain, unchecked).
4. `Retry`: repeats the steps below after a passing failure (429, 5xx, timeouts).
5. `Spacing`: each attempt waits for its host's next slot.
6. `Concurrency`: each attempt holds one of the fetcher's few in-flight slots.
7. `Send`: one GET, its status sorted into a redirect, a retry, an answer, or a 2xx body.
8. `Limits`: accepted type and encoding, byte cap and deadline while reading the body.
9. `Decode`: binary sniffing, then the charset.
"""

from selfref.crawlers.fetch.decode import decode_body, looks_binary
from selfref.crawlers.fetch.fetcher import Fetcher
from selfref.crawlers.fetch.result import FetchRequest, FetchResult, FetchStatus
from selfref.crawlers.settings import ANY_TYPE, FEED_TYPES, JSON_TYPES, PAGE_TYPES, FetchSettings

__all__ = [
    "ANY_TYPE",
    "FEED_TYPES",
    "JSON_TYPES",
    "PAGE_TYPES",
    "FetchRequest",
    "FetchResult",
    "FetchSettings",
    "FetchStatus",
    "Fetcher",
    "decode_body",
    "looks_binary",
]
