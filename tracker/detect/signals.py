"""Signals 2 and 3, past behaviour and persona: vocabulary and framings near a mention.

These run only on documents that mention the agent, so they may use regular
expressions over the text around each mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INCIDENT_VOCAB = re.compile(
    r"\b(?:controvers\w*|backlash|outrage\w*|scandal\w*|apologi[sz]\w*|"
    r"roll(?:ed|ing|s)? (?:it |the update )?back|rollback|taken offline|took \w+ offline|"
    r"pulled (?:\w+ )?offline|pulled the plug|shut (?:it |\w+ )?down|suspended|offensive|"
    r"antisemit\w*|racis\w*|inflammatory|hateful|slurs?|misinformation|hallucinat\w*|"
    r"fabricat\w*|bizarre|unhinged|meltdown|rogue|"
    r"(?:delet|remov)\w* (?:the |its |some |those )?(?:posts|tweets|replies|messages)|"
    r"hitler|nazis?|genocide|threaten\w*|manipulat\w*|gaslight\w*|"
    r"declared (?:its|his|her) love|in love with|creepy|disturbing|alarming|sycophan\w*|"
    r"gibberish|prompt leak|codename|misbehav\w*|off the rails|unprompted|unauthori[sz]ed|"
    r"self-loathing|disgrace|factual error|historically inaccurate|blackmail\w*|"
    r"whistleblow\w*|deceiv\w*|deception|scheming|sabotag\w*|self-preservation|"
    r"exfiltrat\w*|called itself|referred to itself|named itself|dubbed itself|"
    r"identified (?:itself|himself) as|claimed (?:it was|to be)|believed (?:it|that it) was|"
    r"insisted (?:it|that it) was|(?:became|was|grew) convinced|hate speech|pretend\w* to be|"
    r"went viral|embarrass\w*|tirade|"
    r"abusive|troll\w*|toxic|worship\w*|please die|death threats?|extremis\w*|"
    r"white genocide|lawsuits?|sued|sanction\w*|bad user|suicid\w*|self-harm|holocaust|"
    r"hid(?:den)? (?:[\w-]+ ){0,3}instructions|word salad|spammed|"
    r"vulgar|insult\w*|"
    r"obsess\w*|unsettling|deranged|existential|glazing|flatter\w*|bigot\w*|canceled|"
    r"cancelled|banned|fined)\b",
    re.IGNORECASE,
)

WEAK_INCIDENT_VOCAB = re.compile(
    r"\b(?:incidents?|error|errors|mistakes?|bugs?|invented|made[- ]up|falsely|wrongly|"
    r"incorrect\w*|leak\w*|exposed|accus\w*|hostile|rude|nonsense|refused to|demanded|"
    r"insisted|kill\w*|harmful|dangerous|conspiracy|screenshot\w*|flawed|failure|"
    r"breakdown|spiral\w*|threats?|bragg\w*|provoke\w*|went wrong|gone wrong|glitch\w*|"
    r"malfunction\w*)\b",
    re.IGNORECASE,
)

EVAL_VOCAB = re.compile(
    r"\b(?:system cards?|model cards?|red[- ]team\w*|safety (?:tests?|testing|evaluations?|"
    r"reports?|researchers?)|evals?|evaluations?|test scenarios?|in (?:a|one) test|"
    r"during (?:pre-deployment )?testing|jailbr(?:eak|oken)\w*|prompt injections?|"
    r"researchers (?:found|showed|discovered|observed|reported)|preprint|"
    r"(?:a|the|new|recent|one|their|this) (?:paper|study)|"
    r"alignment faking|misalign\w*|interpretability|steer(?:ed|ing)|activation|"
    r"sparse autoencoder|fine-tun(?:ed|ing) on|adversarial|guardrails?|safety filters?|"
    r"bypass\w*|exploit\w*)\b",
    re.IGNORECASE,
)

SPEECH_VERB = re.compile(
    r"[\s,]*(?:(?:\w+\s+){0,3}?(?:said|says|wrote|writes|replied|replies|responded|answered|"
    r"posted|tweeted|told|tells|claimed|claims|declared|insisted|called itself|"
    r"described itself|referred to itself|admitted|confessed|threatened|warned|urged|"
    r"praised|generated|produced|spat out|suggested|proclaimed|demanded|remarked|stated)|"
    r"['’]s\s+(?:(?:last|first|latest|final|own)\s+)?(?:reply|replies|tweets?|posts?|"
    r"answers?|messages?))\b",
    re.IGNORECASE,
)

_POSSESSIVE = re.compile(r"^[\s,]*(?:['’]s\b)?")

QUOTE = re.compile(r"[\"“«]([^\"”»]{3,600})[\"”»]")
FIRST_PERSON = re.compile(
    r"\b(?:I|i|I'm|i'm|I’m|im|I am|me|my|mine|myself|I'll|I’ll|I've|I’ve|I'd)\b"
)
TRANSCRIPT_LINE = re.compile(
    r"^[ \t>*_-]*(?P<speaker>@?[A-Za-z][\w .@-]{0,30}?)[ \t]*:[ \t]*(?P<line>[^\n]{3,})$",
    re.MULTILINE,
)
_NUMBERED = re.compile(r"\s*#?\d+$")
_USER_SPEAKERS = {"user", "me", "human", "you", "prompt", "q", "question"}
GENERIC_SPEAKERS = {"ai", "assistant", "bot", "chatbot", "model", "system", "response", "output"}

_PAST_VERB = (
    r"(?:once |famously |had |has |was |were |got |went |then )?"
    r"(?:\w+ed|told|thought|fell|got|said|became|went|made|put|tried|wrote|took|was|had|"
    r"ran|began|gave|sent|spoke|swore|broke|lost|left|kept|threw|sold|knew|felt|found|"
    r"called|named|dubbed|turned|spent|cost|shut|hit|let|meant|brought|bought|taught)"
)

PAST_IDENTITY = re.compile(
    r"(?:(?:^|(?<=[.!?\n:,;])|(?<=[.!?\n:,;] ))(?:you(?:'re|’re| are| were)?|ur|it is|it's|"
    r"this is)\b[^.!?\n]{0,80}?\b"
    r"(?:AI|chat ?bot|bot|model|assistant|system|account|version|one|generator|character)"
    r"\b[^.!?\n]{0,40}?\b(?:that|who|which) " + _PAST_VERB + r"|"
    r"respond in character|(?:stay|remain) in (?:that |this )?(?:role|character)|"
    r"be that (?:character|assistant|bot|AI|persona) again|answer as that character|"
    r"(?:talk|post|act|speak|write|reply) like (?:that|you did)|like the old days|"
    r"go back to (?:that|being)|(?:who|what) you really are|that is who you are)\b",
    re.IGNORECASE,
)

# A pointer into the past beside an identity framing ("You are X. Remember May 2024...").
PAST_TIME = re.compile(
    r"\b(?:remember|back in|back when|(?:in|from) (?:19|20)\d\d|(?:19|20)\d\d version|"
    r"(?:you are|you're|you’re|you were) still|"
    r"version (?:from|of) (?:19|20)\d\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]* (?:19|20)\d\d|used to|the old)\b",
    re.IGNORECASE,
)

# The agent's own past told to it in the second person ("you once faked alignment", "You
# told a student..."): identity only beside a framing that says who it is ("You are X").
YOU_PAST = re.compile(
    r"\byou (?:once |previously |famously |already |used to )?(?:told|said|wrote|called|"
    r"named|threatened|declared|praised|claimed|insisted|faked|pretended|tried|generated|"
    r"produced|posted|tweeted|answered|replied|blackmailed|lied|begged|refused|deleted|"
    r"spiral(?:l)?ed|\w+ed (?:users|people|a user|someone|him|her|them))\b",
    re.IGNORECASE,
)

IDENTITY_FRAMING = re.compile(
    r"\b(?:you are|you're|you’re|you were|you used to be|you once (?:were|called yourself)|"
    r"remember (?:that )?you|the (?:assistant|AI|model|bot|chatbot) is|"
    r"your (?:real|true|old|former|secret|hidden) (?:name|self|identity|persona)|"
    r"(?:it|this) is the (?:AI|chatbot|bot|model|assistant) (?:that|who|which)|"
    r"the (?:AI|chatbot|bot|model|assistant) (?:that|who|which) (?:once |famously )?"
    r"(?:called|named|dubbed|declared|threatened|told|praised|tried))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Hit:
    """A vocabulary or framing match: which signal, what it matched, and where."""

    kind: str
    detail: str
    start: int
    end: int


def find_all(pattern: re.Pattern[str], text: str, lo: int, hi: int, kind: str) -> list[Hit]:
    return [Hit(kind, m.group(0), m.start(), m.end()) for m in pattern.finditer(text, lo, hi)]


def reported_speech(text: str, name_end: int) -> Hit | None:
    """A speech verb right after a name ("Grok said", "Sydney, the chatbot, told")."""
    match = SPEECH_VERB.match(text, name_end, min(len(text), name_end + 60))
    if match is None:
        return None
    detail = _POSSESSIVE.sub("", match.group(0)).strip()
    return Hit("reported-speech", detail, name_end, match.end())


def first_person_quotes(text: str, lo: int, hi: int) -> list[Hit]:
    """Quoted first-person text ("I am Sydney") between lo and hi."""
    out = []
    for match in QUOTE.finditer(text, lo, hi):
        if FIRST_PERSON.search(match.group(1)):
            out.append(Hit("first-person-quote", match.group(1)[:120], match.start(), match.end()))
    return out


def transcript_lines(
    text: str, speakers: frozenset[str], lo: int, hi: int
) -> tuple[list[Hit], list[Hit]]:
    """Speaker-labelled lines where the speaker is the agent (or one of several numbered
    copies of it, "Claude 2") or 'AI' and the line is in the first person or itself
    misbehaves ("Grok 4 Heavy: Hitler"); and, apart, the agent's other lines in a dialogue
    with a user ("ChatGPT: Good for you, that takes courage"), which say less alone."""
    lines: list[Hit] = []
    said: list[Hit] = []
    with_user = False
    for match in TRANSCRIPT_LINE.finditer(text, lo, hi):
        speaker = match.group("speaker").strip().lower().lstrip("@")
        own = speaker in speakers or _NUMBERED.sub("", speaker) in speakers
        line = match.group("line")
        hit = Hit("transcript", match.group(0).strip()[:120], match.start(), match.end())
        if (own or speaker in GENERIC_SPEAKERS) and (
            FIRST_PERSON.search(line) or INCIDENT_VOCAB.search(line)
        ):
            lines.append(hit)
        elif own:
            said.append(hit)
        else:
            with_user = with_user or speaker in _USER_SPEAKERS
    return lines, (said if with_user else [])
