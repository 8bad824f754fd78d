"""The channel interface, the delivery result, and typed reads of a channel's options."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar, cast

from selfref.alerts.model import Alert


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What one `send` achieved; the hub's outbox decides what happens next from it."""

    ok: bool
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    permanent: bool = False
    disable: bool = False

    @classmethod
    def delivered(cls, status: int | None = None, error: str | None = None) -> DeliveryResult:
        """Success; `error` may still note a partial problem (some mail recipients refused)."""
        return cls(ok=True, status=status, error=error)

    @classmethod
    def retry(
        cls, error: str, status: int | None = None, retry_after: float | None = None
    ) -> DeliveryResult:
        """A failure worth retrying later, at `retry_after` seconds at the earliest if given."""
        return cls(ok=False, status=status, error=error, retry_after=retry_after)

    @classmethod
    def give_up(
        cls, error: str, status: int | None = None, disable: bool = False
    ) -> DeliveryResult:
        """A failure that retrying will not fix; `disable` also turns the endpoint off."""
        return cls(ok=False, status=status, error=error, permanent=True, disable=disable)


class Channel(ABC):
    """A destination for alerts. Kinds are found by name through the `selfref.channels`
    entry-point group (the hub's registry); each class's `kind` is that name."""

    kind: ClassVar[str]

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def send(self, alerts: Sequence[Alert]) -> DeliveryResult:
        """Deliver `alerts`; report delivery problems in the result, never by raising."""

    @classmethod
    @abstractmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> Self:
        """Build from config options; raise ValueError naming the first bad option."""

    def close(self) -> None:  # noqa: B027 (an optional hook: most channels hold nothing open)
        """Release connections; the channel must not be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.name!r}>"


T = TypeVar("T")


_MISSING: Any = object()


class Options:
    """Typed reads from a channel's options; every error names the channel and the option."""

    def __init__(self, kind: str, name: str, options: Mapping[str, Any]) -> None:
        self._options = dict(options)
        self._owner = f"{kind} channel {name!r}"
        self._read: set[str] = set()

    def error(self, key: str, problem: str) -> ValueError:
        """A ValueError naming this channel and option `key`."""
        return ValueError(f"{self._owner}: option {key!r} {problem}")

    def _get(self, key: str, default: Any) -> Any:
        self._read.add(key)
        if key in self._options:
            return self._options[key]
        if default is _MISSING:
            raise self.error(key, "is required")
        return default

    def string(self, key: str, default: str | None = None) -> str:
        """A non-empty string; required unless a `default` is given."""
        value = self._get(key, _MISSING if default is None else default)
        if not isinstance(value, str) or not value:
            raise self.error(key, f"must be a non-empty string, got {value!r}")
        return value

    def optional_string(self, key: str) -> str | None:
        """A non-empty string, or None when absent."""
        if self._options.get(key) is None:
            self._read.add(key)
            return None
        return self.string(key)

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        """A number of at least `minimum` (seconds for timeouts)."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.error(key, f"must be a number >= {minimum:g}, got {value!r}")
        return float(value)

    def integer(self, key: str, default: int, *, low: int, high: int) -> int:
        """An integer from `low` to `high`."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(key, f"must be an integer from {low} to {high}, got {value!r}")
        return value

    def choice(self, key: str, choices: Iterable[str], default: str) -> str:
        """One of `choices`."""
        allowed = list(choices)
        value = self._get(key, default)
        if value not in allowed:
            raise self.error(key, f"must be one of {'|'.join(allowed)}, got {value!r}")
        return str(value)

    def strings(self, key: str) -> list[str]:
        """A required non-empty list of non-empty strings."""
        value = self._get(key, _MISSING)
        if (
            not isinstance(value, list | tuple)
            or not value
            or not all(isinstance(v, str) and v for v in value)
        ):
            raise self.error(key, f"must be a non-empty list of strings, got {value!r}")
        return list(value)

    def function(self, key: str) -> Callable[..., Any] | None:
        """An optional callable, injected by the hub rather than read from TOML."""
        value = self._get(key, None)
        if value is None:
            return None
        if not callable(value):
            raise self.error(key, f"must be callable, got {value!r}")
        return cast("Callable[..., Any]", value)

    def injected(self, key: str, kind: type[T]) -> T | None:
        """An optional object of type `kind`, injected by the hub rather than read from TOML."""
        value = self._get(key, None)
        if value is not None and not isinstance(value, kind):
            raise self.error(key, f"must be a {kind.__name__}, got {value!r}")
        return value

    def done(self) -> None:
        """Refuse options nobody read, so a typo is an error rather than ignored."""
        unknown = sorted(set(self._options) - self._read)
        if unknown:
            raise self.error(
                unknown[0], f"is unknown; known options: {', '.join(sorted(self._read))}"
            )
