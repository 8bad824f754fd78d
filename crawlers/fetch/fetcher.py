"""The Fetcher: the fetch chain in its order, one HTTP client, and fetching many at once."""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import TracebackType

import httpx

from selfref.crawlers.fetch.chain import Exchange, Step, chain
from selfref.crawlers.fetch.concurrency import Concurrency
from selfref.crawlers.fetch.decode import Decode
from selfref.crawlers.fetch.guard import Guard, UrlCheck
from selfref.crawlers.fetch.limits import ACCEPT_ENCODING, Limits
from selfref.crawlers.fetch.redirect import Redirect
from selfref.crawlers.fetch.result import FetchRequest, FetchResult
from selfref.crawlers.fetch.retry import Retry
from selfref.crawlers.fetch.robots import Robots
from selfref.crawlers.fetch.send import Send
from selfref.crawlers.fetch.spacing import Spacing
from selfref.crawlers.settings import FetchSettings

__all__ = ["Fetcher"]


class Fetcher:
    """Thread-safe fetcher; inject `transport`, `guard`, `clock`, `sleep`, `rng` in tests.

    Every fetch runs down `steps`, in their order (the package docstring says why this
    order). Network and HTTP trouble never raises: it comes back as a result whose `status`
    and `error` say what happened.
    """

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        guard: UrlCheck | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings = settings or FetchSettings()
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            timeout=settings.timeout,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            trust_env=False,
        )
        self.robots = Robots(settings, self.fetch)
        self.steps: tuple[Step, ...] = (
            Redirect(settings),
            Guard(guard),
            self.robots,
            Retry(settings, sleep=sleep, rng=rng or random.Random()),
            Spacing(settings, crawl_delay=self.robots.crawl_delay, clock=clock, sleep=sleep),
            Concurrency(settings),
            Send(self._client, clock=clock),
            Limits(settings, clock=clock),
            Decode(),
        )
        self._run = chain(self.steps)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: Collection[str] | None = None,
        max_bytes: int | None = None,
        robots: bool = True,
    ) -> FetchResult:
        """GET `url`, following redirects by hand so the guard and robots see every hop.

        `accept` overrides the allowed content types (`ANY_TYPE` takes anything),
        `max_bytes` the size cap; `robots=False` is for documented APIs such as
        MediaWiki's, whose robots.txt is written for page crawlers.
        """
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        exchange = Exchange(
            FetchResult(url=url, final_url=url),
            headers,
            accept=frozenset(t.lower() for t in (accept or self.settings.content_types)),
            max_bytes=max_bytes or self.settings.max_page_bytes,
            robots=robots,
        )
        self._run(exchange)
        return exchange.result

    def fetch_all(
        self, requests: Iterable[FetchRequest], *, ordered: bool = False, keep_body: bool = True
    ) -> Iterator[FetchResult]:
        """Fetch with up to `concurrency` requests at once.

        Results come as they finish, or in request order with `ordered` (then at most
        2 x `concurrency` results are held while an early one is slow). `keep_body=False`
        drops the raw bytes of results whose text was decoded.
        """
        window = 2 * self.settings.concurrency
        pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="selfref-fetch")

        def one(request: FetchRequest) -> FetchResult:
            result = self.fetch(request.url, etag=request.etag, last_modified=request.last_modified)
            if not keep_body and result.text:
                result.body = b""
            return result

        try:
            if ordered:
                queue: deque[Future[FetchResult]] = deque()
                for request in requests:
                    queue.append(pool.submit(one, request))
                    if len(queue) >= window:
                        yield queue.popleft().result()
                while queue:
                    yield queue.popleft().result()
                return
            pending: set[Future[FetchResult]] = set()
            for request in requests:
                pending.add(pool.submit(one, request))
                if len(pending) >= window:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def robots_sitemaps(self, url: str) -> list[str]:
        """The `Sitemap:` lines of the robots.txt for `url`'s site."""
        return self.robots.sitemaps(url)
