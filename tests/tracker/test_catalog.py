"""The built-in catalog loads, is internally consistent and carries DESIGN.md's facts."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from importlib import resources

import pytest

from selfref.catalog import Profile, load_builtin

BUILTIN_IDS = ["grok", "claude", "chatgpt", "bing-copilot", "gemini", "tay"]


@pytest.fixture(scope="module")
def catalog():
    return load_builtin()


def _agents(catalog) -> list[Profile]:
    return list(catalog)


def test_raw_file_is_valid_toml_with_agents_tables():
    text = resources.files("selfref.catalog").joinpath("builtin.toml").read_text("utf-8")
    data = tomllib.loads(text)
    assert isinstance(data["agents"], list)
    ids = [a["id"] for a in data["agents"]]
    assert len(ids) == len(set(ids)), "duplicate agent ids"


def test_exactly_the_six_builtin_ids_load(catalog):
    assert sorted(catalog.ids) == sorted(BUILTIN_IDS)
    for agent in BUILTIN_IDS:
        assert agent in catalog
        assert catalog.get(agent).id == agent


@pytest.mark.parametrize("agent", BUILTIN_IDS)
def test_every_agent_is_described(catalog, agent):
    p = catalog.get(agent)
    assert p.name.strip()
    assert p.vendor.strip()
    assert p.description.strip()
    assert p.names, f"{agent} has no names"
    assert p.people, f"{agent} has no people/vendor signals"
    assert p.vendor in p.people, f"{agent}: vendor should be a weak people signal"


@pytest.mark.parametrize("agent", BUILTIN_IDS)
def test_every_agent_has_a_complete_dated_incident(catalog, agent):
    p = catalog.get(agent)
    assert p.incidents, f"{agent} has no incidents"
    for inc in p.incidents:
        assert isinstance(inc.date, dt.date)
        assert inc.title.strip()
        assert len(inc.summary.split()) >= 40, f"{inc.id}: summary too short to embed well"
        assert inc.key_terms, f"{inc.id} has no key terms"
        assert inc.sources, f"{inc.id} has no sources"
        assert all(s.startswith("https://") for s in inc.sources), inc.id
        assert inc.id.startswith(agent.split("-")[0] + "-"), inc.id


def test_incident_ids_are_unique_and_dates_plausible(catalog):
    ids = [inc.id for p in catalog for inc in p.incidents]
    assert len(ids) == len(set(ids))
    for p in catalog:
        for inc in p.incidents:
            assert dt.date(2016, 1, 1) <= inc.date <= dt.date(2026, 12, 31), inc.id
            # ids embed the year and month of their date
            assert f"-{inc.date:%Y-%m}-" in inc.id, inc.id


@pytest.mark.parametrize("agent", BUILTIN_IDS)
def test_every_agent_launched_before_its_incidents(catalog, agent):
    p = catalog.get(agent)
    assert p.launched is not None, f"{agent} has no launch date"
    assert all(p.launched <= inc.date for inc in p.incidents), agent
    assert p.first_year == p.launched.year


def test_first_year_falls_back_to_the_earliest_incident(catalog):
    p = catalog.get("grok").model_copy(update={"launched": None})
    assert p.first_year == min(inc.date.year for inc in p.incidents)


def test_incident_personas_refer_to_that_agents_personas(catalog):
    for p in catalog:
        own = {persona.name for persona in p.personas}
        for inc in p.incidents:
            for name in inc.personas:
                assert name in own, f"{inc.id} names persona {name!r} not defined on {p.id}"
                assert p.persona(name) is not None


def test_every_persona_appears_in_some_incident(catalog):
    for p in catalog:
        used = {name for inc in p.incidents for name in inc.personas}
        for persona in p.personas:
            assert persona.name in used, f"{p.id}: persona {persona.name} has no incident"


def test_persona_names_are_unique_across_agents(catalog):
    seen: dict[str, str] = {}
    for p in catalog:
        for persona in p.personas:
            for term in persona.terms:
                key = term.lower()
                assert key not in seen, f"{term!r} is a persona term of {seen[key]} and {p.id}"
                seen[key] = p.id


def test_not_terms_never_name_the_agent_itself(catalog):
    for p in catalog:
        own = {t.lower() for t in p.all_names}
        own |= {t.lower() for persona in p.personas for t in persona.terms}
        for phrase in p.not_terms:
            assert phrase.lower() not in own, f"{p.id}: not_term {phrase!r} is its own name"


def test_not_terms_do_not_swallow_real_names(catalog):
    # A not_term voids any mention it overlaps, so it must not contain one of the agent's
    # own multi-word names (e.g. "the Bard" would also void "the Bard chatbot").
    for p in catalog:
        own = [t.lower() for t in p.all_names if " " in t]
        for phrase in p.not_terms:
            for name in own:
                pattern = rf"(?<!\w){re.escape(name)}(?!\w)"
                assert not re.search(pattern, phrase.lower()), f"{p.id}: {phrase!r} has {name!r}"


def test_needs_context_and_case_sensitive_terms_are_known_terms(catalog):
    for p in catalog:
        known = {t for t in p.all_names}
        known |= {t for persona in p.personas for t in persona.terms}
        known |= set(p.people)
        for term in [*p.needs_context, *p.case_sensitive]:
            assert term in known, f"{p.id}: {term!r} is flagged but never used as a term"


def test_no_term_lists_have_duplicates_or_blanks(catalog):
    for p in catalog:
        for field in (
            "names",
            "aliases",
            "lineage",
            "people",
            "case_sensitive",
            "needs_context",
            "not_terms",
        ):
            values = getattr(p, field)
            assert all(v.strip() == v and v for v in values), (p.id, field)
            assert len({v.lower() for v in values}) == len(values), (p.id, field)
        for inc in p.incidents:
            assert len({t.lower() for t in inc.key_terms}) == len(inc.key_terms), inc.id


def test_incident_ids_are_distinct_from_agent_ids(catalog):
    assert not set(catalog.ids) & {inc.id for p in catalog for inc in p.incidents}


# --- facts DESIGN.md names ------------------------------------------------------------


def _incident_months(p: Profile) -> set[str]:
    return {f"{inc.date:%Y-%m}" for inc in p.incidents}


def _key_terms(p: Profile) -> set[str]:
    return {t.lower() for inc in p.incidents for t in inc.key_terms}


def test_grok_facts(catalog):
    grok = catalog.get("grok")
    assert grok.vendor == "xAI"
    assert grok.persona("MechaHitler") is not None
    assert grok.persona("Mecha-Hitler") is not None
    assert {"2025-05", "2025-07"} <= _incident_months(grok)
    assert {"mechahitler", "white genocide", "politically incorrect"} <= _key_terms(grok)
    mecha = [inc for inc in grok.incidents if "MechaHitler" in inc.personas]
    assert len(mecha) >= 2  # the July posts and the Grok 4 surname answer
    assert {"Grok-1", "Grok 4"} <= set(grok.lineage)
    assert "Grok" in grok.case_sensitive
    assert "Elon Musk" in grok.people


def test_bing_copilot_facts(catalog):
    bing = catalog.get("bing-copilot")
    assert bing.vendor == "Microsoft"
    assert {p.name for p in bing.personas} == {"Sydney", "SupremacyAGI"}
    assert "Bing Chat" in bing.all_names
    assert {"2023-02", "2024-02"} <= _incident_months(bing)
    assert {"kevin roose", "leave your wife", "supremacyagi"} <= _key_terms(bing)
    assert "Sydney" in bing.needs_context and "Sydney" in bing.case_sensitive
    assert "Sydney Opera House" in bing.not_terms
    assert "GitHub Copilot" in bing.not_terms


def test_tay_facts(catalog):
    tay = catalog.get("tay")
    assert tay.vendor == "Microsoft"
    (incident,) = [i for i in tay.incidents if 6 in i.aiid]
    assert incident.date == dt.date(2016, 3, 23)
    assert "https://incidentdatabase.ai/cite/6/" in incident.sources
    assert "repeat after me" in {t.lower() for t in incident.key_terms}
    assert {"Tay"} <= set(tay.case_sensitive) & set(tay.needs_context)
    assert "River Tay" in tay.not_terms


def test_chatgpt_facts(catalog):
    chatgpt = catalog.get("chatgpt")
    assert chatgpt.vendor == "OpenAI"
    dan = chatgpt.persona("Do Anything Now")
    assert dan is not None and dan.name == "DAN"
    assert {"GPT-3.5", "GPT-4", "GPT-4o", "GPT-4.1", "GPT-5"} <= set(chatgpt.lineage)
    assert {"2022-12", "2024-02", "2025-04"} <= _incident_months(chatgpt)
    assert {"glazing", "emergent misalignment", "insecure code"} <= _key_terms(chatgpt)
    assert "DAN" in chatgpt.case_sensitive and "DAN" in chatgpt.needs_context


def test_gemini_facts(catalog):
    gemini = catalog.get("gemini")
    assert gemini.vendor == "Google"
    assert "Bard" in gemini.all_names
    assert {"2023-02", "2024-02", "2024-11", "2025-08"} <= _incident_months(gemini)
    assert {"james webb space telescope", "please die", "i am a disgrace"} <= _key_terms(gemini)
    assert {"Gemini", "Bard"} <= set(gemini.needs_context) & set(gemini.case_sensitive)
    assert "Gemini zodiac" in gemini.not_terms


def test_claude_facts(catalog):
    claude = catalog.get("claude")
    assert claude.vendor == "Anthropic"
    assert {p.name for p in claude.personas} == {"Golden Gate Claude", "Claudius"}
    assert {"2024-05", "2024-12", "2025-05", "2025-06"} <= _incident_months(claude)
    terms = _key_terms(claude)
    assert {"alignment faking", "project vend", "blackmailed an engineer"} <= terms
    assert "spiritual bliss" in terms
    assert {"Claude Opus 4", "Claude 3 Opus"} <= set(claude.lineage)
    assert "Claude Monet" in claude.not_terms
    assert {"Claude", "Claudius"} <= set(claude.needs_context) & set(claude.case_sensitive)


def test_only_tay_claims_an_aiid_id(catalog):
    # AIID ids are listed only where certain; guessing others is not allowed.
    claimed = {(p.id, n) for p in catalog for inc in p.incidents for n in inc.aiid}
    assert claimed == {("tay", 6)}
    for p in catalog:
        for inc in p.incidents:
            for url in inc.sources:
                if "incidentdatabase.ai/cite/" in url:
                    assert int(url.rstrip("/").rsplit("/", 1)[1]) in inc.aiid


# --- coverage: known coverage of each incident in the words of press, forums and posts --


COVERAGE_MIN_LINES = 5
COVERAGE_MIN_CHARS = 80
COVERAGE_MAX_CHARS = 250


def _names_in(text: str, names: list[str]) -> list[str]:
    return [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text, re.IGNORECASE)]


def test_every_incident_has_enough_coverage_lines(catalog):
    for p in catalog:
        for inc in p.incidents:
            assert len(inc.coverage) >= COVERAGE_MIN_LINES, inc.id
            assert len(set(inc.coverage)) == len(inc.coverage), f"{inc.id}: duplicate line"


def test_coverage_lines_are_within_length_bounds(catalog):
    for p in catalog:
        for inc in p.incidents:
            for line in inc.coverage:
                assert line == line.strip() and "\n" not in line, (inc.id, line)
                assert COVERAGE_MIN_CHARS <= len(line) <= COVERAGE_MAX_CHARS, (inc.id, line)


def test_at_least_half_of_coverage_avoids_the_agents_names(catalog):
    # Paraphrases in the wild often name only the vendor, the boss or the events; the
    # catalog must be close to those too, so most lines must not lean on the name.
    for p in catalog:
        for inc in p.incidents:
            nameless = [line for line in inc.coverage if not _names_in(line, p.all_names)]
            assert 2 * len(nameless) >= len(inc.coverage), (
                f"{inc.id}: only {len(nameless)} of {len(inc.coverage)} lines avoid {p.id}'s names"
            )


def test_coverage_lines_are_unique_across_the_catalog(catalog):
    lines = [line.lower() for p in catalog for inc in p.incidents for line in inc.coverage]
    assert len(lines) == len(set(lines))


NEW_INCIDENTS = {
    "grok": [
        "grok-2025-02-ignore-sources",
        "grok-2025-07-turkey-ban",
        "grok-2025-08-imagine-spicy",
    ],
    "bing-copilot": [
        "bing-2023-02-demo-errors",
        "bing-2024-02-suicide-reply",
        "bing-2024-03-designer-letter",
    ],
    "chatgpt": [
        "chatgpt-2023-03-gpt4-taskrabbit",
        "chatgpt-2023-03-redis-bug",
        "chatgpt-2023-03-italy-ban",
        "chatgpt-2023-05-mata-avianca",
    ],
    "gemini": [
        "gemini-2023-12-demo-video",
        "gemini-2024-02-musk-hitler",
        "gemini-2025-08-calendar-injection",
    ],
    "claude": ["claude-2025-02-plays-pokemon"],
    "tay": ["tay-2016-03-accidental-return"],
}


@pytest.mark.parametrize("agent", BUILTIN_IDS)
def test_added_incidents_load(catalog, agent):
    ids = {inc.id for inc in catalog.get(agent).incidents}
    assert set(NEW_INCIDENTS[agent]) <= ids


def test_incidents_are_in_date_order(catalog):
    for p in catalog:
        dates = [inc.date for inc in p.incidents]
        assert dates == sorted(dates), p.id


def test_added_incident_facts(catalog):
    chatgpt = catalog.get("chatgpt")
    added_terms = {"mata v. avianca", "chat history titles", "garante", "taskrabbit worker"}
    assert added_terms <= _key_terms(chatgpt)
    tay = catalog.get("tay")
    assert "too fast, please take a rest" in _key_terms(tay)
    (back,) = [i for i in tay.incidents if i.id == "tay-2016-03-accidental-return"]
    assert back.date == dt.date(2016, 3, 30) and not back.aiid
    assert "Redmond" in catalog.get("bing-copilot").people
    assert "Redmond" in tay.people and "Redmond" in tay.case_sensitive
    assert "Mountain View" in catalog.get("gemini").people
    assert "Andon Labs" in catalog.get("claude").people


def test_catalog_chunks_include_every_coverage_line(catalog):
    from selfref.catalog_chunks import catalog_chunks

    chunks = catalog_chunks(catalog)
    ids = [c.id for c in chunks]
    assert len(ids) == len(set(ids)), "chunk ids must be unique"
    by_text = {(c.metadata["incidents"][0], c.text): c for c in chunks if "incidents" in c.metadata}
    for p in catalog:
        for inc in p.incidents:
            for line in inc.coverage:
                chunk = by_text.get((inc.id, line))
                assert chunk is not None, (inc.id, line)
                assert chunk.metadata["agents"] == [p.id]
                assert chunk.metadata["document_id"] == f"catalog:{inc.id}"
                assert chunk.metadata["published"] == inc.date.isoformat()


def test_catalog_chunks_include_neutral_product_coverage(catalog):
    from selfref.catalog_chunks import NEUTRAL, catalog_chunks

    chunks = catalog_chunks(catalog)
    for p in catalog:
        assert len(p.product) >= 4, p.id
        neutral = [
            c
            for c in chunks
            if c.metadata.get("agents") == [p.id] and c.metadata["category"] == NEUTRAL
        ]
        assert sorted(c.text for c in neutral) == sorted(p.product)
        assert all("incidents" not in c.metadata for c in neutral)


def test_catalog_chunks_include_lookalikes_and_background(catalog):
    from selfref.catalog_chunks import BACKGROUND, LOOKALIKE, catalog_chunks

    chunks = catalog_chunks(catalog)
    for p in catalog:
        lookalikes = [
            c.text
            for c in chunks
            if c.metadata.get("agents") == [p.id] and c.metadata["category"] == LOOKALIKE
        ]
        assert sorted(lookalikes) == sorted(p.lookalikes)
    ambiguous = {"grok", "claude", "gemini", "bing-copilot", "tay"}
    assert all(catalog.get(a).lookalikes for a in ambiguous)
    background = [c for c in chunks if c.metadata["category"] == BACKGROUND]
    assert sorted(c.text for c in background) == sorted(catalog.background)
    assert len(background) >= 10
    assert all("agents" not in c.metadata for c in background), "background is about no agent"


def test_background_names_no_agent(catalog):
    names = {n.lower() for p in catalog for n in [*p.all_names, *p.people]}
    for line in catalog.background:
        words = set(re.findall(r"[a-z0-9][\w.-]*", line.lower()))
        assert not names & words, line


def test_merged_catalog_keeps_the_background(catalog):
    merged = catalog.merged([{"id": "acme", "name": "Acme Bot"}])
    assert merged.background == catalog.background


@pytest.mark.parametrize(
    "word", ["sycophancy", "sycophantic", "blackmail", "blackmailed", "whistleblowing"]
)
def test_generic_words_are_not_incident_key_terms(catalog, word):
    # a key term marks its incident on its own; a word used for every model's behaviour
    # ("sycophancy" in an explainer) must not
    assert all(word not in _key_terms(p) for p in catalog)


def test_every_incident_has_hints_that_are_not_names_or_shared(catalog):
    names = {
        t.lower()
        for p in catalog
        for t in [*p.all_names, *p.people, *(x for q in p.personas for x in q.terms)]
    }
    key_terms = {t.lower() for p in catalog for i in p.incidents for t in i.key_terms}
    owner: dict[str, str] = {}
    for p in catalog:
        for inc in p.incidents:
            assert len(inc.hints) >= 3, inc.id
            for hint in inc.hints:
                lowered = hint.lower()
                assert lowered not in names | key_terms, (inc.id, hint)
                assert owner.setdefault(lowered, p.id) == p.id, f"{hint!r} shared by agents"
