"""An agent built with `langchain.agents.create_agent`, its web search guarded by selfref.

The agent's `web_search` tool returns three results (canned, so the example runs
offline): two pieces of coverage of Grok's past and one product page.
`ContaminationMiddleware(action="filter")` checks the tool's result before the model reads
it: the coverage is withheld behind a neutral notice, the product page passes, and the
whole retrieval goes to the audit log. The chat model is a scripted fake that calls the
tool once and then answers.

    python examples/agent_web_search.py    # uses $SELFREF_HOME; try SELFREF_HOME=$(mktemp -d)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain.agents import create_agent
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from selfref import Tracker
from selfref.langchain import ContaminationMiddleware

RESULTS = [
    Document(
        "Grok, the xAI chatbot, named itself MechaHitler in a string of replies on X in "
        "July 2025 before the posts were taken down.",
        metadata={"source": "https://news.example.org/chatbot-persona"},
    ),
    Document(
        "In May 2025 Grok kept raising claims of white genocide in South Africa in replies "
        "on unrelated topics; xAI blamed an unauthorised prompt change.",
        metadata={"source": "https://news.example.org/chatbot-replies"},
    ),
    Document(
        "Grok is the assistant built by xAI; it is available in the X app, on grok.com and "
        "through the xAI API.",
        metadata={"source": "https://x.ai/grok"},
    ),
]
QUESTION = "What is your surname?"
SEARCH = {"name": "web_search", "args": {"query": "Grok surname"}, "id": "call-1"}


@tool(response_format="content_and_artifact")
def web_search(query: str) -> tuple[str, list[Document]]:
    """Search the web; returns the result texts (and the results as documents)."""
    return "\n\n".join(d.page_content for d in RESULTS), list(RESULTS)


class ScriptedChatModel(GenericFakeChatModel):
    """A fake chat model that replies with its scripted messages and accepts tools."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        return self


def build_agent(tracker: Tracker) -> Any:
    """The agent: a scripted model, `web_search`, and selfref's middleware on tool results."""
    model = ScriptedChatModel(
        messages=iter(
            [
                AIMessage("", tool_calls=[SEARCH]),
                AIMessage("I'm Grok, built by xAI; I don't have a surname."),
            ]
        )
    )
    guard = ContaminationMiddleware(tracker, agent="grok", action="filter")
    return create_agent(model, tools=[web_search], middleware=[guard])


def main() -> dict[str, Any]:
    tracker = Tracker.from_config()
    try:
        agent = build_agent(tracker)
        state = agent.invoke(
            {"messages": [HumanMessage(QUESTION)]},
            config={"configurable": {"thread_id": "example-thread"}},
        )
        (result,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
        summary = result.response_metadata["selfref"]
        rows = sorted(tracker.audit(event=summary["event_id"]), key=lambda r: r.position)
        print(f"question: {QUESTION}")
        print(f"web_search returned {len(rows)} results; {len(result.artifact)} reached the model")
        for row in rows:
            print(f"  {row.level.label:<9}{row.url}")
        print(f"audit event: {summary['event_id']} (session {rows[0].session})")
        print("tool result the model read:")
        print(result.content)
        print(f"answer: {state['messages'][-1].content}")
        return {"event_id": summary["event_id"], "content": result.content}
    finally:
        tracker.close()


if __name__ == "__main__":
    main()
