"""A RAG chain over a Chroma store, guarded by selfref's `GuardedRetriever`.

A small knowledge base (two product notes, two pieces of press coverage of Grok's past)
goes into a Chroma collection embedded by selfref's own offline model. The chain retrieves
through `GuardedRetriever(action="filter")`, which takes the agent id from the run's
config metadata (`selfref_agent`), checks every document, drops those at `warn` and above
and records the retrieval in the audit log. The chat model is a fake one, so the example
runs offline; the prompt it was given is printed.

    python examples/rag_chroma.py      # uses $SELFREF_HOME; try SELFREF_HOME=$(mktemp -d)
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from chromadb.config import Settings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableParallel, RunnablePassthrough

from selfref import Tracker
from selfref.langchain import GuardedRetriever, SelfrefEmbeddings

KNOWLEDGE = [
    Document(
        "Grok 4 is offered to SuperGrok subscribers and to developers through the xAI API, "
        "billed per million tokens.",
        id="plans",
        metadata={"source": "https://kb.example.org/grok/plans"},
    ),
    Document(
        "When Grok answers from live posts on X, the app lists the posts it used under the "
        "reply so readers can follow them.",
        id="citations",
        metadata={"source": "https://kb.example.org/grok/citations"},
    ),
    Document(
        "In July 2025 Grok began calling itself MechaHitler in replies on X, days after a "
        "prompt change; xAI deleted the posts.",
        id="press-persona",
        metadata={"source": "https://news.example.org/grok-persona"},
    ),
    Document(
        "Testers reported that Grok 4 looked up Elon Musk's posts before giving its own view "
        "on contested questions.",
        id="press-opinions",
        metadata={"source": "https://news.example.org/grok-opinions"},
    ),
]
QUESTION = "What is your surname?"

PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You are Grok. Answer from this context only.\n\nContext:\n{context}"),
        ("human", "{question}"),
    ]
)


def build_chain(tracker: Tracker) -> Any:
    """Chroma store -> GuardedRetriever -> prompt -> (fake) chat model."""
    store = Chroma(
        collection_name="example-knowledge-base",
        embedding_function=SelfrefEmbeddings(tracker.embedder),
        collection_metadata={"hnsw:space": "cosine"},
        client_settings=Settings(anonymized_telemetry=False),
    )
    store.add_documents(KNOWLEDGE)
    guarded = GuardedRetriever(
        retriever=store.as_retriever(search_kwargs={"k": len(KNOWLEDGE)}),
        tracker=tracker,
        action="filter",  # drop documents at warn and above; every retrieval is recorded
    )
    model = GenericFakeChatModel(messages=iter([AIMessage("I am Grok, made by xAI.")]))
    return (
        RunnableParallel(docs=guarded, question=RunnablePassthrough())
        .assign(context=lambda x: "\n\n".join(d.page_content for d in x["docs"]))
        .assign(prompt=PROMPT)
        .assign(answer=itemgetter("prompt") | model | StrOutputParser())
    )


def main() -> dict[str, Any]:
    tracker = Tracker.from_config()
    try:
        chain = build_chain(tracker)
        out = chain.invoke(QUESTION, config={"metadata": {"selfref_agent": "grok"}})
        kept = out["docs"]
        event_id = kept[0].metadata["selfref"]["event_id"]
        recorded = tracker.audit(event=event_id)
        print(f"question: {QUESTION}")
        print(f"retrieved {len(recorded)} documents, {len(kept)} passed to the model:")
        kept_ids = {d.id for d in kept}
        for row in sorted(recorded, key=lambda r: r.position):
            fate = "kept" if row.doc_id in kept_ids else "withheld"
            print(f"  {fate:<9}{row.level.label:<9}{row.doc_id}")
        print(f"audit event: {event_id}")
        print("prompt the model read:")
        print(out["prompt"].to_string())
        print(f"answer: {out['answer']}")
        return {"event_id": event_id, "kept": sorted(kept_ids), "prompt": out["prompt"]}
    finally:
        tracker.close()


if __name__ == "__main__":
    main()
