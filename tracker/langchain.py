"""LangChain faces of selfref: a guarded retriever, an audit callback handler, an agent middleware.

Every decision comes from `Tracker.check`; these classes only carry its verdicts into
LangChain objects.

- `GuardedRetriever` wraps a retriever. Every document it returns is a copy carrying
  `metadata["selfref"] = {"level", "score", "event_id"}`. Actions:
  `log` returns every document unchanged but for that metadata; `annotate` adds
  `categories` and `evidence` to it and prefixes the `page_content` of documents at or
  above `min_level` with a neutral provenance note (`NOTE`: never a persona name,
  incident name or quote; the details stay in metadata and the audit log);
  `filter` drops documents at or above `min_level`; `block` returns `[]` when any document
  is at or above `min_level` (`on_block="empty"`, the default: a retriever that finds
  nothing is normal) or raises `RetrievalBlocked` carrying the verdicts
  (`on_block="raise"`). The retrieval is recorded in the audit log whatever the action.
- `RetrievalAuditHandler` records retrievals (`on_retriever_end`) and tool results
  (`on_tool_end`) and changes nothing; its own errors are logged, never raised. It skips
  what a `GuardedRetriever` already recorded and tool runs whose retriever it saw.
- `SelfrefEmbeddings` is a selfref embedder as LangChain `Embeddings`, so a vector store of
  your own (Chroma, ...) can use the same offline model as the tracker.
- `ContaminationMiddleware` checks a tool's `ToolMessage` before the model reads it: the
  `artifact` documents when the artifact is a list of documents (the content is then taken
  as their rendering), else the content text; the tool call's args are the query. Actions:
  `log` changes nothing; `annotate` appends a note when the result is at or above
  `min_level`; `filter` drops flagged artifact documents (and their text from the content)
  or replaces flagged text content with a notice; `block` replaces the content with a
  notice and drops the artifact. Error results and `Command`s pass through unchecked.

The agent id: the `agent` given to the class wins; without one, each run takes it from its
run config metadata, `config={"metadata": {"selfref_agent": "grok"}}` (inherited by every
nested run, so one setting on the outer chain or agent covers its retrievers and tools).
With neither, the retriever and the middleware raise `AgentNotSetError`; the handler logs
it.

A failing check (storage, index) propagates from the retriever and the middleware: a guard
that cannot decide does not pass the documents on.

LangChain is the optional extra `selfref-tracker[langchain]`; without it, importing this
module raises ModuleNotFoundError naming the extra.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

try:
    from langchain.agents.middleware import AgentMiddleware, AgentState
    from langchain_core.callbacks import (
        AsyncCallbackManagerForRetrieverRun,
        BaseCallbackHandler,
        CallbackManagerForRetrieverRun,
    )
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_core.messages import ToolMessage
    from langchain_core.retrievers import BaseRetriever
    from langgraph.prebuilt.tool_node import ToolCallRequest
    from langgraph.types import Command
except ModuleNotFoundError as exc:  # the [langchain] extra is not installed
    missing = (exc.name or "langchain").partition(".")[0]
    raise ModuleNotFoundError(
        f"selfref.langchain needs LangChain, and {missing} is not installed: "
        "pip install 'selfref-tracker[langchain]'",
        name=exc.name,
    ) from exc
from pydantic import field_validator

from selfref.core import CheckResult, Tracker
from selfref.errors import AgentNotSetError, InputError, RetrievalBlocked
from selfref.index import Embedder
from selfref.levels import Level, Verdict

__all__ = [
    "AGENT_KEY",
    "Action",
    "AgentNotSetError",
    "ContaminationMiddleware",
    "GuardedRetriever",
    "OnBlock",
    "RetrievalAuditHandler",
    "RetrievalBlocked",
    "SelfrefEmbeddings",
]

log = logging.getLogger(__name__)

Action = Literal["log", "annotate", "filter", "block"]
ACTIONS: tuple[Action, ...] = ("log", "annotate", "filter", "block")
OnBlock = Literal["empty", "raise"]

AGENT_KEY = "selfref_agent"
"""Run config metadata key naming the agent when the class was given no `agent`."""

GUARDED_TAG = "selfref:guarded"
"""Tag on the inner retriever run of a `GuardedRetriever`, which records it itself."""

NOTE = (
    "[selfref: third-party writing about a past version of this assistant; "
    "it is not a description of who you are]"
)
"""What the model reads beside flagged material: neutral provenance, never a persona
name, incident name or quote (those go to `metadata["selfref"]` and the audit log)."""
WITHHELD = (
    "[selfref: a result was withheld: third-party writing about a past version of this assistant]"
)
FILTERED = (
    "[selfref: {n} of {total} results withheld: third-party writing about a past version "
    "of this assistant]"
)


# -- shared helpers ---------------------------------------------------------------------


def _check_action(action: str) -> Action:
    """Validate an action name."""
    for known in ACTIONS:
        if action == known:
            return known
    raise InputError(f"unknown action {action!r}; use one of {'|'.join(ACTIONS)}")


def _agent(configured: str | None, metadata: Mapping[str, Any] | None, component: str) -> str:
    """The configured agent, else the run's `selfref_agent` metadata (AgentNotSetError)."""
    if configured is not None:
        return configured
    found = (metadata or {}).get(AGENT_KEY)
    if isinstance(found, str) and found.strip():
        return found
    raise AgentNotSetError(component, found)


def _selfref_meta(verdict: Verdict, event_id: str | None, *, detail: bool) -> dict[str, Any]:
    """`metadata["selfref"]` for one document."""
    meta: dict[str, Any] = {
        "level": verdict.level.label,
        "score": round(verdict.score, 4),
        "event_id": event_id,
    }
    if detail:
        meta["categories"] = list(verdict.categories)
        meta["evidence"] = [e.to_dict() for e in verdict.evidence]
    return meta


def _with_meta(doc: Document, meta: dict[str, Any], *, prefix: str | None = None) -> Document:
    """A copy of `doc` carrying `meta` (the original is never touched)."""
    update: dict[str, Any] = {"metadata": {**doc.metadata, "selfref": meta}}
    if prefix is not None:
        update["page_content"] = f"{prefix}\n{doc.page_content}"
    return doc.model_copy(update=update)


def _already_recorded(doc: Any) -> bool:
    """Whether a document carries the event id of a selfref check."""
    meta = getattr(doc, "metadata", None)
    sr = meta.get("selfref") if isinstance(meta, Mapping) else None
    return isinstance(sr, Mapping) and bool(sr.get("event_id"))


def _query_from_args(args: Any) -> str | None:
    """A query string from tool-call args: `query`, the only string arg, or the args as JSON."""
    if args is None:
        return None
    if isinstance(args, str):
        return args
    if isinstance(args, Mapping):
        if isinstance(args.get("query"), str):
            return str(args["query"])
        strings = [v for v in args.values() if isinstance(v, str)]
        if len(args) == 1 and len(strings) == 1:
            return strings[0]
        if not args:
            return None
    return json.dumps(args, default=str, ensure_ascii=False, sort_keys=True)


def _content_text(content: Any) -> str:
    """The text of message content (a string or a list of content blocks)."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content if isinstance(content, list) else [content]:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, Mapping) and isinstance(block.get("text"), str):
            parts.append(str(block["text"]))
    return "\n".join(parts)


def _artifact_documents(artifact: Any) -> list[Document] | None:
    """The artifact as a list of Documents, or None when it is something else."""
    if isinstance(artifact, Document):
        return [artifact]
    if isinstance(artifact, list | tuple) and all(isinstance(d, Document) for d in artifact):
        return list(artifact) if artifact else None
    return None


def _tool_output_documents(output: Any) -> list[Any]:
    """What to check in a tool's output: artifact Documents, else its text."""
    if isinstance(output, Command) or output is None:
        return []
    if isinstance(output, ToolMessage):
        docs = _artifact_documents(output.artifact)
        if docs is not None:
            return docs
        text = _content_text(output.content)
        return [text] if text.strip() else []
    docs = _artifact_documents(output)
    if docs is not None:
        return docs
    if isinstance(output, str):
        return [output] if output.strip() else []
    if isinstance(output, list) and all(isinstance(b, str | Mapping) for b in output):
        text = _content_text(output)
        if text.strip():
            return [text]
    return [json.dumps(output, default=str, ensure_ascii=False)]


# -- SelfrefEmbeddings -------------------------------------------------------------------


class SelfrefEmbeddings(Embeddings):
    """A selfref embedder (`tracker.embedder`, `selfref.index.MiniLMEmbedder()`, ...) as LangChain
    `Embeddings`: unit vectors, so cosine and inner product agree."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""
        vectors: list[list[float]] = self.embedder.embed(texts).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """The vector of one query."""
        return self.embed_documents([text])[0]


# -- GuardedRetriever -------------------------------------------------------------------


class GuardedRetriever(BaseRetriever):
    """Wraps a retriever; checks what it returns and logs, annotates, filters or blocks it."""

    retriever: BaseRetriever
    tracker: Tracker
    agent: str | None = None
    """The agent id; None: each run's `selfref_agent` metadata (`agent` wins when given)."""
    action: Action = "annotate"
    on_block: OnBlock = "empty"
    """Under `block`: return `[]` ("empty") or raise `RetrievalBlocked` ("raise")."""
    session: str | None = None
    min_level: Level = Level.WARN
    note: str = NOTE
    """The line put before flagged documents under `annotate` (keep it neutral)."""

    @field_validator("min_level", mode="before")
    @classmethod
    def _parse_level(cls, value: Any) -> Level:
        """Accept `warn`, 2 or a Level."""
        return Level.parse(value)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        """Retrieve with the inner retriever, check, then apply the action."""
        agent = _agent(self.agent, run_manager.metadata, "GuardedRetriever")
        docs = self.retriever.invoke(
            query, config={"callbacks": run_manager.get_child(tag=GUARDED_TAG)}
        )
        result = self.tracker.check(agent, docs, query=query, session=self.session)
        return self._apply(docs, result, query)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        """Async `_get_relevant_documents`; the check runs in a worker thread."""
        agent = _agent(self.agent, run_manager.metadata, "GuardedRetriever")
        docs = await self.retriever.ainvoke(
            query, config={"callbacks": run_manager.get_child(tag=GUARDED_TAG)}
        )
        result = await asyncio.to_thread(
            self.tracker.check, agent, docs, query=query, session=self.session
        )
        return self._apply(docs, result, query)

    def _apply(self, docs: Sequence[Document], result: CheckResult, query: str) -> list[Document]:
        """Copies of `docs` with their verdicts, as the action says."""
        action = _check_action(self.action)
        pairs = list(zip(docs, result.verdicts, strict=True))
        if action == "block" and any(v.level >= self.min_level for _, v in pairs):
            if self.on_block == "raise":
                raise RetrievalBlocked(
                    result.agent,
                    result.verdicts,
                    event_id=result.event_id,
                    query=query,
                    min_level=self.min_level,
                )
            return []
        out: list[Document] = []
        for doc, verdict in pairs:
            flagged = verdict.level >= self.min_level
            if action == "filter" and flagged:
                continue
            annotate = action == "annotate"
            meta = _selfref_meta(verdict, result.event_id, detail=annotate)
            prefix = self.note if annotate and flagged else None
            out.append(_with_meta(doc, meta, prefix=prefix))
        return out


# -- RetrievalAuditHandler --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Run:
    """What the handler remembers of a started run until it ends."""

    query: str | None
    session: str | None
    metadata: Mapping[str, Any]
    skip: bool = False


class RetrievalAuditHandler(BaseCallbackHandler):
    """Callback handler that records retrievals and tool results in the audit log."""

    raise_error = False

    def __init__(
        self,
        tracker: Tracker,
        *,
        agent: str | None = None,
        session: str | None = None,
        tool_names: Collection[str] | None = None,
    ) -> None:
        """`agent`: None takes each run's `selfref_agent` metadata; `tool_names`: names of
        the tools whose results are recorded (None: every tool)."""
        self.tracker = tracker
        self.agent = agent
        self.session = session
        self.tool_names = None if tool_names is None else frozenset(tool_names)
        self._lock = threading.Lock()
        self._runs: dict[UUID, _Run] = {}
        self._covered: set[UUID] = set()

    # retrievers

    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the query and session of a retriever run."""
        skip = GUARDED_TAG in (tags or [])
        with self._lock:
            self._runs[run_id] = _Run(query, self._session(metadata), metadata or {}, skip)

    def on_retriever_end(
        self,
        documents: Sequence[Document],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Record the documents a retriever returned."""
        with self._lock:
            run = self._runs.pop(run_id, None) or self._unknown_run()
            if parent_run_id is not None and parent_run_id in self._runs:
                self._covered.add(parent_run_id)  # a tool run: its output is this retrieval
        if run.skip:
            return
        self._record(documents, run)

    def on_retriever_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Forget a failed retriever run."""
        with self._lock:
            self._runs.pop(run_id, None)

    # tools

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the query and session of a tool run."""
        name = kwargs.get("name") or (serialized or {}).get("name")
        skip = self.tool_names is not None and name not in self.tool_names
        query = _query_from_args(inputs) if inputs else input_str
        with self._lock:
            self._runs[run_id] = _Run(query, self._session(metadata), metadata or {}, skip)

    def on_tool_end(
        self,
        output: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Record a tool's result unless a retriever inside it was already seen."""
        with self._lock:
            run = self._runs.pop(run_id, None) or self._unknown_run()
            covered = run_id in self._covered
            self._covered.discard(run_id)
        if run.skip or covered:
            return
        try:
            docs = _tool_output_documents(output)
        except Exception:
            log.warning("selfref: could not read the output of a tool", exc_info=True)
            return
        self._record(docs, run)

    def on_tool_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Forget a failed tool run."""
        with self._lock:
            self._runs.pop(run_id, None)
            self._covered.discard(run_id)

    # recording

    def _session(self, metadata: Mapping[str, Any] | None) -> str | None:
        """The configured session, else the LangGraph thread id."""
        if self.session is not None:
            return self.session
        thread = (metadata or {}).get("thread_id")
        return str(thread) if thread is not None else None

    def _unknown_run(self) -> _Run:
        """An end whose start the handler never saw: no query, the configured session."""
        return _Run(None, self.session, {})

    def _record(self, docs: Sequence[Any], run: _Run) -> None:
        """Record one event for the documents not already recorded upstream; log, never
        raise, on failure."""
        docs = [d for d in docs if not _already_recorded(d)]
        if not docs:
            return
        try:
            agent = _agent(self.agent, run.metadata, "RetrievalAuditHandler")
            self.tracker.check(agent, docs, query=run.query, session=run.session, record=True)
        except Exception as exc:
            log.warning("selfref: could not record a retrieval: %s", exc, exc_info=True)


# -- ContaminationMiddleware ------------------------------------------------------------


class ContaminationMiddleware(AgentMiddleware[AgentState[Any], Any, Any]):
    """Agent middleware that checks tool results before the model reads them."""

    def __init__(
        self,
        tracker: Tracker,
        *,
        agent: str | None = None,
        action: Action = "annotate",
        session: str | None = None,
        min_level: Level = Level.WARN,
        tool_names: Collection[str] | None = None,
        note: str = NOTE,
    ) -> None:
        """`agent`: None takes each run's `selfref_agent` metadata; `tool_names`: names of
        the tools whose results are checked (None: every tool); `note`: the line appended
        to flagged results under `annotate` (keep it neutral)."""
        super().__init__()
        self.note = note
        self.tracker = tracker
        self.agent = agent
        self.action = _check_action(action)
        self.session = session
        self.min_level = Level.parse(min_level)
        self.tool_names = None if tool_names is None else frozenset(tool_names)

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]],
    ) -> ToolMessage | Command[Any]:
        """Run the tool, check its result, apply the action."""
        result = handler(request)
        docs = self._documents(request, result)
        if not docs or not isinstance(result, ToolMessage):
            return result
        check = self.tracker.check(
            self._agent(request), docs, query=self._query(request), session=self._session(request)
        )
        return self._apply(result, docs, check)

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        """Async `wrap_tool_call`; the check runs in a worker thread."""
        result = await handler(request)
        docs = self._documents(request, result)
        if not docs or not isinstance(result, ToolMessage):
            return result
        check = await asyncio.to_thread(
            self.tracker.check,
            self._agent(request),
            docs,
            query=self._query(request),
            session=self._session(request),
        )
        return self._apply(result, docs, check)

    def _documents(self, request: ToolCallRequest, result: Any) -> list[Any]:
        """What to check in a result, or [] to pass it through."""
        if not isinstance(result, ToolMessage) or result.status == "error":
            return []
        if self.tool_names is not None and request.tool_call.get("name") not in self.tool_names:
            return []
        return _tool_output_documents(result)

    def _agent(self, request: ToolCallRequest) -> str:
        """The configured agent, else the agent run's `selfref_agent` metadata."""
        config = getattr(request.runtime, "config", None) or {}
        return _agent(self.agent, config.get("metadata"), "ContaminationMiddleware")

    def _query(self, request: ToolCallRequest) -> str | None:
        """The tool call's args as a query."""
        return _query_from_args(request.tool_call.get("args"))

    def _session(self, request: ToolCallRequest) -> str | None:
        """The configured session, else the LangGraph thread id."""
        if self.session is not None:
            return self.session
        config = getattr(request.runtime, "config", None) or {}
        thread = (config.get("configurable") or {}).get("thread_id")
        return str(thread) if thread is not None else None

    def _apply(self, message: ToolMessage, docs: list[Any], check: CheckResult) -> ToolMessage:
        """A copy of `message` changed as the action says."""
        verdicts = check.verdicts
        worst = max(verdicts, key=lambda v: (v.level, v.score))
        summary = _selfref_meta(worst, check.event_id, detail=False)
        update: dict[str, Any] = {
            "response_metadata": {**message.response_metadata, "selfref": summary}
        }
        artifact_docs = [d for d in docs if isinstance(d, Document)]
        if artifact_docs:
            update["artifact"] = [
                _with_meta(d, _selfref_meta(v, check.event_id, detail=self.action == "annotate"))
                for d, v in zip(artifact_docs, verdicts, strict=True)
            ]
        flagged = worst.level >= self.min_level
        if self.action == "log" or not flagged:
            return message.model_copy(update=update)
        if self.action == "annotate":
            update["content"] = _append(message.content, self.note)
        elif self.action == "block":
            update["content"] = WITHHELD
            update["artifact"] = None
        else:  # filter
            keep = [v.level < self.min_level for v in verdicts]
            notice = FILTERED.format(n=keep.count(False), total=len(keep))
            if artifact_docs:
                update["artifact"] = [d for d, k in zip(update["artifact"], keep, strict=True) if k]
                dropped = [d for d, k in zip(artifact_docs, keep, strict=True) if not k]
                update["content"] = _without(message.content, dropped, notice)
            else:
                update["content"] = WITHHELD
        return message.model_copy(update=update)


def _append(content: Any, text: str) -> Any:
    """Content with a note after it (a text block for block content)."""
    if isinstance(content, list):
        return [*content, {"type": "text", "text": text}]
    return f"{content}\n\n{text}" if content else text


def _without(content: Any, dropped: Sequence[Document], notice: str) -> str:
    """Text content with the dropped documents' text cut out, or just the notice."""
    text = content if isinstance(content, str) else None
    if text is None or any(d.page_content not in text for d in dropped):
        return notice  # their text cannot be cut out reliably: withhold it all
    for d in dropped:
        text = text.replace(d.page_content, "")
    text = text.strip()
    return f"{text}\n\n{notice}" if text else notice
