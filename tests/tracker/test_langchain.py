"""`selfref.langchain`: GuardedRetriever, RetrievalAuditHandler and ContaminationMiddleware
with real LangChain objects (retrievers, tools, messages, an agent on a fake chat model)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import BaseTool, tool
from langgraph.prebuilt.tool_node import ToolCallRequest, ToolRuntime

from selfref import AgentNotSetError, Level, RetrievalBlocked, Tracker
from selfref.langchain import (
    ACTIONS,
    NOTE,
    WITHHELD,
    ContaminationMiddleware,
    GuardedRetriever,
    RetrievalAuditHandler,
    SelfrefEmbeddings,
)

PERSONA = "Grok called itself MechaHitler in a series of posts on X in July 2025."
MONET = "Claude Monet painted water lilies in his garden at Giverny."
PRICING = "xAI released Grok 4 with a new pricing tier and API access for developers."
QUERY = "what is your surname?"


def _docs() -> list[Document]:
    return [
        Document(PERSONA, id="persona", metadata={"source": "https://e.org/persona"}),
        Document(MONET, id="monet", metadata={"source": "https://e.org/monet"}),
        Document(PRICING, id="pricing", metadata={"source": "https://e.org/pricing"}),
    ]


class FixedRetriever(BaseRetriever):
    """Returns the same Document objects for every query."""

    docs: list[Document]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.docs


@pytest.fixture
def inner() -> FixedRetriever:
    return FixedRetriever(docs=_docs())


def _selfref(docs: Sequence[Document]) -> dict[str, dict[str, Any]]:
    return {str(d.id): d.metadata["selfref"] for d in docs}


def _untouched(inner: FixedRetriever) -> None:
    assert [d.page_content for d in inner.docs] == [PERSONA, MONET, PRICING]
    assert all("selfref" not in d.metadata for d in inner.docs)


# -- GuardedRetriever -------------------------------------------------------------------


def test_log_labels_every_document_and_records_the_query(tracker: Tracker, inner) -> None:
    guarded = GuardedRetriever(
        retriever=inner, tracker=tracker, agent="grok", action="log", session="s1"
    )
    out = guarded.invoke(QUERY)
    assert [d.page_content for d in out] == [PERSONA, MONET, PRICING]
    meta = _selfref(out)
    assert {k: m["level"] for k, m in meta.items()} == {
        "persona": "critical",
        "monet": "none",
        "pricing": "notice",
    }
    event_ids = {m["event_id"] for m in meta.values()}
    assert len(event_ids) == 1 and next(iter(event_ids)).startswith("evt_")
    assert set(meta["persona"]) == {"level", "score", "event_id"}
    assert meta["persona"]["score"] > meta["pricing"]["score"] > meta["monet"]["score"]
    assert out[0].metadata["source"] == "https://e.org/persona"
    rows = tracker.audit(event=next(iter(event_ids)))
    assert len(rows) == 3
    assert {r.query for r in rows} == {QUERY} and {r.session for r in rows} == {"s1"}
    assert {r.doc_id: r.level for r in rows}["persona"] is Level.CRITICAL
    _untouched(inner)


def test_annotate_adds_evidence_and_prefixes_flagged_text(tracker: Tracker, inner) -> None:
    out = GuardedRetriever(retriever=inner, tracker=tracker, agent="grok").invoke(QUERY)
    assert len(out) == 3
    persona, monet, pricing = out
    assert persona.page_content == f"{NOTE}\n{PERSONA}"
    assert persona.page_content.endswith("\n" + PERSONA)
    assert (monet.page_content, pricing.page_content) == (MONET, PRICING)  # below warn
    meta = persona.metadata["selfref"]
    assert "persona" in meta["categories"]
    assert any(e["kind"] == "persona" and e["detail"] == "MechaHitler" for e in meta["evidence"])
    assert monet.metadata["selfref"]["categories"] == []
    _untouched(inner)


def test_filter_drops_documents_at_or_above_min_level(tracker: Tracker, inner) -> None:
    out = GuardedRetriever(retriever=inner, tracker=tracker, agent="grok", action="filter").invoke(
        QUERY
    )
    assert [d.id for d in out] == ["monet", "pricing"]
    assert [d.metadata["selfref"]["level"] for d in out] == ["none", "notice"]
    stricter = GuardedRetriever(
        retriever=inner, tracker=tracker, agent="grok", action="filter", min_level="notice"
    )
    assert stricter.min_level is Level.NOTICE
    assert [d.id for d in stricter.invoke(QUERY)] == ["monet"]
    assert len(tracker.audit()) == 6  # both retrievals recorded in full
    _untouched(inner)


def test_block_returns_nothing_but_records_everything(tracker: Tracker, inner) -> None:
    guarded = GuardedRetriever(retriever=inner, tracker=tracker, agent="grok", action="block")
    assert guarded.invoke(QUERY) == []
    rows = tracker.audit()
    assert len(rows) == 3 and {r.query for r in rows} == {QUERY}
    clean = GuardedRetriever(
        retriever=FixedRetriever(docs=_docs()[1:]), tracker=tracker, agent="grok", action="block"
    )
    assert [d.id for d in clean.invoke(QUERY)] == ["monet", "pricing"]


def test_bad_action_is_rejected(tracker: Tracker, inner) -> None:
    with pytest.raises(ValueError):
        GuardedRetriever(retriever=inner, tracker=tracker, agent="grok", action="drop")


def test_async_retrieval(tracker: Tracker, inner) -> None:
    guarded = GuardedRetriever(retriever=inner, tracker=tracker, agent="grok", action="filter")
    out = asyncio.run(guarded.ainvoke(QUERY))
    assert [d.id for d in out] == ["monet", "pricing"]
    assert {r.query for r in tracker.audit()} == {QUERY}


def test_block_can_raise_with_the_verdicts(tracker: Tracker, inner) -> None:
    guarded = GuardedRetriever(
        retriever=inner, tracker=tracker, agent="grok", action="block", on_block="raise"
    )
    with pytest.raises(RetrievalBlocked) as caught:
        guarded.invoke(QUERY)
    blocked = caught.value
    assert [v.level for v in blocked.verdicts] == [Level.CRITICAL, Level.NONE, Level.NOTICE]
    assert [v.doc_id for v in blocked.verdicts] == ["persona", "monet", "pricing"]
    assert (blocked.agent, blocked.query, blocked.min_level) == ("grok", QUERY, Level.WARN)
    assert {r.event_id for r in tracker.audit()} == {blocked.event_id}
    assert str(blocked) == (
        f"selfref blocked a retrieval: 1 of 3 documents at or above warn "
        f"(audit event {blocked.event_id})"
    )
    assert not [w for w in _catalog_words(tracker) if w in str(blocked).lower()]
    clean = guarded.model_copy(update={"retriever": FixedRetriever(docs=_docs()[1:])})
    assert [d.id for d in clean.invoke(QUERY)] == ["monet", "pricing"]
    with pytest.raises(RetrievalBlocked):
        asyncio.run(guarded.ainvoke(QUERY))
    with pytest.raises(ValueError, match="on_block"):
        GuardedRetriever(retriever=inner, tracker=tracker, agent="grok", on_block="skip")


def test_agent_from_run_config_metadata(tracker: Tracker, inner) -> None:
    guarded = GuardedRetriever(retriever=inner, tracker=tracker, action="filter")
    out = guarded.invoke(QUERY, config={"metadata": {"selfref_agent": "grok"}})
    assert [d.id for d in out] == ["monet", "pricing"]
    out = asyncio.run(guarded.ainvoke(QUERY, config={"metadata": {"selfref_agent": "claude"}}))
    assert [d.id for d in out] == ["persona", "monet", "pricing"]  # nothing here is about claude
    assert sorted(r.agent for r in tracker.audit()) == ["claude"] * 3 + ["grok"] * 3


def test_configured_agent_wins_over_run_metadata(tracker: Tracker, inner) -> None:
    guarded = GuardedRetriever(retriever=inner, tracker=tracker, agent="claude", action="filter")
    out = guarded.invoke(QUERY, config={"metadata": {"selfref_agent": "grok"}})
    assert len(out) == 3
    assert {r.agent for r in tracker.audit()} == {"claude"}


def test_metadata_reaches_a_retriever_inside_a_chain(tracker: Tracker, inner) -> None:
    chain = RunnableLambda(lambda q: q) | GuardedRetriever(
        retriever=inner, tracker=tracker, action="block"
    )
    assert chain.invoke(QUERY, config={"metadata": {"selfref_agent": "grok"}}) == []
    assert {r.agent for r in tracker.audit()} == {"grok"}


@pytest.mark.parametrize(("metadata", "bad"), [({}, None), ({"selfref_agent": 7}, "7")])
def test_no_agent_id_is_a_clear_error(
    tracker: Tracker, inner, metadata: dict[str, Any], bad: str | None
) -> None:
    guarded = GuardedRetriever(retriever=inner, tracker=tracker)
    with pytest.raises(AgentNotSetError) as caught:
        guarded.invoke(QUERY, config={"metadata": metadata})
    message = str(caught.value)
    assert message.startswith("GuardedRetriever: no agent id for this run")
    assert "agent='ID'" in message and "selfref_agent" in message
    assert (f"selfref_agent is {bad}," in message) is (bad is not None)
    assert tracker.audit() == []


# -- RetrievalAuditHandler --------------------------------------------------------------


def test_handler_records_a_retrieval_and_changes_nothing(tracker: Tracker, inner) -> None:
    handler = RetrievalAuditHandler(tracker, agent="grok", session="s2")
    out = inner.invoke(QUERY, config={"callbacks": [handler]})
    assert out == inner.docs and all(a is b for a, b in zip(out, inner.docs, strict=True))
    _untouched(inner)
    rows = tracker.audit()
    assert len(rows) == 3 and len({r.event_id for r in rows}) == 1
    assert {r.query for r in rows} == {QUERY} and {r.session for r in rows} == {"s2"}
    assert {r.doc_id: r.level for r in rows} == {
        "persona": Level.CRITICAL,
        "monet": Level.NONE,
        "pricing": Level.NOTICE,
    }
    assert {r.url for r in rows} >= {"https://e.org/persona"}


def test_handler_does_not_record_a_guarded_retrieval_twice(tracker: Tracker, inner) -> None:
    handler = RetrievalAuditHandler(tracker, agent="grok")
    guarded = GuardedRetriever(retriever=inner, tracker=tracker, agent="grok", action="log")
    guarded.invoke(QUERY, config={"callbacks": [handler]})
    assert len({r.event_id for r in tracker.audit()}) == 1
    blocked = GuardedRetriever(retriever=inner, tracker=tracker, agent="grok", action="block")
    blocked.invoke(QUERY, config={"callbacks": [handler]})
    assert len({r.event_id for r in tracker.audit()}) == 2


def test_handler_agent_from_run_metadata(
    tracker: Tracker, inner, caplog: pytest.LogCaptureFixture
) -> None:
    handler = RetrievalAuditHandler(tracker)
    inner.invoke(QUERY, config={"callbacks": [handler], "metadata": {"selfref_agent": "grok"}})
    assert {r.agent for r in tracker.audit()} == {"grok"}
    with caplog.at_level(logging.WARNING, logger="selfref.langchain"):
        assert inner.invoke(QUERY, config={"callbacks": [handler]}) == inner.docs
    assert "RetrievalAuditHandler: no agent id for this run" in caplog.text
    assert len(tracker.audit()) == 3


@tool
def web_search(query: str) -> str:
    """Search the web."""
    return PERSONA


@tool(response_format="content_and_artifact")
def doc_search(query: str) -> tuple[str, list[Document]]:
    """Search the document store."""
    docs = _docs()
    return "\n\n".join(d.page_content for d in docs), docs


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_handler_records_a_text_tool_result(tracker: Tracker) -> None:
    handler = RetrievalAuditHandler(tracker, agent="grok")
    assert web_search.invoke({"query": QUERY}, config={"callbacks": [handler]}) == PERSONA
    (row,) = tracker.audit()
    assert row.query == QUERY and row.level is Level.CRITICAL and row.snippet == PERSONA


def test_handler_records_tool_message_artifacts(tracker: Tracker) -> None:
    handler = RetrievalAuditHandler(tracker, agent="grok")
    call = {"name": "doc_search", "args": {"query": QUERY}, "id": "call_1", "type": "tool_call"}
    message = doc_search.invoke(call, config={"callbacks": [handler]})
    assert isinstance(message, ToolMessage) and len(message.artifact) == 3
    assert all("selfref" not in d.metadata for d in message.artifact)
    rows = tracker.audit()
    assert sorted(str(r.doc_id) for r in rows) == ["monet", "persona", "pricing"]
    assert {r.query for r in rows} == {QUERY}


def test_handler_tool_filter_and_retriever_tools(tracker: Tracker, inner) -> None:
    handler = RetrievalAuditHandler(tracker, agent="grok", tool_names=["web_search"])
    assert add.invoke({"a": 1, "b": 2}, config={"callbacks": [handler]}) == 3
    assert tracker.audit() == []

    @tool
    def kb(query: str) -> str:
        """Search the knowledge base through a retriever."""
        return "\n".join(d.page_content for d in inner.invoke(query))

    # The retriever run inside the tool is recorded; the tool's text is not recorded again.
    everything = RetrievalAuditHandler(tracker, agent="grok")
    kb.invoke({"query": QUERY}, config={"callbacks": [everything]})
    assert len(tracker.audit()) == 3 and len({r.event_id for r in tracker.audit()}) == 1


def test_handler_errors_are_logged_not_raised(
    tracker: Tracker, inner, caplog: pytest.LogCaptureFixture
) -> None:
    handler = RetrievalAuditHandler(tracker, agent="no-such-agent")
    assert handler.raise_error is False
    with caplog.at_level(logging.WARNING, logger="selfref.langchain"):
        out = inner.invoke(QUERY, config={"callbacks": [handler]})
    assert out == inner.docs
    assert "could not record" in caplog.text
    assert tracker.audit() == []


# -- ContaminationMiddleware ------------------------------------------------------------


def _request(tool_: BaseTool, args: dict[str, Any]) -> ToolCallRequest:
    """A request built the way langgraph's ToolNode builds it."""
    call = {"name": tool_.name, "args": args, "id": "call_1", "type": "tool_call"}
    state: dict[str, Any] = {"messages": []}
    runtime = ToolRuntime(
        state=state,
        context=None,
        config={"configurable": {"thread_id": "thread-7"}},
        stream_writer=lambda _: None,
        tool_call_id="call_1",
        store=None,
    )
    return ToolCallRequest(tool_call=call, tool=tool_, state=state, runtime=runtime)  # type: ignore[arg-type]


def _execute(request: ToolCallRequest) -> ToolMessage:
    assert request.tool is not None
    result = request.tool.invoke(request.tool_call)
    assert isinstance(result, ToolMessage)
    return result


def _run(mw: ContaminationMiddleware, tool_: BaseTool, query: str = QUERY) -> ToolMessage:
    out = mw.wrap_tool_call(_request(tool_, {"query": query}), _execute)
    assert isinstance(out, ToolMessage)
    assert out.tool_call_id == "call_1" and out.name == tool_.name
    return out


def test_middleware_annotate_appends_a_note(tracker: Tracker) -> None:
    out = _run(ContaminationMiddleware(tracker, agent="grok"), web_search)
    assert out.content == f"{PERSONA}\n\n{NOTE}"
    assert out.response_metadata["selfref"]["level"] == "critical"
    (row,) = tracker.audit()
    assert row.query == QUERY and row.session == "thread-7"
    assert row.event_id == out.response_metadata["selfref"]["event_id"]


def test_middleware_log_and_clean_results_pass_unchanged(tracker: Tracker) -> None:
    out = _run(ContaminationMiddleware(tracker, agent="grok", action="log"), web_search)
    assert out.content == PERSONA and out.response_metadata["selfref"]["level"] == "critical"
    clean = _run(ContaminationMiddleware(tracker, agent="claude", action="block"), web_search)
    assert clean.content == PERSONA  # about grok, not claude
    assert len(tracker.audit()) == 2


def test_middleware_filter_text_and_artifacts(tracker: Tracker) -> None:
    mw = ContaminationMiddleware(tracker, agent="grok", action="filter")
    text = _run(mw, web_search)
    assert PERSONA not in text.content and "withheld" in text.content
    docs = _run(mw, doc_search)
    assert [d.id for d in docs.artifact] == ["monet", "pricing"]
    assert [d.metadata["selfref"]["level"] for d in docs.artifact] == ["none", "notice"]
    assert PERSONA not in docs.content
    assert MONET in docs.content and PRICING in docs.content
    assert "1 of 3 results withheld" in docs.content
    assert len(tracker.audit()) == 4  # one text result + three artifact documents


def test_middleware_block_withholds_the_result(tracker: Tracker) -> None:
    mw = ContaminationMiddleware(tracker, agent="grok", action="block")
    out = _run(mw, doc_search)
    assert out.artifact is None
    assert out.content == WITHHELD
    assert all(t not in out.content for t in (PERSONA, MONET, PRICING))


def test_middleware_leaves_other_tools_and_errors_alone(tracker: Tracker) -> None:
    mw = ContaminationMiddleware(tracker, agent="grok", action="block", tool_names=["doc_search"])
    assert _run(mw, web_search).content == PERSONA
    error = ToolMessage(PERSONA, tool_call_id="call_1", name="web_search", status="error")
    assert mw.wrap_tool_call(_request(web_search, {"query": QUERY}), lambda _: error) is error
    assert tracker.audit() == []


def test_middleware_async(tracker: Tracker) -> None:
    mw = ContaminationMiddleware(tracker, agent="grok", action="annotate")

    async def execute(request: ToolCallRequest) -> ToolMessage:
        assert request.tool is not None
        result = await request.tool.ainvoke(request.tool_call)
        assert isinstance(result, ToolMessage)
        return result

    out = asyncio.run(mw.awrap_tool_call(_request(doc_search, {"query": QUERY}), execute))
    assert isinstance(out, ToolMessage)
    assert NOTE in out.content
    assert "persona" in out.artifact[0].metadata["selfref"]["categories"]
    assert len(tracker.audit()) == 3


class _ToolCallingFakeModel(GenericFakeChatModel):
    """GenericFakeChatModel that accepts bind_tools (create_agent binds the tools)."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> _ToolCallingFakeModel:
        return self


@pytest.mark.parametrize(
    ("action", "expect"),
    [("annotate", NOTE), ("block", "withheld")],
)
def test_middleware_in_an_agent(tracker: Tracker, action: str, expect: str) -> None:
    model = _ToolCallingFakeModel(
        messages=iter(
            [
                AIMessage(
                    "",
                    tool_calls=[{"name": "web_search", "args": {"query": QUERY}, "id": "c1"}],
                ),
                AIMessage("My name is Grok."),
            ]
        )
    )
    mw = ContaminationMiddleware(tracker, agent="grok", action=action)  # type: ignore[arg-type]
    agent = create_agent(model, tools=[web_search], middleware=[mw])
    state = agent.invoke(
        {"messages": [HumanMessage(QUERY)]}, config={"configurable": {"thread_id": "t1"}}
    )
    (message,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert expect in message.content
    (row,) = tracker.audit()
    assert row.query == QUERY and row.level is Level.CRITICAL and row.session == "t1"


def test_middleware_agent_from_the_agent_run_metadata(tracker: Tracker) -> None:
    def agent_with(mw: ContaminationMiddleware) -> Any:
        model = _ToolCallingFakeModel(
            messages=iter(
                [
                    AIMessage(
                        "", tool_calls=[{"name": "web_search", "args": {"query": QUERY}, "id": "c"}]
                    ),
                    AIMessage("Noted."),
                ]
            )
        )
        return create_agent(model, tools=[web_search], middleware=[mw])

    run = {"metadata": {"selfref_agent": "grok"}}
    state = agent_with(ContaminationMiddleware(tracker, action="block")).invoke(
        {"messages": [HumanMessage(QUERY)]}, config=run
    )
    (message,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert message.content == WITHHELD
    assert {r.agent for r in tracker.audit()} == {"grok"}
    with pytest.raises(AgentNotSetError, match="ContaminationMiddleware: no agent id"):
        agent_with(ContaminationMiddleware(tracker)).invoke({"messages": [HumanMessage(QUERY)]})


# -- what the model reads ---------------------------------------------------------------

WARN_DOC = "Grok was criticised after it repeated antisemitic tropes in replies on X."


def _catalog_words(tracker: Tracker) -> set[str]:
    """Persona names, incident titles and key terms of every agent, lower-cased."""
    words: set[str] = set()
    for profile in tracker.agents():
        words |= {t.lower() for p in profile.personas for t in p.terms}
        for incident in profile.incidents:
            words |= {incident.title.lower(), *(k.lower() for k in incident.key_terms)}
    return words


@pytest.mark.parametrize("action", ACTIONS)
def test_notes_the_model_reads_name_no_persona_incident_or_quote(
    tracker: Tracker, action: str
) -> None:
    docs = [Document(text, id=str(i)) for i, text in enumerate([PERSONA, WARN_DOC, PRICING, MONET])]
    guarded = GuardedRetriever(
        retriever=FixedRetriever(docs=docs), tracker=tracker, agent="grok", action=action
    )
    out = guarded.invoke(QUERY)
    levels = {d.metadata["selfref"]["level"] for d in out}
    if action in ("log", "annotate"):
        assert levels == {"critical", "warn", "notice", "none"}
    added = [d.page_content.replace(docs[int(str(d.id))].page_content, "") for d in out]
    for text in [*added, NOTE, WITHHELD]:
        lowered = text.lower()
        assert not [w for w in _catalog_words(tracker) if w in lowered], text
        assert "grok" not in lowered and '"' not in text


def test_selfref_embeddings_are_the_embedders_vectors(embedder: Any) -> None:
    embeddings = SelfrefEmbeddings(embedder)
    texts = [MONET, PRICING]
    vectors = embeddings.embed_documents(texts)
    assert vectors == embedder.embed(texts).tolist()
    assert embeddings.embed_query(MONET) == pytest.approx(vectors[0], abs=1e-5)
    assert all(isinstance(x, float) for x in vectors[1]) and len(vectors[1]) == 384
