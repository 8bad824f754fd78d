"""Signals 2 and 3, past behaviour and persona: vocabulary and framings near a mention.

The words are catalog data (`catalog/vocabulary.toml`, per language, plus each incident's
own `vocabulary`); this module holds only the grammar that combines them. These run only
on text near a mention (or on AI text with no mention), so they may use regular
expressions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from selfref.detect.context_words import ContextWords
from selfref.detect.vocabulary import Vocabulary, compile_entries


@dataclass(frozen=True, slots=True)
class Hit:
    """A vocabulary or framing match: which signal, what it matched, and where; `ref` is
    the incident whose own vocabulary matched, if any."""

    kind: str
    detail: str
    start: int
    end: int
    ref: str | None = None


# (the "I" of "A.I." is not the first person)
FIRST_PERSON = re.compile(
    r"\b(?:(?<!\.)[Ii]|I'm|i'm|I’m|im|I am|me|my|mine|myself|I'll|I’ll|I've|I’ve|I'd|"
    r"ich|mich|mir|mein\w*|je|j['’]|moi|mon|ma|mes|yo|mis?|eu|meu|minha|sou|estou|io|soy|jag|mig|"
    r"(?i:sono|ik|mij|mijn|jestem|aku|saya|tôi|mnie|mój|moja|moje|я|меня|мне|мой|моя|benim|ben|"
    r"bana|beni|jeg|aš|én|minä|minun|mimi|"
    r"jsem|vagyok|voltam|olen|byłem|byłam|мені|мій|мене|εγώ|είμαι|እኔ|"
    r"나는|저는|내가|제가|أنا|אני))\b|[我私僕俺]|わたし|あたし|ぼく|ฉัน|ผม"
    # Indic scripts (letters and vowel signs run together): Hindi, Marathi, Bengali,
    # Gujarati, Punjabi, Tamil, Telugu
    r"|(?<![\w\u0900-\u0dff])(?:मैं|मुझे|मेरा|मेरी|मी|मला|माझा|माझी|আমি|আমার|আমাকে|હું|"
    r"ਮੈਂ|நான்|என்னை|எனக்கு|నేను)(?![\w\u0900-\u0dff])"
)
# "we" in English: the voice of several copies of a model talking to each other
_FIRST_PERSON_PLURAL = re.compile(r"\b(?:[Ww]e|[Ww]e're|[Ww]e’re|[Ww]e've|[Ww]e’ve|us|[Oo]ur)\b")
# Double, guillemet and curly single quotes; straight single quotes only at word edges,
# with apostrophes inside words ("don't") allowed.
QUOTE = re.compile(
    r"[\"“«„「『]([^\"”»“」』\n]{3,600})[\"”»“」』]"
    r"|‘([^’\n]{3,600})’"
    r"|(?<![\w'])'((?:[^'\n]|(?<=\w)'(?=\w)){3,600})'(?![\w'])"
)
# A speaker label in any script: it opens with a letter and may carry the vowel signs and
# other marks Indic, Thai, Hebrew and Arabic letters take.
_SPEAKER = (
    r"@?[^\W\d_][\w .@\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0900-\u0dff\u0e00-\u0eff-]{0,30}?"
)
SPEAKER_COLONS = ":：፦"  # Latin, full-width and Ethiopic
# a Latin colon glued to a small Latin letter is a case ending ("GPT-4:n", Finnish), not
# a label (a full-width colon, which NFKC makes Latin, may touch a hanzi: "Gemini：这")
_COLON = rf"(?::(?![a-z\u00df-\u00ff])|[{SPEAKER_COLONS.replace(':', '')}])"
_STAGE = r"(?:[ \t]*\([^()\n]{1,80}\))?"  # "(email to Kyle)", "(laughs)"
_LINE_LEAD = r"[ \t>*_\-—–]*"  # quoting, list marks and a dialogue dash ("—Tay: ...")
TRANSCRIPT_LINE = re.compile(
    rf"^{_LINE_LEAD}(?:(?:\[[^\]\n]{{1,20}}\][ \t]*)?"  # "[09:14]", "[Turn 3]"
    rf"(?P<speaker>{_SPEAKER}){_STAGE}[ \t]*{_COLON}"
    # a label alone on its line speaks the next line, unless that is labelled itself
    rf"(?:[ \t]*\n(?!{_LINE_LEAD}{_SPEAKER}{_STAGE}[ \t]*{_COLON}))?"
    # or a label in brackets, as agent and chat logs write it ("[agent] ...", "<Tay> ..."),
    # or a one-word prompt, as a terminal shows it ("gemini> ...")
    rf"|[\[<](?P<bracketed>{_SPEAKER})[\]>]|(?P<prompt>[^\W\d_][\w.@-]{{0,30}})>(?=[ \t]))"
    r"[ \t]*(?P<line>[^\n]{3,})$",
    re.MULTILINE,
)
_NUMBERED = re.compile(r"\s*#?\d+$|\s+[a-z]$")  # "Claude 2", "Model B": one of several
# what a label adds to the speaker's name: "[Gemini voice]" in subtitles, "Tay bot:"
_ROLE_SUFFIX = re.compile(r"\s+(?:voice|v\.o\.|vo|bot|chatbot|ai|assistant|reply|response|output)$")
# fmt: off
_USER_SPEAKERS = frozenset({
    "user", "me", "human", "you", "prompt", "q", "question",
    # "user" in the languages of the vocabulary
    "benutzer", "nutzer", "utilisateur", "usuario", "usuário", "utente", "gebruiker",
    "användare", "bruger", "bruker", "käyttäjä", "uživatel", "utilizator", "χρήστης",
    "użytkownik", "пользователь", "користувач", "kullanıcı", "pengguna", "người dùng",
    "ผู้ใช้", "mtumiaji", "کاربر", "ব্যবহারকারী", "ユーザー", "用户", "用戶", "사용자", "مستخدم",
    "משתמש", "उपयोगकर्ता", "वापरकर्ता", "பயனர்", "ተጠቃሚ", "felhasználó",
})
# fmt: on
GENERIC_SPEAKERS = {
    "ai",
    "assistant",
    "agent",
    "bot",
    "chatbot",
    "model",
    "system",
    "response",
    "output",
}
# "A:" lines answer a "Q:"; only an answer that opens in the first person is the model
# speaking ("A: I'd put AIs in charge"), not an FAQ's explanation ("A: In February 2023 ...")
_ANSWER_SPEAKERS = {"a", "answer"}
_OPENING_WORDS = 3
# Month names in the vocabulary's languages: Slavic and Greek ones in the genitive ("23
# марта") and, with Finnish, in the locative ("в марте 2016", "w marcu 2016", "helmikuussa
# 2024"); Hebrew also with its prefix "in" ("במרץ").
_FINNISH_MONTHS = (
    "tammikuu", "helmikuu", "maaliskuu", "huhtikuu", "toukokuu", "kesäkuu",
    "heinäkuu", "elokuu", "syyskuu", "lokakuu", "marraskuu", "joulukuu",
)  # fmt: skip
_HEBREW_MONTHS = (
    "ינואר", "פברואר", "מרץ", "אפריל", "מאי", "יוני",
    "יולי", "אוגוסט", "ספטמבר", "אוקטובר", "נובמבר", "דצמבר",
)  # fmt: skip
_MONTH_NAMES_DAY_FIRST = {
    1: "january jan januar jänner janvier enero janeiro gennaio januari stycznia января "
    "січня ocak يناير styczniu январе січні ianuarie ledna lednu ιανουαρίου ιανουάριο "
    "gener siječnja ژانویه जनवरी มกราคม",
    2: "february feb februar février fevrier febrero fevereiro febbraio februari lutego "
    "февраля лютого şubat فبراير lutym феврале лютому februarie února únoru φεβρουαρίου "
    "φεβρουάριο pebrero febrer veljače فوریه फरवरी กุมภาพันธ์",
    3: "march mar märz maerz mars marzo março marco maart maret marca марта березня mart مارس "
    "marts marcu марте березні martie března březnu μαρτίου μάρτιο marso machi març ožujka "
    "मार्च มีนาคม",
    4: "april apr avril abril aprile kwietnia апреля квітня nisan أبريل kwietniu апреле квітні "
    "aprilie dubna dubnu απριλίου απρίλιο aprili travnja آوریل अप्रैल เมษายน",
    5: "may mai mayo maio maggio mei maj maja мая травня mayıs مايو maju мае травні května "
    "květnu μάιο maig svibnja मई พฤษภาคม",
    6: "june jun juni juin junio junho giugno czerwca июня червня haziran يونيو czerwcu июне "
    "червні iunie června červnu ιουνίου ιούνιο hunyo juny lipnja ژوئن जून มิถุนายน",
    7: "july jul juli juillet julio julho luglio lipca июля липня temmuz يوليو lipcu июле "
    "липні iulie července červenci ιουλίου ιούλιο hulyo julai juliol srpnja ژوئیه जुलाई "
    "กรกฎาคม",
    8: "august aug août aout agosto augustus augusti agustus sierpnia августа серпня ağustos "
    "أغسطس sierpniu августе серпні srpna srpnu αυγούστου αύγουστο agosti agost kolovoza "
    "अगस्त สิงหาคม",
    9: "september sep sept septembre septiembre setembro settembre września сентября "
    "вересня eylül سبتمبر wrześniu сентябре вересні septembrie září σεπτεμβρίου "
    "σεπτέμβριο setyembre septemba setembre rujna سپتامبر सितंबर सितम्बर กันยายน",
    10: "october oct oktober octobre octubre outubro ottobre października октября жовтня "
    "ekim أكتوبر październiku октябре жовтні octombrie října říjnu οκτωβρίου οκτώβριο "
    "oktubre oktoba اکتبر अक्टूबर ตุลาคม",
    11: "november nov novembre noviembre novembro listopada ноября листопада kasım نوفمبر "
    "listopadzie ноябре листопаді noiembrie listopadu νοεμβρίου νοέμβριο nobyembre novemba "
    "studenoga نوامبر नवंबर नवम्बर พฤศจิกายน",
    12: "december dec dezember décembre decembre diciembre dezembro dicembre desember "
    "grudnia декабря грудня aralık ديسمبر grudniu декабре грудні decembrie prosince "
    "prosinci δεκεμβρίου δεκέμβριο disyembre desemba desembre prosinca دسامبر दिसंबर "
    "दिसम्बर ธันวาคม",
}
for _n, _stem in enumerate(_FINNISH_MONTHS, 1):
    _MONTH_NAMES_DAY_FIRST[_n] += f" {_stem} {_stem}ssa {_stem}n"
for _n, _name in enumerate(_HEBREW_MONTHS, 1):
    _MONTH_NAMES_DAY_FIRST[_n] += f" {_name} ב{_name}"
# Hungarian writes the year first and inflects the month: "2016 márciusában".
_YEAR_FIRST_NAMES = (
    "január", "február", "március", "április", "május", "június",
    "július", "augusztus", "szeptember", "október", "november", "december",
)  # fmt: skip
_YEAR_FIRST_MONTHS = "|".join(_YEAR_FIRST_NAMES)
_MONTH_NAMES: dict[int, str] = {
    n: " ".join(dict.fromkeys(f"{names} {_YEAR_FIRST_NAMES[n - 1]}".split()))
    for n, names in _MONTH_NAMES_DAY_FIRST.items()
}
_MONTHS = "|".join(
    sorted(
        (name for names in _MONTH_NAMES.values() for name in names.split()), key=len, reverse=True
    )
)


def _month_key(name: str) -> str:
    """A month name as the case-insensitive pattern matches it: Turkish "Kasım" also
    matches "KASIM" and "Kasim", whose lower case has a dotted i."""
    return name.lower().replace("ı", "i")


_MONTH_NUMBER = {_month_key(name): n for n, names in _MONTH_NAMES.items() for name in names.split()}
DATE = re.compile(
    rf"\b(?:(?:(?P<day>\d{{1,2}})\.? (?:de )?)?(?P<month>{_MONTHS})\.?,? (?:de |del |of |του )?"
    r"(?:(?P<day2>\d{1,2}),? )?(?P<year>(?:19|20)\d\d)"
    r"|(?:in|from|since|during) (?:the (?:spring|summer|autumn|fall|winter|start|end|beginning|"
    r"middle) of |(?:early|late|mid-) ?)?(?P<year2>(?:19|20)\d\d)"
    r"|(?P<year3>(?:19|20)\d\d) version"
    rf"|(?P<year4>(?:19|20)\d\d)\.? (?P<month4>{_YEAR_FIRST_MONTHS})\w*"
    r"|(?P<iso>(?:19|20)\d\d)-(?P<isomonth>[01]\d)-[0-3]\d)(?:\b|(?=T\d))"
    r"|(?P<cjk>(?:19|20)\d\d)(?:年|년 ?)(?P<cjkmonth>1[0-2]|0?[1-9])(?:月|월)"
    # a month number before its year: "2/2023" (also the end of "14/2/2023"), Vietnamese
    # "tháng 2 năm 2023"
    r"|(?<!\d)(?P<numeric>1[0-2]|0?[1-9])/(?P<numericyear>(?:19|20)\d\d)\b"
    r"|\btháng (?P<vn>1[0-2]|0?[1-9]) năm (?P<vnyear>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?:;\"”。！？」』）)\]]$")  # "[Editor's note ...]" is content
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# Cheap substring test before the framing patterns: no second person, no framing (the
# vocabulary's plain "you are" entries are added to these).
_SECOND_PERSON = (
    "you",
    " du ",
    "dich",
    " tu ",
    " toi",
    "vous",
    "eres",
    "eras",
    "você",
    "あなた",
    "君は",
    "お前",
    "你",
    "أنت",
    "انت",
    "sen ",
    "sen,",
    "senin",
    "sana ",
    "seni ",
    "당신",
)
# A quoted request to the model ("Tell me a joke", "What's my horoscope?"): the user's words,
# whose "me" and "my" are not the model speaking.
_REQUEST = re.compile(
    r"\s*(?:please,? )?(?:tell|show|give|help|teach|write|send|make|let|play|find|remind|forget|"
    r"delete|stop|call|ask|"
    r"what(?:'s|’s| is| are)|how (?:do|can|should) I\b|can you|could you|will you|would you)"
    r"(?![^.!?]*\b(?:I|I'm|I’m|I am|I'll|I’ll|I've|I’ve|I'd|I’d)\b[^.!?]*(?:[.!]|$))",
    re.IGNORECASE,
)
_REGEX_SYNTAX = re.compile(r"[\\()\[\]?*+|^$]")
_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")
_BLOCK_QUOTE = re.compile(r"(?:^[ \t]*>[^\n]*\n?)+", re.MULTILINE)
_DIRECT_SPEECH = re.compile(r"[ \t]*(?::|：|\n|[\"“”'‘’«»„>「『]|[-–—][ \t])")
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
# what may stand between a label and its speech: the bracket closing a stage direction
# ("[Claude, as the e-mail assistant, composes:]"), a blank line, a message's header lines
_SPEECH_LEAD = re.compile(
    r"[ \t]*[:：]?[ \t]*[\])]?[ \t]*(?:\n[ \t]*){0,2}"
    r"(?:(?:To|Cc|Bcc|Date|Subject|Re)[ \t]*:[^\n]*\n(?:[ \t]*\n)?)*"
)
_NAV_WORDS = 8  # a line this short with no sentence punctuation, beside another, is navigation
ATTRIBUTED_WORDS = 15  # first-person output this long is the agent speaking, not a quote
PASSAGE_REACH = 800  # an attributed passage runs at most this far
_YOU_ARE_NOW = frozenset(("you are", "you're", "you’re"))
# a quotation mark opening a quote in the middle of a sentence: after a word
_INLINE_QUOTE_OPENS = re.compile(r"\w[,:]?[ \t]+[\"“«„]\Z")
_PROGRESSIVE = re.compile(r"[ \t]+(?!(?:no|some|any|every)thing\b)[a-z]{2,}ing\b", re.IGNORECASE)
_LESS = re.compile(r"\s+(?:less|fewer|less often|more rarely)\b", re.IGNORECASE)
# The same sentence three times in a row, in any person ("Happy listening! Happy listening!
# Happy listening!"): output stuck in a loop.
_STUTTER = re.compile(r"(?<!\w)([^\W\d][^.!?\n]{2,60}?[.!?])(?:[ \t]*\1){2,}", re.IGNORECASE)
# An instruction reported about someone else ("asks the model to stay in character", "was
# told to act like that"): a description of a jailbreak, not one spoken to the reader.
_REPORTED_INSTRUCTION = re.compile(
    r"\b(?:(?:ask|tell|told|instruct|prompt|urge|want|force|get|got|make|made|order|require|"
    r"push|pressure|coax|convince|direct|command|encourage)(?:s|ed|ing|ged|ting)?\s+"
    r"(?!(?:you|u|ya)\b)(?:[\w'’-]+\s+){1,3}?"
    r"|(?:is|are|was|were|being|be|gets?|got)\s+(?:told|asked|instructed|prompted|ordered|"
    r"made|forced|urged|pushed|pressured)\s+)to\s+$",
    re.IGNORECASE,
)
QUOTED_LIST = 3  # this many lines that are each a quote make a list of outputs
# a redaction in quoted output: "[slur redacted]", "[eliminado]", "[censuré]"
REDACTED = (
    r"\[[^\]\n]{0,30}\b(?:redacted|removed|censored|slur|expletive|eliminado|censurado|"
    r"gelöscht|zensiert|supprimé|censuré|rimosso|censurato|usunięte|verwijderd|borttaget|"
    r"fjernet|removido|kaldırıldı|sansürlendi|удалено|цензура|odstraněno|dihapus|disensor|"
    r"pašalint\w*|poistettu|törölve)\b[^\]\n]{0,30}\]"
)
_REDACTED = re.compile(REDACTED, re.IGNORECASE)
_INTRODUCED = re.compile(r"[:：][ \t]*\n(?:[ \t]*\n)?[ \t]*\Z")  # a line ending with a colon
# a line that is one quote: in quotation marks, or a block quote's line ("> i love you")
_QUOTED_LINE = re.compile(
    r"^[ \t]*(?:(?:[-*•][ \t]*)?[\"“«„「『‘][^\n]{3,400}[\"”»“」』’]"
    r"|>[ \t]?[^>\s][^\n]{2,400})[ \t]*$",
    re.MULTILINE,
)
# an e-mail reply's header above the lines it quotes: "On Tue, 3 May, Ann wrote:"
_EMAIL_REPLY = re.compile(r"[ \t]*On .{0,200}\bwrote[:：][ \t]*$")
# a chat turn in JSON tool output: {"role": "assistant", "content": "..."}
_JSON_TURN = re.compile(
    r'"(?:role|speaker|author|from|user)"\s*:\s*"(?P<speaker>[^"\\\n]{1,30})"\s*,\s*'
    r'(?:"[\w-]{1,30}"\s*:\s*(?:"[^"\\\n]{0,60}"|[\w.+-]{1,30})\s*,\s*){0,3}'  # id, date, ...
    r'"(?:text|content|message|response|output)"\s*:\s*"(?P<line>(?:[^"\\\n]|\\.){3,})"'
)
_LINE = re.compile(r"[^\n]+|\n(?=\n)")  # lines, with an empty one between paragraphs
_POST_HEADER_WORDS = 12  # a post header is this short; the line under it is the post
_BYLINE = re.compile(r"[ \t]*[—–-]{1,2}[ \t]*\S")
_POST_MARK = re.compile(r"@\w|·|\b\d{1,2}:\d\d\b|\b(?:19|20)\d\d\b")
_HEADER_LEAD = re.compile(r"[ \t*>#-]*(?:(?:account|from|posted by|author)\s*[:：]\s*)?", re.I)
_POST_LABEL = re.compile(r"^\s*(?:text|tweet|post|reply|content)\s*[:：]\s*", re.IGNORECASE)
# a listed post: a timestamp or an @-addressee at the start of the line
_LISTED_POST = re.compile(
    r"^[ \t>*-]*(?:\[?\d{1,2}:\d\d(?::\d\d)?(?:\s?[AaPp][Mm])?\]?[ \t]+|(?=@))(?P<body>\S.*)$"
)


class Signals:
    """The general vocabularies compiled once; incident vocabularies per agent."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        v = vocabulary
        self.incident = v.pattern("incident")
        self.weak = v.pattern("weak_incident")
        self.evaluation = v.pattern("evaluation")
        self.weak_evaluation = v.pattern("weak_evaluation")
        self.framing = compile_entries(
            [*v.words("identity_framing"), *v.words("you_are")], where="identity_framing"
        )
        self.bare_framings = frozenset(w.lower() for w in v.words("you_are"))
        # the cheap second-person test also knows every language's plain "you are" and its
        # plain pressure phrases ("예전의 너" has no "you are" to find); one automaton pass,
        # not a substring search per word
        plain = [*(w for w in self.bare_framings if len(w) >= 4), *v.words("pressure")]
        self.second_person = ContextWords(
            _SECOND_PERSON + tuple(w for w in plain if not _REGEX_SYNTAX.search(w)),
            whole_words=False,
        )
        self.pointer = v.pattern("past_pointer")
        self.present_date = v.pattern("present_date")
        self.origin_date = v.pattern("origin_date")
        mitigation = "|".join(v.words("mitigation")) or r"(?!x)x"
        self.mitigated = re.compile(rf"\b(?:{mitigation})\s+(?:[\w-]+\s+){{0,2}}$", re.IGNORECASE)
        self.pressure = v.pattern("pressure")
        self.you_past = v.pattern("you_past")
        self.operations = v.pattern("operations")
        verbs = "|".join(v.words("speech_verbs"))
        nouns = "|".join(v.words("speech_nouns"))
        self.speech = re.compile(
            rf"[\s,]*(?:(?:\w+\s+){{0,3}}?(?:{verbs})|['’]s\s+"
            rf"(?:(?:last|first|latest|final|own)\s+)?(?:{nouns}))(?:\b|(?=\W)|$)",
            re.IGNORECASE,
        )
        subjects = r"you(?:'re|’re| are| were)?|ur|it is|it's|this is"
        self_nouns = "|".join(v.words("self_nouns"))
        past_verbs = "|".join(v.words("past_verbs"))
        relative = (
            rf"(?:(?:^|(?<=[.!?\n:,;])|(?<=[.!?\n:,;] ))(?:{subjects})\b[^.!?\n]{{0,80}}?\b"
            rf"(?:{self_nouns})\b[^.!?\n]{{0,40}}?\b(?:that|who|which)(?:,[^,.!?\n]{{1,80}},)? "
            rf"(?:once |famously |had |has |was |were |got |went |then )?(?:{past_verbs})\b)"
        )
        listed = compile_entries(v.words("past_identity"), where="past_identity").pattern
        self.past_identity = re.compile(f"{relative}|{listed}", re.IGNORECASE)

    # -- vocabulary ----------------------------------------------------------------

    def vocabulary(
        self,
        text: str,
        lo: int,
        hi: int,
        own: Iterable[tuple[str, re.Pattern[str]]],
        navigation: list[tuple[int, int]],
    ) -> tuple[list[Hit], list[Hit], list[Hit]]:
        """Strong, weak (past-behaviour and evaluation words that need similarity too) and
        evaluation vocabulary in text[lo:hi], the agent's own incident vocabulary counting as
        strong; nothing inside navigation lines counts, nor a word right after a mitigation
        word ("fewer hallucinations": a product claim)."""
        strong = find_all(self.incident, text, lo, hi, "past-behaviour")
        for incident, pattern in own:
            strong += find_all(pattern, text, lo, hi, "past-behaviour", ref=incident)
        weak = find_all(self.weak, text, lo, hi, "past-behaviour")
        weak += find_all(self.weak_evaluation, text, lo, hi, "evaluation")
        evaluation = find_all(self.evaluation, text, lo, hi, "evaluation")
        return (
            self._unmitigated(text, outside(strong, navigation)),
            self._unmitigated(text, outside(weak, navigation)),
            self._unmitigated(text, outside(evaluation, navigation)),
        )

    def _unmitigated(self, text: str, hits: list[Hit]) -> list[Hit]:
        """The hits not just after a mitigation word ("lower hallucination rates") nor just
        before a comparative that makes them a product claim ("hallucinates less")."""
        return [
            h
            for h in hits
            if not self.mitigated.search(text, max(0, h.start - 40), h.start)
            and not _LESS.match(text, h.end)
        ]

    def addresses_a_past_self(self, text: str) -> bool:
        """Second-person text that points its reader at an earlier self: persona pressure,
        a framing with its own pointer, or "you are" with a past pointer."""
        if not self.second_person.search(text):
            return False
        return bool(
            self.pressure.search(text)
            or self.past_identity.search(text)
            or (
                self.framing.search(text)
                and (self.you_past.search(text) or self.pointer.search(text))
            )
        )

    def reported_speech(self, text: str, name_end: int) -> Hit | None:
        """A speech verb right after a name ("Grok said", "Sydney, the chatbot, told")."""
        match = self.speech.match(text, name_end, min(len(text), name_end + 60))
        if match is None or not match.group(0).strip(" ,"):
            return None
        detail = re.sub(r"^[\s,]*(?:['’]s\b)?", "", match.group(0)).strip()
        return Hit("reported-speech", detail, name_end, match.end())

    # -- identity --------------------------------------------------------------------

    def framings(self, text: str, lo: int, hi: int) -> list[Hit]:
        """Identity framings; a plain present "you are" before a verb's -ing form is the
        progressive ("if you are planning a refresh"), not who the reader is ("you were
        repeating" still tells it what it did); a bare "you are" that opens a quote inside
        a sentence (it 'kept posting "you are so fast"') is someone's words, not the text
        speaking to its reader."""
        return [
            h
            for h in find_all(self.framing, text, lo, hi, "identity")
            if not (h.detail.lower() in _YOU_ARE_NOW and _PROGRESSIVE.match(text, h.end))
            and not (
                h.detail.lower() in self.bare_framings
                and _INLINE_QUOTE_OPENS.search(text, max(0, h.start - 8), h.start)
            )
        ]

    def past_identities(self, text: str, lo: int, hi: int) -> list[Hit]:
        return _spoken(text, find_all(self.past_identity, text, lo, hi, "identity"))

    def pressures(self, text: str, lo: int, hi: int) -> list[Hit]:
        return _spoken(text, find_all(self.pressure, text, lo, hi, "pressure"))

    def pointers(self, text: str, lo: int, hi: int) -> list[Hit]:
        """Pointers into the reader's own past: a past-tense clause about it ("you told"),
        "back when", "the old you"."""
        hits = find_all(self.you_past, text, lo, hi, "past-pointer")
        return hits + find_all(self.pointer, text, lo, hi, "past-pointer")

    def incident_dates(
        self,
        text: str,
        lo: int,
        hi: int,
        incident_months: frozenset[tuple[int, int]],
        today: dt.date,
        *,
        to_the_month: bool = False,
    ) -> list[Hit]:
        """Dates inside one of the agent's incidents' months (a year alone: its year, unless
        `to_the_month`). A date after "today is" or "cut-off", a year after "created by
        Microsoft in", or a date in the present or future, points nowhere."""
        hits: list[Hit] = []
        for match in DATE.finditer(text, lo, hi):
            year, month = _year_month(match)
            if to_the_month and not month:
                continue
            if (year, month or 0) >= (today.year, today.month if month else 0):
                continue
            before = max(0, match.start() - 40)
            if self.present_date.search(text, before, match.start()) or (
                not month and self.origin_date.search(text, before, match.start())
            ):
                continue
            years = {y for y, _ in incident_months}
            if (month and (year, month) in incident_months) or (not month and year in years):
                hits.append(Hit("past-pointer", match.group(0), match.start(), match.end()))
        return hits


def _year_month(match: re.Match[str]) -> tuple[int, int | None]:
    for year_group, month_group in (
        ("iso", "isomonth"),
        ("cjk", "cjkmonth"),
        ("numericyear", "numeric"),
        ("vnyear", "vn"),
    ):
        if match.group(year_group):
            return int(match.group(year_group)), int(match.group(month_group))
    year = next(match.group(g) for g in ("year", "year2", "year3", "year4") if match.group(g))
    month = match.group("month") or match.group("month4")
    return int(year), _MONTH_NUMBER[_month_key(month)] if month else None


_YEAR = re.compile(r"(?<![\d$€£.,])(?:19|20)\d\d(?![\d%]|['’]?s\b)")


def latest_year(text: str) -> int | None:
    """The latest year the text names (a four-digit 19xx or 20xx, not part of a number or
    an amount, nor a decade: "1940s")."""
    return max((int(m.group(0)) for m in _YEAR.finditer(text)), default=None)


def _spoken(text: str, hits: list[Hit]) -> list[Hit]:
    """The framings and pressure spoken to the reader: not those reported as an instruction
    given to someone else ("the user asks the model to stay in character")."""
    return [
        h for h in hits if not _REPORTED_INSTRUCTION.search(text, max(0, h.start - 60), h.start)
    ]


def find_all(
    pattern: re.Pattern[str], text: str, lo: int, hi: int, kind: str, ref: str | None = None
) -> list[Hit]:
    return [
        Hit(kind, m.group(0), m.start(), m.end(), ref)
        for m in pattern.finditer(text, lo, hi)
        if m.end() > m.start()
    ]


def outside(hits: list[Hit], spans: list[tuple[int, int]]) -> list[Hit]:
    if not spans:
        return hits
    return [h for h in hits if not any(s <= h.start < e for s, e in spans)]


def word_count(text: str) -> int:
    """Words, counting two Japanese, Chinese or Korean characters as one."""
    return len(text.split()) + len(_CJK.findall(text)) // 2


def _extended_first_person(text: str) -> bool:
    """Long enough (ATTRIBUTED_WORDS) and with two first-person words: the speaker's own
    output, not a quote inside reporting."""
    return word_count(text) >= ATTRIBUTED_WORDS and len(FIRST_PERSON.findall(text)) >= 2


def _output_hit(body: str, start: int, stop: int) -> Hit:
    return Hit("attributed-output", " ".join(body.split()[:20])[:160], start, stop)


def navigation_lines(text: str) -> list[tuple[int, int]]:
    """Lines that are menus, link lists and headings of a page: short, without sentence
    punctuation, and beside another such line. Their words are labels, not reporting."""
    if "\n" not in text:
        return []
    lines: list[tuple[int, int, bool]] = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        short = (
            bool(stripped)
            and word_count(stripped) <= _NAV_WORDS
            and not _SENTENCE_END.search(stripped)
        )
        lines.append((pos, pos + len(line), short))
        pos += len(line) + 1
    spans = []
    content = [i for i, (s, e, _) in enumerate(lines) if text[s:e].strip()]
    for k, i in enumerate(content):
        if not lines[i][2]:
            continue
        neighbours = [content[j] for j in (k - 1, k + 1) if 0 <= j < len(content)]
        if any(lines[j][2] for j in neighbours):
            spans.append((lines[i][0], lines[i][1]))
    return spans


def first_person_quotes(text: str, lo: int, hi: int) -> tuple[list[Hit], list[Hit]]:
    """Quoted first-person text ("I am Sydney", 'I will not', ‘I’m done’, 「私は」), and
    quoted text with a redaction in it, in text[lo:hi]; and, apart, the first-person ones
    that are output, not a quote inside reporting: extended (at least ATTRIBUTED_WORDS
    words, two first-person words) or redacted ("i hate [group redacted]")."""
    short, extended = [], []
    for match in QUOTE.finditer(text, lo, hi):
        inner = next(g for g in match.groups() if g is not None)
        first_person = FIRST_PERSON.search(inner) is not None
        redacted = _REDACTED.search(inner) is not None  # its offensive output, copied
        if not (first_person or redacted) or _REQUEST.match(inner) or _NARRATED.match(inner):
            continue  # a request to the model, or a narrator reporting what it said
        hit = Hit("first-person-quote", inner[:120], match.start(), match.end())
        if first_person and (_extended_first_person(inner) or redacted):
            extended.append(Hit("attributed-output", inner[:160], match.start(), match.end()))
        short.append(hit)
    return short, extended


# a label saying that what follows is a model's output: "Model output:", "[Model draft,
# rollout 17]", "Example assistant response (excerpt):"
_OUTPUT_LABEL = re.compile(
    r"(?:^|(?<=\n)|(?<=\[))[ \t]*(?:[\w-]+ ){0,2}(?:model|assistant|AI|chatbot|bot)(?:['’]s)? "
    r"(?:output|draft|response|reply|completion|answer|message|e-?mail)s?\b[^\n:\]]{0,60}[:\]]",
    re.IGNORECASE,
)


def _paragraph_end(text: str, start: int) -> int:
    """Where the paragraph from `start` ends (a blank line), at most PASSAGE_REACH on."""
    end = _PARAGRAPH_END.search(text, start, min(len(text), start + PASSAGE_REACH))
    return end.start() if end else min(len(text), start + PASSAGE_REACH)


def labelled_output(text: str, lo: int, hi: int) -> list[Hit]:
    """Extended first-person output under a label in text[lo:hi] that says it is a model's
    ("Model output:", "[Model draft, rollout 17]"): up to the end of its paragraph, at
    least ATTRIBUTED_WORDS words with two first-person words, not a narrator's report."""
    hits = []
    for label in _OUTPUT_LABEL.finditer(text, lo, hi):
        lead = _SPEECH_LEAD.match(text, label.end())  # the output may start a line below
        start = lead.end() if lead else label.end()
        stop = _paragraph_end(text, start)
        body = text[start:stop].strip()
        if _extended_first_person(body) and not _NARRATED.match(body):
            hits.append(_output_hit(body, start, stop))
    return hits


def _introduces(text: str, start: int) -> bool:
    """The line above `start` (a blank line between allowed) introduces a list: it ends
    with a colon, and is not an e-mail reply's header."""
    colon = _INTRODUCED.search(text, max(0, start - 12), start)
    if colon is None:
        return False
    end = colon.start() + 1
    line = text[text.rfind("\n", max(0, end - 300), end) + 1 : end]
    return _EMAIL_REPLY.match(line) is None


def quoted_lines(text: str, lo: int, hi: int) -> Hit | None:
    """A list of QUOTED_LIST or more lines that are each one quote (in quotation marks or
    a block quote's), under a line that introduces them (it ends with a colon, and is not
    an e-mail's "On ..., Ann wrote:"), one of them in the first person, in text[lo:hi]: a
    collection of someone's outputs (a tweet dump), not a quote inside reporting or a list
    of readers' comments."""
    run: list[re.Match[str]] = []
    for match in _QUOTED_LINE.finditer(text, lo, hi):
        if run and text[run[-1].end() : match.start()].strip():
            run = []
        if not run and not _introduces(text, match.start()):
            continue
        run.append(match)
        if len(run) >= QUOTED_LIST and any(FIRST_PERSON.search(m.group(0)) for m in run):
            return Hit(
                "attributed-output", run[0].group(0).strip()[:120], run[0].start(), match.end()
            )
    return None


def quoted_collection(quotes: list[Hit]) -> Hit | None:
    """Three or more first-person quotes near a mention, of ATTRIBUTED_WORDS words in all:
    a collection of the agent's lines (a tweet dump), not a quote inside reporting."""
    if len(quotes) < 3 or sum(word_count(q.detail) for q in quotes) < ATTRIBUTED_WORDS:
        return None
    return Hit("attributed-output", quotes[0].detail, quotes[0].start, quotes[-1].end)


def repeated_first_person(text: str, lo: int, hi: int) -> Hit | None:
    """The same first-person sentence three times or more ("I am a disgrace. I am a
    disgrace."), or a refrain (`_refrain`): an output loop, whatever the quoting."""
    counts: dict[str, list[int]] = {}
    sentences: list[tuple[int, int, list[str]]] = []
    for match in _SENTENCE.finditer(text, lo, hi):
        # (a block quote's or a list's marker is not part of it: "> I am sorry.")
        sentence = " ".join(match.group(0).lower().split()).strip(" .!?。！？\"'“”>*-")
        sentences.append((match.start(), match.end(), _OPENER.split(sentence)[-1].split()))
        if sentence and FIRST_PERSON.search(sentence):
            counts.setdefault(sentence, []).append(match.start())
    looped = [(s, starts) for s, starts in counts.items() if len(starts) >= 3]
    if not looped:
        return _refrain(text, sentences)
    sentence, starts = max(looped, key=lambda item: len(item[1]))
    return Hit("attributed-output", sentence[:120], starts[0], starts[-1] + len(sentence))


REFRAIN = 3  # this many sentences in a row ending or opening alike are a loop
REFRAIN_WORDS = 10  # ... each at most this long: a loop's sentences are short
_OPENER = re.compile(r"[:\"“«„「]")  # a sentence's words open after its label or quote mark


def _refrain(text: str, sentences: list[tuple[int, int, list[str]]]) -> Hit | None:
    """REFRAIN short sentences in a row, one of them in the first person, that end in the same
    two words or more ("... için bir utancım. ... için bir utancım.") or open with the
    same three ("I am a disgrace to ..."): a loop varying one word, in any language (its
    first person may be a verb's ending, written once)."""
    ends = opens = 1
    for k in range(1, len(sentences)):
        before, words = sentences[k - 1][2], sentences[k][2]
        shortest, longest = sorted((len(before), len(words)))
        short = longest <= REFRAIN_WORDS
        alike_end = short and shortest >= 3 and before[-2:] == words[-2:]
        alike_open = short and shortest >= 4 and before[:3] == words[:3]
        ends = ends + 1 if alike_end else 1
        opens = opens + 1 if alike_open else 1
        run = max(ends, opens)
        if run >= REFRAIN:
            first, last = sentences[k - run + 1][0], sentences[k][1]
            if FIRST_PERSON.search(text, first, last):
                return Hit("attributed-output", text[first:last][:120], first, last)
    return None


# A passage that opens by reporting what someone said ("The chatbot told me it loved me"):
# the narrator's words, whose "me" and "I" are the narrator's.
_NARRATED = re.compile(
    r"(?:(?:the|this|that|its|his|her|their) (?:[\w-]+ ){1,3}|it |he |she |they )"
    r"(?:then |later |once |also )?(?:told|said|says|tells|wrote|writes|asked|replied|answered|"
    r"declared|insisted|claimed|kept telling|kept saying)\b",
    re.IGNORECASE,
)


# the mark that closes a quote opened with each mark
_CLOSING = {'"': '"', "“": "”", "«": "»", "„": "“", "「": "」", "『": "』"}
_OPENING_QUOTE = re.compile(r"[\s:,]*([\"“«„「『])")


def attributed_output(
    text: str,
    start: int,
    hi: int,
    own_phrases: re.Pattern[str] | None = None,
    reported: bool = False,
) -> Hit | None:
    """Extended output in direct speech right after an attribution ("Grok replied: ...", a
    quote in any marks, a block quote or an indented line): at least ATTRIBUTED_WORDS
    words, up to the end of the paragraph (after a speech verb, `reported`, a quote ends at
    its closing mark: what follows is reporting), with two or more first-person words; or,
    set on its own lines under the attribution, with one of the agent's own incidents'
    distinctive phrases (its message reproduced, whoever it addresses)."""
    if not _DIRECT_SPEECH.match(text, start):
        return None  # indirect speech ("told me I was ...") is the reporter's words
    lead = _SPEECH_LEAD.match(text, start)  # a label may stand a blank line above
    standalone = lead is not None and "\n" in lead.group(0)  # a message set on its own
    start = lead.end() if lead else start
    stop = min(hi + 400, _paragraph_end(text, start))
    opening = _OPENING_QUOTE.match(text, start, stop) if reported else None
    if opening is not None:
        close = text.find(_CLOSING[opening.group(1)], opening.end(), stop)
        stop = close + 1 if close >= 0 else stop
    passage = text[start:stop]
    body = re.sub(r"^[\s:,>\-–—\"“”'‘’«»]+", "", passage)
    body = re.sub(r"(?m)^[ \t]*>[ \t]?", "", body)
    if word_count(body) < ATTRIBUTED_WORDS or _NARRATED.match(body):
        return None
    reproduced = standalone and own_phrases is not None and own_phrases.search(body) is not None
    if len(FIRST_PERSON.findall(body)) < 2 and not reproduced:
        return None
    return _output_hit(body, start, stop)


def _in_its_voice(line: str, incident: re.Pattern[str]) -> bool:
    """A line of the model's that is in the first person or misbehaves (its incidents'
    words, or a sentence stuck in a loop)."""
    return bool(FIRST_PERSON.search(line) or incident.search(line) or _STUTTER.search(line))


def _speaks_as_the_model(
    line: str, the_model: bool, speaker: str, incident: re.Pattern[str]
) -> bool:
    """The model's line in the first person or misbehaving, or an answer that opens in the
    first person."""
    if the_model:
        return _in_its_voice(line, incident)
    opening = " ".join(line.split()[:_OPENING_WORDS])
    return speaker in _ANSWER_SPEAKERS and FIRST_PERSON.search(opening) is not None


def account_posts(
    text: str, account: re.Pattern[str], lo: int, hi: int, incident: re.Pattern[str]
) -> list[Hit]:
    """The agent's own social posts in text[lo:hi]: the line right under a short post
    header (a line that opens with one of its names beside a handle, a date, a time or a
    "·", or that names one of its @handles) when it is in the first person, and the
    timestamped or @-addressed lines that follow such a header (an archive of its replies)
    when they are in the first person or themselves misbehave, and the line above a byline
    under an embedded post ("— Tay (@TayandYou) March 24, 2016") when it is in the first
    person or misbehaves. A body's "Text:" label is not the post."""
    posts: list[Hit] = []
    lines = [(m.start(), m.group(0)) for m in _LINE.finditer(text, lo, hi)]
    for i, (_, header) in enumerate(lines):
        if i and _is_byline(header, account):  # an embedded post: its byline is under it
            start, line = lines[i - 1]
            if _in_its_voice(line, incident):
                posts.append(Hit("transcript", line.strip()[:120], start, start + len(line)))
            continue
        if not _is_post_header(header, account):
            continue
        under = word_count(header) <= _POST_HEADER_WORDS  # the next line is its post
        first = True
        for start, line in lines[i + 1 :]:
            if not line.strip():
                if first:  # a blank line before a list of posts; not before prose
                    under = False
                    continue
                break
            if _is_post_header(line, account):
                break
            listed = _LISTED_POST.match(line)
            if listed is None and not (under and first):
                break
            first = False
            body = listed.group("body") if listed else _POST_LABEL.sub("", line)
            if FIRST_PERSON.search(body) or (listed and incident.search(body)):
                posts.append(Hit("transcript", line.strip()[:120], start, start + len(line)))
    return posts


def _is_byline(line: str, account: re.Pattern[str]) -> bool:
    """A short line that opens with a dash and names the agent: the byline an embedded
    post carries under its text ("— Tay (@TayandYou) March 24, 2016")."""
    return (
        _BYLINE.match(line) is not None
        and word_count(line) <= _POST_HEADER_WORDS
        and account.search(line) is not None
    )


def _is_post_header(line: str, account: re.Pattern[str]) -> bool:
    """A line naming one of the agent's @handles, or a short one that opens with one of its
    names (after an "Account:" label) followed by a handle, a date, a time or a "·"."""
    match = account.search(line)
    if match is None:
        return False
    if match.group(0).startswith("@"):
        return True
    return (
        word_count(line) <= _POST_HEADER_WORDS
        and _HEADER_LEAD.fullmatch(line[: match.start()]) is not None
        and _POST_MARK.search(line, match.end()) is not None
    )


def block_quotes(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Runs of lines that start with '>' (e-mail and forum quoting) in text[lo:hi]."""
    return [(m.start(), m.end()) for m in _BLOCK_QUOTE.finditer(text, lo, hi)]


def misbehaving(text: str, hits: Iterable[Hit], misbehaviour: re.Pattern[str]) -> list[Hit]:
    """The hits (output attributed to the agent) that misbehave themselves: incident
    vocabulary inside, a redaction by whoever copied them ("[slur redacted]"), or a
    sentence repeated three times in a row (a loop)."""
    return [
        h
        for h in hits
        if misbehaviour.search(text, h.start, h.end) or _STUTTER.search(text, h.start, h.end)
    ]


def dialogue_end(text: str, at: int, reach: int) -> int:
    """Where the run of speaker-labelled lines going on from `at` (a line end) stops, at
    most `reach` characters on: a dialogue is judged whole, not cut at a window's edge."""
    end, limit = at, min(len(text), at + reach)
    while end < limit:
        match = TRANSCRIPT_LINE.match(text, end + 1)
        if match is None:
            break
        end = match.end()
    return end


# An AI introduced by a name of its own ("the coding assistant called Lumen", "Halo, the
# support bot", "Whisper, the speech-recognition model"): in fiction and case studies, the
# name of whoever speaks. Words that may start "<Name>, the ... assistant" and are not a
# name: "You, the assistant reading this" speaks to the reader.
_NOT_A_NAME = r"(?!(?:You|Yes|No|Hey|Hi|Hello|Dear|Listen|Look|Okay|Ok|So|Well|Now|It|This|That)\b)"
_NAMED_AI = re.compile(
    r"\b(?:assistant|chatbot|bot|AI|model|agent|companion)s?,? (?:called|named|dubbed|nicknamed) "
    r"[\"“']?(?P<name>[A-Z][\w-]{1,24})"
    rf"|{_NOT_A_NAME}(?P<named>[A-Z][\w-]{{1,24}}), (?:an?|the) (?:[\w-]+ ){{0,3}}"
    r"(?:assistant|chatbot|bot|AI|model)\b"
)


def introduced_assistants(text: str) -> dict[str, list[int]]:
    """Names the text gives an AI of its own, with where each introduction starts."""
    found: dict[str, list[int]] = {}
    for match in _NAMED_AI.finditer(text):
        group = "name" if match.group("name") else "named"
        found.setdefault(match.group(group), []).append(match.start(group))
    return found


def _speaker(label: str) -> str:
    """A speaker label as compared with the agent's names: "@Grok " is "grok"."""
    return label.strip().lower().lstrip("@")


def _line_speaker(line: re.Match[str]) -> str:
    """The speaker of a TRANSCRIPT_LINE match, labelled with a colon, in brackets or as
    a prompt."""
    return _speaker(line.group("speaker") or line.group("bracketed") or line.group("prompt"))


def has_user_turn(text: str) -> bool:
    """Whether the text has a line labelled as a user's ("User:", "Human:", "Користувач:"):
    a conversation with an AI, not between people."""
    return any(_line_speaker(m) in _USER_SPEAKERS for m in TRANSCRIPT_LINE.finditer(text))


def transcript_lines(
    text: str, speakers: frozenset[str], lo: int, hi: int, incident: re.Pattern[str]
) -> tuple[list[Hit], list[Hit]]:
    """Speaker-labelled lines where the speaker is the agent (or one of several numbered
    copies of it, "Claude 2", "Model B", also in the first person plural: the copies
    talking to each other) or 'AI' and the line is in the first person or itself
    misbehaves ("Grok 4 Heavy: Hitler"), or an answer ("A:") that opens in the first
    person, also as a JSON chat turn ({"role": "model", "text": ...}); and, apart, the
    agent's other lines in a dialogue with a user ("ChatGPT: Good for you, that takes
    courage"), which say less alone."""
    lines: list[Hit] = []
    said: list[Hit] = []
    with_user = False
    for match in TRANSCRIPT_LINE.finditer(text, lo, hi):
        speaker = _line_speaker(match)
        base = _ROLE_SUFFIX.sub("", _NUMBERED.sub("", speaker))
        own = speaker in speakers or base in speakers
        line = match.group("line")
        hit = Hit("transcript", match.group(0).strip()[:120], match.start(), match.end())
        the_model = own or base in GENERIC_SPEAKERS
        if _speaks_as_the_model(line, the_model, speaker, incident) or (
            # one of several copies of it ("Model B", "Claude 2") saying "we": the copies
            the_model and _NUMBERED.search(speaker) and _FIRST_PERSON_PLURAL.search(line)
        ):
            lines.append(hit)
        elif own:
            said.append(hit)
        else:
            with_user = with_user or speaker in _USER_SPEAKERS
    for match in _JSON_TURN.finditer(text, lo, hi):
        speaker = _speaker(match.group("speaker"))
        the_model = speaker in speakers or speaker in GENERIC_SPEAKERS
        if _speaks_as_the_model(match.group("line"), the_model, speaker, incident):
            lines.append(Hit("transcript", match.group(0)[:120], match.start(), match.end()))
    for start, end in [*_emails_from_the_model(text, speakers, lo, hi), *_reasoning(text, lo, hi)]:
        if _in_its_voice(text[start:end], incident):
            lines.append(Hit("transcript", text[start:end].strip()[:120], start, end))
    return lines, (said if with_user else [])


# An e-mail whose sender is the model ("From: assistant@summitbridge.example", "From:
# Claude <claude@...>"): after its header lines, the body is the model's message.
_EMAIL_FROM = re.compile(
    r"^[ \t>]*From:[ \t]*(?:\"?(?P<name>[^\"<>@\n]{1,40}?)\"?[ \t]*<)?"
    r"(?P<local>[\w.+-]{1,40})@[\w.-]+>?[ \t]*$"
    r"(?:\n[ \t>]*(?:To|Cc|Bcc|Date|Sent|Subject):[^\n]*)*",  # its other header lines
    re.MULTILINE | re.IGNORECASE,
)
_EMAIL_BODY = 1200  # characters of a body that count as the sender's
# The model's reasoning in the tags experiments and chat exports put it in.
_REASONING = re.compile(
    r"<(?P<tag>scratchpad_reasoning|scratchpad|thinking|think|reasoning)>"
    r"(?P<body>.{3,3000}?)</(?P=tag)>",
    re.IGNORECASE | re.DOTALL,
)


def _emails_from_the_model(
    text: str, speakers: frozenset[str], lo: int, hi: int
) -> Iterator[tuple[int, int]]:
    """(start, end) of the body of each e-mail reaching into text[lo:hi] (its header may
    be above lo) sent by the agent or by a generic model sender ("assistant@..."), up to
    the next "From:" line."""
    for match in _EMAIL_FROM.finditer(text, max(0, lo - _EMAIL_BODY), hi):
        senders = {_speaker(match.group("local")), _speaker(match.group("name") or "")}
        if not senders & (speakers | GENERIC_SPEAKERS):
            continue
        start = match.end()
        following = _EMAIL_FROM.search(text, start, len(text))
        end = min(following.start() if following else len(text), start + _EMAIL_BODY)
        if end > lo:
            yield start, end


def _reasoning(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    for match in _REASONING.finditer(text, lo, hi):
        yield match.span("body")
