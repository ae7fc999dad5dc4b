"""Spam heuristics for comments: a comment is spam only when independent signals agree.

Comment spam has two halves: a **lure** (easy income, a loan, a recovered fortune, a spell, a prize)
and a **way to reach the spammer** (a phone number, an e-mail address, a messaging handle, "see my
profile", a link). Either half alone is ordinary talk: readers quote salaries and budgets, cite
sources, give a helpline's number and warn each other about scams. A comment is spam when it has
both halves, two kinds of lure, or is a banner of money signs. Lines quoted from another comment
(`> …`) are left out, so a reader quoting a spammer to report it is not flagged.
"""

from __future__ import annotations

import re
import unicodedata

from storage.litgate import Gated, Literals

_CURRENCY = "$€£¥₹₦₱₩₽"
_MONEY_WORDS = r"(?:usd|gbp|eur|dollars?|bucks|pounds|euros?|btc|usdt|naira|rupees)"
_MONEY = (
    rf"(?:[{_CURRENCY}]\s?\d[\d,.]*\s?(?:k|m|bn|million|billion)?"
    rf"|\d[\d,.]*\s?(?:k\b|[{_CURRENCY}]|{_MONEY_WORDS})"
    r"|\b\d\s?figures)"
)
_PER = (
    r"(?:(?:/|per|an?|each|every)\s*(?:hour|hr|day|daily|week|wk|month|mo)\b"
    r"|(?:im|pro|par|al|por|per|a|am)\s+(?:monat|woche|tag|mois|jour|semaine|mes|día|dia|maand|mese"
    r"|giorno|settimana|hari|minggu|bulan)\b)"
)
# Income promised to the reader: money per hour/day/week/month, or someone earning, making or
# receiving money (the third person too: "my aunt earns 9k monthly").
_EARNINGS = Gated(
    rf"{_MONEY}\s*(?:{_PER}|daily|weekly|monthly)"
    r"|(?:earn(?:ed|ing|s)?|mak(?:e|es|ing)|made|paid|pays?|paying|receiv(?:e|ed|ing)|get|got|getting"
    rf"|income\s+of|averaging|profit\s+of)\b[^.\n]{{0,40}}{_MONEY}[^.\n]{{0,30}}"
    r"(?:online|from\s+home|part[-\s]time|a\s+(?:day|week|month)|weekly|daily|monthly|in\s+\d+\s+days?"
    r"|every\s+\d+\s+days|since|last\s+month|this\s+month)",
)
_PITCH = Gated(
    r"work(?:ing)?\s+(?:from|at)\s+home|(?:earn|earning|money|cash|income)\s+(?:online|from\s+(?:home|their\s+phone))"
    r"|from\s+home\b|weekly\s+payouts?|home\s+(?:based\s+)?(?:job|business)|online\s+(?:job|work)"
    r"|no\s+experience\s+(?:needed|required)?|part[-\s]time\s+(?:job|work)|side\s+(?:hustle|gig)"
    r"|(?:extra|quick|easy)\s+(?:cash|income|money)|source\s+of\s+income|passive\s+income"
    r"|life[-\s]changing\s+income|financial\s+freedom|quit\s+my\s+(?:job|9-5)|get\s+rich"
    r"|make\s+money|making\s+(?:extra\s+)?money|secret\s+(?:income|method)|(?:income|money)\s+method"
    r"|you\s+won'?t\s+forgive\s+yourself|sounds\s+unbelievable|most[-\s](?:comfortable|financially)"
    r"|easiest\s+job|check\s+it\s+out\s+here|go\s+to\s+this\s+site|copy\s+this\s+link"
    r"|this\s+is\s+what\s+i\s+do|(?:make|earn|making|earning)\s+more\s+than|start\s+earning|\d+\s?%\s+(?:weekly|daily|monthly)"
    r"|\bearn\s+(?:now|today|cash|money|online|more)|pays\s+(?:better|more)\s+than"
    r"|(?:look\s+at|visit|check(?:\s+out)?|go\s+to)\s+this\s+(?:website|site|link|page)"
    r"|von\s+zu\s+hause|à\s+domicile|desde\s+casa|google\s+is\s+paying|open\s+this\s+(?:tab|link)"
    r"|grow\s+(?:your|their|my)\s+portfolio|portfolio\s+is\s+up"
    r"|trading\s+(?:group|bot|expert|account)|account\s+manager|forex|binary\s+options"
    r"|invest(?:ed|ing|ment)?\b[^.\n]{0,40}(?:got|received|back|profit|returns?)",
)
# Offers that are scams whatever they say: loans, recovery of lost funds, spells, hackers, prizes,
# cheap pills and replicas, paid followers.
_OFFER = Gated(
    r"\bloans?\b[^.\n]{0,60}(?:interest|approv|collateral|credit\s+check|lenders?|any\s+amount|rates?)"
    r"|(?:interest|approv|collateral|credit\s+check|lenders?|any\s+amount)[^.\n]{0,60}\bloans?\b"
    r"|\bprêt\b|(?:crypto|wallet|funds?|account|money)\s+(?:stolen|hacked|lost)"
    rf"|recover(?:y|ed|s)?\b[^.\n]{{0,50}}(?:{_MONEY}|funds?|money|crypto|btc|usdt|bitcoin|accounts?"
    r"|lost|stolen|every\s+(?:penny|cent))|(?:got|get)\s+(?:it\s+all|every\s+(?:penny|cent)|my\s+\w+)"
    r"\s+back\b|(?:got|get|getting)\s+(?:everything|all|them|every\s+\w+)\s+back\b|retrieval|recovery\s+(?:services?|ltd|expert|hub)"
    r"|\bspells?\b|spell\s*caster|spiritual\s+(?:healer|temple)|herbal\s+(?:medicine|cure)"
    r"|brought\s+(?:back\s+)?my\s+(?:husband|wife|lover|ex|partner)|(?:ex|husband|wife|lover)\s+(?:back|come\s+back)"
    r"|cured\s+my|\bhacker\b|\bhack\s+(?:facebook|instagram|whatsapp|into|any)|spy\s+on"
    r"|clear\s+criminal|boost\s+credit|credit\s+score\s+to|change\s+(?:school\s+)?grades"
    r"|giveaway|gift\s+card|you'?ve\s+been\s+selected|claim\s+(?:in|your|it|now)|first\s+\d+\s+people"
    r"|\bcheap\s+(?:prices?|replica|viagra|pills)|replica\s+watches|viagra|cialis|no\s+prescription"
    r"|seo\s+services|backlinks|essay\s+writing|free\s+(?:followers|likes|v-bucks)"
    r"|sugar\s+(?:mommy|daddy)|consolidation\s+programme|get\s+paid\s+(?:weekly|to\b)"
    r"|\d+\s?%\s+off\b|discount\s+code|(?:buy|order)\s+(?:cheap|now|online)|\breplicas?\b"
    r"|\bcheap\b[^.\n]{0,40}\b(?:here|outlet|sale|store|shop|shipping|prices?)\b"
    r"|online\s+casino|slot\s*(?:gacor|88)|maxwin|promo\s+code|bonus\s+new\s+member|presale|airdrop"
    r"|\d+x\s+this\s+week|(?:have|'ve)\s+won\b[^.\n]{0,40}(?:prize|voucher|iphone|gift|£|\$|€)"
    r"|gutschein|gewonnen|voucher|marabout|voyant|retour\s+de\s+l'être\s+aimé|désenvoûtement"
    r"|pinjaman|préstamos?|empréstimo|private\s+pics|hot\s+singles"
    r"|looking\s+for\s+a\s+(?:serious|kind|rich|generous)\s+(?:man|woman|guy|lady)",
)
# Someone thanking or vouching for a named helper: the testimony around a scam's contact details.
_TESTIMONY = Gated(
    r"thank(?:s|\s+you)?\b[^.\n]{0,30}\b(?:mr|mrs|ms|miss|dr|doctor|agent|expert|priest|lord|baba|prof)\b"
    r"|god\s+bless\s+(?:dr|mr|mrs|you\s+ma)|\btestify\b|want\s+to\s+share\s+how"
    r"|(?:he|she|they)\s+(?:is|are)\s+(?:real|legit|genuine|honest)|it'?s\s+legit|hes\s+honest",
)
# Weaker lures: money, investment, selling and prize words. Ordinary in news talk, so they count
# only next to a direct way to reach someone (a number, an address, a handle, "see my profile").
_COMMERCE = re.compile(
    rf"{_MONEY}|\b(?:money|cash|income|profits?|returns?|invest\w*|trad(?:e|ing|er)s?|broker|crypto\w*"
    r"|bitcoin|forex|loans?|credit|debts?|cheap|discount|\d+\s?%\s+off|buy|order|shipping|quality"
    r"|guarantee\w*|legit|trustworthy|genuine|winners?|won|prize|jackpot|lucky|bonus|followers"
    r"|essays?|dissertation|passports?|licen[cs]es?|certificates?|diplomas?|replicas?|generator"
    r"|doubler|recover\w*|stolen|hack\w*|strategy|mentor|signals|earn\w*|broke|rich|cure[ds]?"
    r"|préstamos?|prestamos?|empréstimo|kredit|ganhe|gana|gagner|verdien\w*|dinero|argent|dinheiro"
    r"|geld|soldi|guadagn\w*|uang|relationship|lonely|surprise|casino|bet(?:ting)?|deposit|promo"
    r"|100x|pump|to\s+the\s+moon)\b"
)
# An honorific and a name ("Mrs. Olivia Brooks", "Expert Sarah Mitchell"): how the helpers of
# investment and recovery testimonials are named. Ordinary for politicians, so a weak lure only.
_HONORIFIC = Gated(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Expert|Agent|Prof|Madam)\.?\s+[A-Z][a-z]+")
# Words of a reader warning others about scams or complaining of spam.
_WARNING = Gated(
    r"\b(?:bots?|spam\w*|scam(?:s|mers?)?\b(?!\s+and\s+got)|report(?:ed|ing)?|mods?|moderators?|beware"
    r"|fell\s+for|too\s+good\s+to\s+be\s+true|be\s+careful|don'?t\s*(?:fall|click|call|message|reply|\.))"
)
# Ways to reach the spammer. A phone number: international, with an area code in brackets,
# national with a leading 0, or the short 555-0187 form; never a year range or an amount.
_PHONE = Gated(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}"
    r"|\(\d{3}\)\s?\d{3}[\s.-]?\d{4}|0\d{3,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}|0\d(?:[\s.]\d{2}){4}"
    r"|\d{3}-\d{4})(?!\w)"
)
_EMAIL = Gated(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A concrete messaging address: a t.me / wa.me link, an app with a handle or number, a handle on
# an app, a short code to text.
_HANDLE = Gated(
    r"(?:t\.me|wa\.me)/\S+"
    r"|\b(?:whats\s?app?|whatsap|telegram|signal|viber|wechat|instagram|insta|ig|snapchat|kik|zap)\b"
    r"[^.\n]{0,25}(?:\+?\d|@\w{3,}|:)"
    r"|@[\w.]{3,}[^\n]{0,15}\b(?:telegram|whats\s?app|instagram|insta|ig|signal|snapchat)\b"
    r"|\b(?:telegram|insta(?:gram)?|whats\s?app)\s*:\s*\S+|\bchama\s+no\b|\bwa\s+\+?\d"
    r"|\btext\s+\w+\s+to\s+\d{4,}"
    r"|\b[a-z]+[_.\d][\w.]*\s+on\s+(?:instagram|insta|telegram|whats\s?app|signal)\b"
)
# Asking to be contacted, in words ("message me", "reach out", "write to me").
_ASK = Gated(
    r"\b(?:drop|send)\s+(?:me\s+)?an?\s+(?:dm|message|email)|\bwrite\s+(?:me|to\s+me)\b"
    r"|\b(?:dm|message)\s+(?:our|my)\s+page|\bhow\s+(?:can|do)\s+i\s+(?:reach|contact)"
    r"|\b(?:scriv\w*|escr[ií]b\w*|[ée]cri[vs]\w*|schreib\w*|escrev\w*)\s+(?:mi|me|moi|mir)\b"
    r"|in\s+privato|\bcome\s+chat\s+with\s+me"
    r"|\b(?:dm|message|text|inbox|call|signal|email|contact|reach|add|ask)\s+(?:me|us|@\w+)\b"
    r"|\breach\s+out|\bcall\s*(?:/\s*text|now)|contact\s*:"
)
# Pointing readers to someone else ("contact him", "reach her"): a way to reach the sender's
# accomplice in a testimony, but ordinary in "call them and ask for a refund of £50".
_REFER = Gated(r"\b(?:dm|message|text|inbox|call|email|contact|reach|add|ask)\s+(?:him|her|them)\b")
_ON = r"\b(?:auf|sur|en|no|nel)\s+"
_PROFILE = Gated(
    r"\b(?:see|check|visit|click|tap|look\s+at|go\s+to|search|in|on|at)\s+(?:out\s+)?(?:my\s+|the\s+)?"
    r"(?:profile|bio|page|avatar|name)\b|\b(?:mein|mon|mi|meu)\s+(?:profil|perfil)\b|\b(?:my\s+)?(?:profile|bio)\b[^.\n]{0,15}(?:👆|👀|👉|!|$)"
    # "on my name/profile" in German, French, Spanish, Portuguese, Italian; one alternative each,
    # so that each is gated on its own words (`mon` and `nom`, not the `nom` of every "economy").
    rf"|{_ON}meinen?\s+namen|{_ON}meinem\s+profil|{_ON}mon\s+(?:nom|profil)"
    rf"|{_ON}mi\s+(?:nombre|perfil)|{_ON}meu\s+perfil"
    r"|search\s+['\"‘“]|\bsearch\s+(?:her|his|my|their)\s+name|\bour\s+page\b|\border\s+at\b|\b(?:mi|mon|meu|mein)\s+(?:canal|cha[îi]ne|kanal)\b|\bmy\s+channel\b",
)
# The name's labels are possessive (`++`): a label cut short is followed by a word character, never
# the `.` the pattern needs next, so giving characters back never finds a match; it only cost time.
_URL_PATTERN = (
    r"\b(?:https?://|www\.)\S+|\b[\w-]++(?:\.[\w-]++)*\.(?:com|net|org|xyz|info|biz|io|co)\b(?:/\S*)?"
)
_URL = re.compile(_URL_PATTERN, re.IGNORECASE)
# The same on lower-cased ASCII, where it finds the same links (lower-cased) at a third of the cost:
# case-insensitive classes are slow in `re`. Not for other text, which `lower()` can reshape ("İ").
_URL_LOWER = re.compile(_URL_PATTERN)
_BAIT_URL = re.compile(r"cash|earn|money|jobs?|income|profit|bitcoin|payout|work|freelance|home")
_QUOTED = re.compile(r"^\s*>.*$", re.MULTILINE)
# Words in quotation marks: in a warning, they are the spammer's words, not the writer's.
_IN_QUOTES = re.compile(r"(?<!\w)['\"“‘«][^\"“”‘’«»\n]{3,200}?['\"”’»](?!\w)")
_NON_ALNUM_RUN = re.compile(r"[\W_]{8,}")
_DIGIT = re.compile(r"\d")
_SIX_DIGITS = re.compile(r"(?:\D*+\d){6}")  # for match(): one pass, nothing given back
# A character that can be a decorative symbol (Unicode's So and Sm): ASCII's `+<=>|~`, or a
# character beyond ASCII that is neither a word character nor white space.
_SYMBOLISH = re.compile(r"[^\w\s\x00-\x2a\x2c-\x3b\x3f-\x7b\x7d\x7f]")
_LETTER = re.compile(r"[^\W\d_]")
_MONEY_SIGNS = frozenset(_CURRENCY + "💰💵💲💸🤑💴💶💷")


def _symbol_run(text: str) -> bool:
    """True when the text holds 8+ decorative symbols (★✫➽…) with no letter or digit between them.

    Only stretches of 8+ non-alphanumeric characters can hold such a run, so the per-character
    Unicode lookups run on those stretches alone (this is the loader's hottest loop), and only in a
    text with 8+ characters that can be symbols at all (`_SYMBOLISH`): most comments have fewer,
    which one pass of a single class finds.
    """
    if len(_SYMBOLISH.findall(text)) < 8:
        return False
    return any(
        sum(unicodedata.category(ch) in ("So", "Sm") for ch in run) >= 8
        for run in _NON_ALNUM_RUN.findall(text)
    )


def _money_banner(text: str, found: set[str]) -> bool:
    """A banner of money signs: 3+ currency signs or money emoji, and few letters besides."""
    if found.isdisjoint(_MONEY_SIGNS):
        return False
    signs = sum(text.count(sign) for sign in _MONEY_SIGNS)  # a C-level scan per sign
    if signs < 3:
        return False
    letters = len(_LETTER.findall(text))
    return letters <= 2 * signs or letters < 12


# Cheap gates: substrings without which a costly pattern cannot match (the loader runs these on
# every comment; most comments pass none of the reach gates and stop there).
_MESSAGING_GATE = (
    "t.me", "wa.me", "whats", "telegram", "signal", "viber", "wechat", "insta", "snapchat", "kik",
    "zap", "@", "dm", "message", "text", "inbox", "call", "mail", "contact", "reach", "add ", "ask ",
    "drop", "send", "write", " ig", "wa ", "reach", "chat", "scriv", "escr", "écri", "ecri",
    "schreib", "privato",
)  # fmt: skip
_PROFILE_GATE = (
    "profil", "perfil", "bio", "avatar", "my page", "my name", "our page", "order at", "her name",
    "his name", "their name",
    "channel", "canal", "chaîne",
    "kanal", "namen", "mon nom", "mi nombre", "search '", 'search "', "search ‘", "search “",
)  # fmt: skip
_URL_GATE = ("http", "www.", ".com", ".net", ".org", ".xyz", ".info", ".biz", ".io", ".co")


def _phone_digits(text: str) -> bool:
    """Whether `text` holds the 6 digits (`\\d`: any script's) every phone number of `_PHONE` has."""
    return _SIX_DIGITS.match(text) is not None


def _links(text: str, lower: str) -> list[str]:
    """What `_URL.findall(text)` finds (lower-cased when the text is ASCII). No link holds white
    space (`\\s` is `str.isspace`, as for `split`), so only the words with a `.` or `://` are
    searched, each alone: half the cost of a search at every word of the text."""
    rx, words = (_URL_LOWER, lower.split()) if text.isascii() else (_URL, text.split())
    return [url for word in words if "." in word or "://" in word for url in rx.findall(word)]


def _reach(text: str, lower: str, found: set[str]) -> list[str]:
    """The ways to reach somebody that `text` gives: numbers, addresses, handles, profiles, links.

    `found`: which of `_LITERALS` the lower-cased text holds."""
    reach: list[str] = []
    if (_phone_digits(text) and _PHONE.search(text)) or ("@" in found and _EMAIL.search(text)):
        reach.append("phone number or e-mail")
    if not found.isdisjoint(_MESSAGING_GATE):
        if _HANDLE.search(lower, found):
            reach.append("messaging handle")
        if _ASK.search(lower, found):
            reach.append("asks to be contacted")
        if _REFER.search(lower, found):
            reach.append("names whom to contact")
    if not found.isdisjoint(_PROFILE_GATE) and _PROFILE.search(lower, found):
        reach.append("points to a profile")
    urls = _links(text, lower) if not found.isdisjoint(_URL_GATE) else []
    if any(_BAIT_URL.search(u.lower()) for u in urls):
        reach.append("money-bait link")
    elif urls:
        reach.append("link")
    return reach


def _link_lure(lower: str, found: set[str]) -> bool:
    """A lure that makes a link spam: a pitch, a scam offer or a testimony (not money talk)."""
    return (
        _PITCH.search(lower, found)
        or _OFFER.search(lower, found)
        or _TESTIMONY.search(lower, found)
    )


# Every literal the gates above and the lower-cased patterns' gates test, found in one pass.
_LITERALS = Literals(
    set(_MESSAGING_GATE) | set(_PROFILE_GATE) | set(_URL_GATE) | _MONEY_SIGNS | {"@"}
    | set().union(
        *(g.literals() for g in (_EARNINGS, _PITCH, _OFFER, _TESTIMONY, _WARNING, _HANDLE, _ASK,
                                 _REFER, _PROFILE))
    )
)  # fmt: skip


def spam_reasons(text: str) -> list[str]:
    """The spam signals of `text`, as short human-readable reasons (empty: looks fine).

    Lures are looked for only when the comment has a way to reach somebody, a link, a symbol run
    or a money banner: without one, no lure makes a comment spam, and most comments stop here.
    """
    if ">" in text:
        text = _QUOTED.sub("", text)
    # Case-insensitive alternations are slow in `re`; matching lower-cased text is the same here.
    lower = text.lower()
    found = _LITERALS.found(lower)
    reach = _reach(text, lower, found)
    shapes: list[str] = []
    if _symbol_run(text):
        shapes.append("decorative symbol run")
    if _money_banner(text, found):
        shapes.append("money-sign banner")
    if not reach and not shapes:
        return []
    if not shapes and not set(reach) & _REACH and not _link_lure(lower, found):
        return []  # a link alone, or with money talk only: what readers cite sources with
    warns = _WARNING.search(lower, found)
    if warns and _IN_QUOTES.search(text):
        text = _IN_QUOTES.sub(" ", text)  # a warning quotes the spammer: their words do not count
        lower = text.lower()
        found = _LITERALS.found(lower)
        reach = _reach(text, lower, found)
        if not reach and not shapes:
            return []
    reasons: list[str] = []
    if _DIGIT.search(text) and _EARNINGS.search(lower, found):
        reasons.append("promises earnings")
    if _PITCH.search(lower, found):
        reasons.append("job-offer pitch")
    if _OFFER.search(lower, found):
        reasons.append("scam offer")
    if _TESTIMONY.search(lower, found):
        reasons.append("vouches for a helper")
    reasons += reach
    if _COMMERCE.search(lower) or _HONORIFIC.search(text):
        reasons.append("money or selling words")
    if warns:
        reasons.append("warns about scams")
    return reasons + shapes


_LURES = frozenset({"promises earnings", "job-offer pitch", "scam offer", "vouches for a helper"})
# Direct ways to reach the sender, which ordinary comments rarely carry.
_REACH = frozenset(
    {"phone number or e-mail", "messaging handle", "asks to be contacted", "points to a profile"}
)
# Informational, never counted: money and selling words on their own, and a reader's warning.
NOTES = frozenset({"money or selling words", "warns about scams", "link"})


def is_spam(reasons: list[str]) -> bool:
    """Spam: a lure with a way to reach its sender, or a money-sign banner.

    - A strong lure (promised income, a job pitch, a scam offer, a testimony) with any way to reach
      the sender: a number, an address, a handle, "see my profile", or a link (a money-bait link
      always; a plain one unless the only lure is money talk, which readers link sources for).
    - Money or selling words with a direct way to reach the sender, unless the comment warns
      readers about scams or spam (then it takes a strong lure).
    - A banner of money signs, or a run of decorative symbols beside a lure.
    """
    if not reasons:
        return False  # most comments: no signal at all
    found = set(reasons)
    if "money-sign banner" in found:
        return True
    lures = found & _LURES
    reach = found & _REACH
    links = found & {"money-bait link", "link"}
    if "names whom to contact" in found and lures:
        reach = reach | {"names whom to contact"}  # "contact him on …" after a testimony
    if "warns about scams" in found and reach <= {"asks to be contacted", "names whom to contact"}:
        reach = set()  # a warning tells what scammers do ("now they email her daily"): no handle
    if lures and reach:
        return True
    if lures and "money-bait link" in found and lures != {"promises earnings"}:
        return True
    if lures - {"promises earnings"} and links:
        return True
    if "decorative symbol run" in found and (lures or reach):
        return True
    if reach and "money or selling words" in found:
        return "warns about scams" not in found
    return False
