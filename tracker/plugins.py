"""Plug-in points: the source kinds and alert channel kinds selfref can build, by name.

Each kind is an entry point: `selfref.sources` names `Source` subclasses (`crawlers/`),
`selfref.channels` names `Channel` subclasses (`alerts/`). The built-in kinds are entry
points of selfref-tracker itself (its pyproject.toml), declared exactly as a third-party
package declares its own:

    [project.entry-points."selfref.sources"]
    mastodon = "selfref_mastodon:MastodonSource"

A kind is loaded the first time a config names it; its class's `kind` is the entry
point's name. `add` registers a class defined in-process (a script, a test) the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar, cast

from selfref.alerts import Channel
from selfref.crawlers.sources import Source
from selfref.errors import ConfigError

__all__ = ["CHANNELS", "SOURCES", "Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """The kinds of one entry-point group: classes derived from `base`, found by name."""

    def __init__(
        self, group: str, base: type, noun: str, make: Callable[[Any, str, Mapping[str, Any]], T]
    ) -> None:
        self.group, self.base, self.noun, self._make = group, base, noun, make
        self._added: dict[str, type[T]] = {}
        self._loaded: dict[str, type[T]] = {}

    def _entry_points(self) -> dict[str, list[EntryPoint]]:
        found: dict[str, list[EntryPoint]] = {}
        for ep in entry_points(group=self.group):
            if all(ep.value != other.value for other in found.get(ep.name, [])):
                found.setdefault(ep.name, []).append(ep)
        return found

    def kinds(self) -> list[str]:
        """Every kind installed or added, sorted."""
        return sorted(set(self._entry_points()) | set(self._added))

    def get(self, kind: str, where: str) -> type[T]:
        """The class for `kind`; a ConfigError naming `where` (the config key) and the
        known kinds when there is none, or when the installed plug-in is broken."""
        if kind in self._added:
            return self._added[kind]
        if kind in self._loaded:
            return self._loaded[kind]
        candidates = self._entry_points().get(kind, [])
        if not candidates:
            raise ConfigError(
                f"{where}: unknown {self.noun} kind {kind!r}; known kinds: "
                f"{', '.join(self.kinds())} (a plug-in package adds kinds under the "
                f"entry-point group {self.group!r})"
            )
        if len(candidates) > 1:
            values = " and ".join(ep.value for ep in candidates)
            raise ConfigError(
                f"{where}: {self.noun} kind {kind!r} is registered twice ({values}); "
                "uninstall one of the plug-in packages"
            )
        ep = candidates[0]
        try:
            cls = ep.load()
        except Exception as exc:  # a plug-in that fails to import: name it, not a traceback
            raise ConfigError(
                f"{where}: the plug-in for {self.noun} kind {kind!r} ({ep.value}) cannot be "
                f"loaded: {type(exc).__name__}: {exc}; reinstall or remove it"
            ) from exc
        self._loaded[kind] = self._adopt(kind, cls, where=f"{where}: {ep.value}")
        return self._loaded[kind]

    def build(
        self, kind: str, name: str, options: Mapping[str, Any], where: str | None = None
    ) -> T:
        """An instance of `kind` called `name`; the kind's own ValueError names a bad option."""
        return self._make(self.get(kind, where or f"{self.noun} {name!r}"), name, options)

    def add(self, kind: str, cls: type[T]) -> type[T]:
        """Register a class defined in-process as `kind` (refused when the name is taken)."""
        if kind in self._added or kind in self._entry_points():
            raise ConfigError(f"{self.noun} kind {kind!r} is already registered")
        self._added[kind] = self._adopt(kind, cls, where=f"{self.noun} kind {kind!r}")
        return cls

    def remove(self, kind: str) -> None:
        """Forget a kind registered with `add`."""
        self._added.pop(kind, None)

    def _adopt(self, kind: str, cls: object, where: str) -> type[T]:
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise ConfigError(f"{where}: is not a {self.base.__name__} subclass")
        own = getattr(cls, "kind", None)
        if own is not None and own != kind:
            raise ConfigError(f"{where}: the class says its kind is {own!r}, not {kind!r}")
        setattr(cls, "kind", kind)  # noqa: B010 (any class of the group)
        return cast("type[T]", cls)


SOURCES: Registry[Source] = Registry(
    "selfref.sources", Source, "source", lambda cls, name, options: cls(name, **options)
)
CHANNELS: Registry[Channel] = Registry(
    "selfref.channels",
    Channel,
    "channel",
    lambda cls, name, options: cls.from_options(name, options),
)
