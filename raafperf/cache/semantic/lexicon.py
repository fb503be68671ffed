"""Small English word lists the semantic guard needs: framing words, numbers, negations,
actions and a few synonym sets. Deliberately short and general; extend with care, since a
word missing here only costs hit rate while a wrong synonym serves wrong answers."""

from __future__ import annotations

# Function words, question words and request framing: they change how a question is asked,
# not what it asks. A capitalised word from this list at a sentence start is not a name.
COMMON = frozenset(
    """
    a an the and or but if then than so as of at by for from in into on onto to up down out
    over under with without about above below between through during before after again
    further once here there when where why how what which who whom whose this that these
    those is are was were be been being am do does did doing done have has had having
    i me my mine myself we us our ours you your yours he him his she her hers it its they
    them their theirs one ones some any all each every both few more most other such no nor
    not only own same too very can could will would shall should may might must need needs
    let lets please tell show give explain describe list find know want like get got gets
    help make makes say says said ok okay just also really actually way ways thing things
    something anything kind sort type much many lot lots well still yet ever even quite
    rather pretty good best better great nice use used using go goes going went gone come
    comes look looks seem seems appear appears work works mean means does doesn't don't
    can't i'm it's what's how's where's who's that's there's let's you're we're they're
    hi hello hey thanks thank
    """.split()  # noqa: SIM905
)

NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
    "hundred": "100",
    "thousand": "1000",
    "million": "1e6",
    "billion": "1e9",
    "dozen": "12",
    "half": "0.5",
    "twice": "x2",
    "double": "x2",
    "triple": "x3",
}
ORDINAL_WORDS = {
    "first": "#1",
    "second": "#2",
    "third": "#3",
    "fourth": "#4",
    "fifth": "#5",
    "sixth": "#6",
    "seventh": "#7",
    "eighth": "#8",
    "ninth": "#9",
    "tenth": "#10",
    "last": "#last",
    "final": "#last",
    "previous": "#prev",
    "next": "#next",
}

NEGATIONS = frozenset(
    """
    not no never without none nothing nobody neither nor cannot unable isn't aren't wasn't
    weren't don't doesn't didn't won't wouldn't can't couldn't shouldn't haven't hasn't
    hadn't mustn't
    """.split()  # noqa: SIM905
)

# Verbs whose choice changes the answer; one line is one action, its synonyms alike.
ACTIONS: dict[str, tuple[str, ...]] = {
    "buy": ("buy", "purchase", "bought"),
    "sell": ("sell", "sold"),
    "cancel": ("cancel", "terminate", "unsubscribe"),
    "renew": ("renew",),
    "subscribe": ("subscribe",),
    "delete": ("delete", "remove", "erase"),
    "add": ("add", "insert", "append"),
    "create": ("create", "register"),
    "upgrade": ("upgrade",),
    "downgrade": ("downgrade",),
    "enable": ("enable", "activate"),
    "disable": ("disable", "deactivate"),
    "lock": ("lock",),
    "unlock": ("unlock",),
    "open": ("open",),
    "close": ("close",),
    "start": ("start", "begin", "launch"),
    "stop": ("stop", "halt", "pause"),
    "increase": ("increase", "raise", "boost"),
    "decrease": ("decrease", "reduce", "lower"),
    "send": ("send", "sent"),
    "receive": ("receive",),
    "upload": ("upload",),
    "download": ("download",),
    "import": ("import",),
    "export": ("export",),
    "install": ("install",),
    "uninstall": ("uninstall",),
    "accept": ("accept", "approve"),
    "reject": ("reject", "decline", "deny"),
    "reset": ("reset",),
    "change": ("change", "replace", "swap", "modify", "update", "edit"),
    "connect": ("connect", "pair", "link"),
    "disconnect": ("disconnect", "unpair", "unlink"),
    "encrypt": ("encrypt",),
    "decrypt": ("decrypt",),
    "refund": ("refund",),
    "pay": ("pay", "paid"),
    "book": ("book", "reserve"),
    "mute": ("mute",),
    "unmute": ("unmute",),
    "block": ("block",),
    "unblock": ("unblock",),
    "follow": ("follow",),
    "unfollow": ("unfollow",),
    "win": ("win", "won"),
    "lose": ("lose", "lost"),
}

# Words that mean the same in a question; the first of each set stands for the others.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("big", "large", "huge", "giant"),
    ("biggest", "largest"),
    ("small", "little", "tiny"),
    ("smallest", "tiniest"),
    ("fast", "quick", "rapid"),
    ("fastest", "quickest"),
    ("cheap", "inexpensive"),
    ("expensive", "costly", "pricey"),
    ("fix", "repair"),
    ("car", "automobile"),
    ("picture", "photo", "image"),
    ("movie", "film"),
    ("child", "kid"),
    ("doctor", "physician"),
    ("answer", "reply", "response"),
    ("method", "approach", "technique"),
    ("error", "mistake"),
    ("suggest", "recommend"),
    ("author", "writer"),
    ("begin", "start"),
    ("end", "finish"),
)

# Verbs that open a request ("Summarize the plot…"): capitalised at a sentence start they are
# not names, yet they stay content words (translating is not summarising).
IMPERATIVES = frozenset(
    """
    summarize summarise compare convert translate recommend suggest define calculate compute
    write set turn check name identify provide outline estimate rank sort rewrite draft plan
    generate predict analyze analyse evaluate review count solve simplify paraphrase
    """.split()  # noqa: SIM905
)
