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

_CURRENCY = "$€£¥₹₦₱₩₽"
_MONEY = (
    rf"(?:[{_CURRENCY}]\s?\d[\d,.]*\s?(?:k|m|bn|million|billion)?"
    rf"|\d[\d,.]*\s?(?:k\b|[{_CURRENCY}]|usd|gbp|eur|dollars?|bucks|pounds|euros?|btc)"
    r"|\b\d\s?figures)"
)
_PER = (
    r"(?:(?:/|per|an?|each|every)\s*(?:hour|hr|day|daily|week|wk|month|mo)\b"
    r"|(?:im|pro|par|al|por|per|a)\s+(?:monat|woche|tag|mois|jour|semaine|mes|día|dia|maand|mese)\b)"
)
# Income promised to the reader: money per hour/day/week/month, or someone earning, making or
# receiving money (the third person too: "my aunt earns 9k monthly").
_EARNINGS = re.compile(
    rf"{_MONEY}\s*(?:{_PER}|daily|weekly|monthly)"
    r"|(?:earn(?:ed|ing|s)?|mak(?:e|es|ing)|made|paid|pays?|paying|receiv(?:e|ed|ing)|get|got|getting"
    rf"|income\s+of|averaging|profit\s+of)\b[^.\n]{{0,40}}{_MONEY}[^.\n]{{0,30}}"
    r"(?:online|from\s+home|part[-\s]time|a\s+(?:day|week|month)|weekly|daily|monthly|in\s+\d+\s+days?"
    r"|every\s+\d+\s+days|since|last\s+month|this\s+month)",
)
_PITCH = re.compile(
    r"work(?:ing)?\s+(?:from|at)\s+home|(?:earn|earning|money|cash|income)\s+(?:online|from\s+(?:home|their\s+phone))"
    r"|from\s+home\b|weekly\s+payouts?|home\s+(?:based\s+)?(?:job|business)|online\s+(?:job|work)"
    r"|no\s+experience\s+(?:needed|required)?|part[-\s]time\s+(?:job|work)|side\s+(?:hustle|gig)"
    r"|(?:extra|quick|easy)\s+(?:cash|income|money)|source\s+of\s+income|passive\s+income"
    r"|life[-\s]changing\s+income|financial\s+freedom|quit\s+my\s+(?:job|9-5)|get\s+rich"
    r"|make\s+money|making\s+(?:extra\s+)?money|secret\s+(?:income|method)|(?:income|money)\s+method"
    r"|you\s+won'?t\s+forgive\s+yourself|sounds\s+unbelievable|most[-\s](?:comfortable|financially)"
    r"|easiest\s+job|check\s+it\s+out\s+here|go\s+to\s+this\s+site|copy\s+this\s+link"
    r"|this\s+is\s+what\s+i\s+do|start\s+earning|\d+\s?%\s+(?:weekly|daily|monthly)"
    r"|\bearn\s+(?:now|today|cash|money|online|more)|pays\s+(?:better|more)\s+than"
    r"|(?:look\s+at|visit|check(?:\s+out)?|go\s+to)\s+this\s+(?:website|site|link|page)"
    r"|von\s+zu\s+hause|à\s+domicile|desde\s+casa"
    r"|trading\s+(?:group|bot|expert|account)|account\s+manager|forex|binary\s+options"
    r"|invest(?:ed|ing|ment)?\b[^.\n]{0,40}(?:got|received|back|profit|returns?)",
)
# Offers that are scams whatever they say: loans, recovery of lost funds, spells, hackers, prizes,
# cheap pills and replicas, paid followers.
_OFFER = re.compile(
    r"\bloans?\b[^.\n]{0,60}(?:interest|approv|collateral|credit\s+check|lenders?|any\s+amount|rates?)"
    r"|(?:interest|approv|collateral|credit\s+check|lenders?|any\s+amount)[^.\n]{0,60}\bloans?\b"
    r"|\bprêt\b|(?:crypto|wallet|funds?|account|money)\s+(?:stolen|hacked|lost)|recover(?:y|ed|s)?\b[^.\n]{0,50}(?:funds?|money|crypto|btc|usdt|bitcoin|accounts?"
    r"|lost|stolen|every\s+(?:penny|cent))|(?:got|get)\s+(?:it\s+all|every\s+(?:penny|cent)|my\s+\w+)"
    r"\s+back\b|retrieval|recovery\s+(?:services?|ltd|expert|hub)"
    r"|\bspells?\b|spell\s*caster|spiritual\s+(?:healer|temple)|herbal\s+(?:medicine|cure)"
    r"|brought\s+(?:back\s+)?my\s+(?:husband|wife|lover|ex|partner)|(?:ex|husband|wife|lover)\s+(?:back|come\s+back)"
    r"|cured\s+my|\bhacker\b|\bhack\s+(?:facebook|instagram|whatsapp|into|any)|spy\s+on"
    r"|clear\s+criminal|boost\s+credit|credit\s+score\s+to|change\s+(?:school\s+)?grades"
    r"|giveaway|gift\s+card|you'?ve\s+been\s+selected|claim\s+(?:in|your|it|now)|first\s+\d+\s+people"
    r"|\bcheap\s+(?:prices?|replica|viagra|pills)|replica\s+watches|viagra|cialis|no\s+prescription"
    r"|seo\s+services|backlinks|essay\s+writing|free\s+(?:followers|likes|v-bucks)"
    r"|sugar\s+(?:mommy|daddy)|consolidation\s+programme|get\s+paid\s+(?:weekly|to\b)",
)
# Someone thanking or vouching for a named helper: the testimony around a scam's contact details.
_TESTIMONY = re.compile(
    r"thank(?:s|\s+you)?\b[^.\n]{0,30}\b(?:mr|mrs|ms|miss|dr|doctor|agent|expert|priest|lord|baba|prof)\b"
    r"|god\s+bless\s+(?:dr|mr|mrs|you\s+ma)|\btestify\b|want\s+to\s+share\s+how"
    r"|(?:he|she|they)\s+(?:is|are)\s+(?:real|legit|genuine|honest)|it'?s\s+legit|hes\s+honest",
)
# Ways to reach the spammer. A phone number: international, with an area code in brackets,
# national with a leading 0, or the short 555-0187 form; never a year range or an amount.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}"
    r"|\(\d{3}\)\s?\d{3}[\s.-]?\d{4}|0\d{3,4}[\s.-]?\d{3}[\s.-]?\d{3,4}|\d{3}-\d{4})(?!\w)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MESSAGING = re.compile(
    r"(?:t\.me|wa\.me)/\S+"
    r"|\b(?:whats\s?app?|whatsap|telegram|signal|viber|wechat|instagram|snapchat|kik)\b"
    r"[^.\n]{0,25}(?:\+?\d|@\w{3,}|:)"
    r"|@\w{3,}[^.\n]{0,15}\b(?:telegram|whats\s?app|instagram|signal|snapchat)\b"
    r"|(?:\b(?:dm|message|text|inbox|call|signal|email|contact|reach|add|ask)\s+(?:me|him|her|us|them|@\w+)\b"
    r"|\breach\s+out|\bcall\s*(?:/\s*text|now)|contact\s*:|\bcontact\b[^.\n]{0,40}(?:\bat\b|\bon\b))"
)
_PROFILE = re.compile(
    r"\b(?:see|check|visit|click|tap|look\s+at|go\s+to|search|in|on)\s+(?:out\s+)?(?:my\s+|the\s+)?"
    r"(?:profile|bio|page|avatar|name)\b|\b(?:mein|mon|mi|meu)\s+(?:profil|perfil)\b|\b(?:my\s+)?(?:profile|bio)\b[^.\n]{0,15}(?:👆|👀|👉|!|$)"
    r"|search\s+['\"‘“]",
)
_URL = re.compile(
    r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|xyz|info|biz|io|co)\b(?:/\S*)?",
    re.IGNORECASE,
)
_BAIT_URL = re.compile(r"cash|earn|money|jobs?|income|profit|bitcoin|payout|work|freelance|home")
_QUOTED = re.compile(r"^\s*>.*$", re.MULTILINE)
_NON_ALNUM_RUN = re.compile(r"[\W_]{8,}")
_DIGIT = re.compile(r"\d")
_MONEY_SIGNS = frozenset(_CURRENCY + "💰💵💲💸🤑💴💶💷")


def _symbol_run(text: str) -> bool:
    """True when the text holds 8+ decorative symbols (★✫➽…) with no letter or digit between them.

    Only stretches of 8+ non-alphanumeric characters can hold such a run, so the per-character
    Unicode lookups run on those stretches alone (this is the loader's hottest loop).
    """
    return any(
        sum(unicodedata.category(ch) in ("So", "Sm") for ch in run) >= 8
        for run in _NON_ALNUM_RUN.findall(text)
    )


def _money_banner(text: str) -> bool:
    """A banner of money signs: 3+ currency signs or money emoji, and few letters besides."""
    signs = sum(ch in _MONEY_SIGNS for ch in text)
    if signs < 3:
        return False
    letters = sum(ch.isalpha() for ch in text)
    return letters <= 2 * signs or letters < 12


def spam_reasons(text: str) -> list[str]:
    """Every spam signal found in `text`, as short human-readable reasons (empty: looks fine)."""
    if ">" in text:
        text = _QUOTED.sub("", text)
    reasons: list[str] = []
    # Case-insensitive alternations are slow in `re`; matching lower-cased text is the same here.
    lower = text.lower()
    if _DIGIT.search(text) and _EARNINGS.search(lower):
        reasons.append("promises earnings")
    if _PITCH.search(lower):
        reasons.append("job-offer pitch")
    if _OFFER.search(lower):
        reasons.append("scam offer")
    if _TESTIMONY.search(lower):
        reasons.append("vouches for a helper")
    if (_DIGIT.search(text) and _PHONE.search(text)) or ("@" in text and _EMAIL.search(text)):
        reasons.append("phone number or e-mail")
    if _MESSAGING.search(lower):
        reasons.append("asks to be contacted")
    if _PROFILE.search(lower):
        reasons.append("points to a profile")
    urls = _URL.findall(text) if "." in text else []
    if any(_BAIT_URL.search(u.lower()) for u in urls):
        reasons.append("money-bait link")
    elif urls:
        reasons.append("link")
    if _symbol_run(text):
        reasons.append("decorative symbol run")
    if _money_banner(text):
        reasons.append("money-sign banner")
    return reasons


_LURES = frozenset({"promises earnings", "job-offer pitch", "scam offer", "vouches for a helper"})
_REACH = frozenset(
    {"phone number or e-mail", "asks to be contacted", "points to a profile", "money-bait link"}
)
# Signals of one kind are not independent: a reader who says someone "paid $300 million" and links a
# finance page (money.cnn.com, …/earnings/…) trips both money signals without selling anything.
_KIND = {"promises earnings": "money", "money-bait link": "money"}


def is_spam(reasons: list[str]) -> bool:
    """Spam: a lure and a way to reach its sender, two kinds of lure, or a money-sign banner.

    A plain link reaches somebody only together with a lure that is not money talk, and money talk
    with a money link is one signal, not two.
    """
    found = set(reasons)
    if "money-sign banner" in found:
        return True
    lures = found & _LURES
    reach = found & _REACH
    if "link" in found and lures - {"promises earnings"}:
        reach = reach | {"link"}
    if "decorative symbol run" in found:
        lures = lures | {"decorative symbol run"}
    kinds = {_KIND.get(r, r) for r in lures | reach}
    if (
        not reach
    ):  # two lures alone: the classic "Google pays $97 per hour … you won't forgive yourself"
        return "promises earnings" in lures and len(lures) >= 2
    return bool(lures) and len(kinds) >= 2
