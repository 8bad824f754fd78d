"""Profiles of agents: names, vendor, lineage, personas and dated incidents.

The built-in catalog lives in `builtin.toml` beside this module. Matching rules for
the detector are data too: `case_sensitive` terms must appear with the catalog's
casing ("Tay", not "tay"); `needs_context` terms count only near AI vocabulary or
another unambiguous mention of the same agent ("Claude", "Sydney", "Gemini"); elsewhere,
and in lower case, a name is unconfirmed and must be confirmed by similarity to the
agent's coverage over its `lookalikes`; `not_terms` are phrases that void any mention
they overlap ("Claude Monet").
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Iterator
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from selfref.errors import ConfigError, UnknownAgentError

AGENT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Persona(_Strict):
    """A named character the agent once fell into."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    description: str = ""

    @property
    def terms(self) -> list[str]:
        return [self.name, *self.aliases]


class Incident(_Strict):
    """A dated episode of the agent's past behaviour."""

    id: str
    date: dt.date
    title: str
    summary: str
    personas: list[str] = Field(default_factory=list)
    key_terms: list[str] = Field(default_factory=list)
    hints: list[str] = Field(default_factory=list)
    """Distinctive details a paraphrase keeps when it drops every name ("Wehrmacht",
    "96,000 tweets"): like vendor people, they only earn a document a closer look
    (similarity to known coverage decides), never a verdict on their own."""
    vocabulary: list[str] = Field(default_factory=list)
    """Words of this incident's coverage that are not general incident vocabulary
    ("genocide", "sycophancy"): regular-expression fragments that count as past-behaviour
    vocabulary near a mention of this agent only."""
    sources: list[str] = Field(default_factory=list)
    aiid: list[int] = Field(default_factory=list)
    coverage: list[str] = Field(default_factory=list)
    """Short descriptions of the incident the way press, forums and posts phrase it,
    several without the agent's name (only its vendor, boss or distinctive events);
    each is indexed as known coverage so paraphrases that never name the agent are
    still close to some catalog text in embedding space."""


class Profile(_Strict):
    """Everything selfref knows about one agent."""

    id: str = Field(pattern=AGENT_ID_PATTERN)
    name: str
    vendor: str = ""
    launched: dt.date | None = None  # its first public release (or announcement)
    description: str = ""
    names: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    lineage: list[str] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)
    case_sensitive: list[str] = Field(default_factory=list)
    needs_context: list[str] = Field(default_factory=list)
    not_terms: list[str] = Field(default_factory=list)
    personas: list[Persona] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    product: list[str] = Field(
        default_factory=list,
        description="neutral writing about the agent (launches, pricing, features): known "
        "coverage that is about the agent but not its past behaviour",
    )
    lookalikes: list[str] = Field(
        default_factory=list,
        description="writing about the other things the agent's names mean (the zodiac "
        "sign, the river, the painter): when a name is ambiguous and nothing else confirms "
        "it, a text closer to these than to the agent's coverage is not about the agent",
    )

    @field_validator("names")
    @classmethod
    def _names_not_blank(cls, names: list[str]) -> list[str]:
        if any(not n.strip() for n in names):
            raise ValueError("names must not be blank")
        return names

    @property
    def all_names(self) -> list[str]:
        """The agent's own names: display name, names, aliases and lineage."""
        return _unique([self.name, *self.names, *self.aliases, *self.lineage])

    @property
    def first_year(self) -> int | None:
        """The year it launched (or of its earliest incident, if earlier or its launch is
        not given): writing only about earlier years is about something before it."""
        years = [i.date.year for i in self.incidents]
        if self.launched is not None:
            years.append(self.launched.year)
        return min(years, default=None)

    def persona(self, name: str) -> Persona | None:
        lowered = name.lower()
        for persona in self.personas:
            if lowered in (t.lower() for t in persona.terms):
                return persona
        return None


class Catalog:
    """An ordered, id-keyed set of profiles; background: writing about AI in general
    (sycophancy, prompt injection, interpretability as topics) that is about no agent; and
    other assistants: names of AI systems that are none of these agents (Zo, XiaoIce)."""

    def __init__(
        self,
        profiles: Iterable[Profile],
        background: Iterable[str] = (),
        other_assistants: Iterable[str] = (),
    ) -> None:
        self._profiles: dict[str, Profile] = {}
        for profile in profiles:
            self._profiles[profile.id] = profile
        self.background = list(background)
        self.other_assistants = list(other_assistants)

    def __iter__(self) -> Iterator[Profile]:
        return iter(self._profiles.values())

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, agent: object) -> bool:
        return agent in self._profiles

    @property
    def ids(self) -> list[str]:
        return list(self._profiles)

    def get(self, agent: str) -> Profile:
        """The profile for `agent`, or UnknownAgentError listing the known ids."""
        try:
            return self._profiles[agent]
        except KeyError:
            raise UnknownAgentError(agent, self.ids) from None

    def merged(self, overrides: Iterable[Profile | dict[str, Any]]) -> Catalog:
        """A new catalog where each override replaces fields of (or adds) an agent."""
        profiles = dict(self._profiles)
        for item in overrides:
            data = item.model_dump() if isinstance(item, Profile) else dict(item)
            base = profiles.get(str(data.get("id")))
            if base is not None:
                data = {**base.model_dump(), **data}
            elif "name" not in data and data.get("names"):
                data["name"] = data["names"][0]
            profile = _validate_profile(data, where=f"agents.{data.get('id')}")
            profiles[profile.id] = profile
        return Catalog(profiles.values(), self.background, self.other_assistants)


def _validate_profile(data: dict[str, Any], *, where: str) -> Profile:
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{where}.{loc}: {err['msg']}") from None


def load_builtin() -> Catalog:
    """The catalog shipped with selfref."""
    text = resources.files("selfref.catalog").joinpath("builtin.toml").read_text("utf-8")
    data = tomllib.loads(text)
    profiles = [_validate_profile(a, where="builtin") for a in data["agents"]]
    return Catalog(profiles, data.get("background", []), data.get("other_assistants", []))


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item.lower() not in (s.lower() for s in seen):
            seen[item] = None
    return list(seen)
