"""The chain's plumbing: steps run in their order, and a step can end the fetch there."""

from __future__ import annotations

from collections.abc import Callable

from conftest import new_exchange

from selfref.crawlers.fetch import Fetcher
from selfref.crawlers.fetch.chain import Exchange, Next, Step, chain


def test_the_fetchers_chain_in_its_documented_order(make_fetcher: Callable[..., Fetcher]) -> None:
    names = [type(step).__name__ for step in make_fetcher().steps]
    assert names == [
        "Redirect",
        "Guard",
        "Robots",
        "Retry",
        "Spacing",
        "Concurrency",
        "Send",
        "Limits",
        "Decode",
    ]


def test_steps_run_in_order_around_the_rest() -> None:
    seen: list[str] = []

    def step(name: str) -> Step:
        def run(exchange: Exchange, call_next: Next) -> None:
            seen.append(f"{name} in")
            call_next(exchange)
            seen.append(f"{name} out")

        return run

    chain([step("a"), step("b")])(new_exchange("https://e.org/"))
    assert seen == ["a in", "b in", "b out", "a out"]


def test_a_step_that_does_not_call_next_ends_the_fetch() -> None:
    seen: list[str] = []

    def stop(exchange: Exchange, call_next: Next) -> None:
        exchange.result.error = "stopped"

    def later(exchange: Exchange, call_next: Next) -> None:
        seen.append("later")

    exchange = new_exchange("https://e.org/")
    chain([stop, later])(exchange)
    assert seen == [] and exchange.result.error == "stopped"
