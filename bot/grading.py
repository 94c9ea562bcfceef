"""Free-text grading: normalisation, the bank's vocabulary of neighbours, and number words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# "1×1" is how a kernel size is printed; the sign reads as the letter x typed for it.
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00d7": "x"})
# Apostrophes vanish rather than split a word, so "isn't" stays one negation and "Cohen's" one name.
APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_DASHES = re.compile(r"[\u2010-\u2015\-_/]+")
_PUNCT = re.compile(r"[^\w\s+#.]")  # keep + # . so "c++", "c#", "l2" style answers survive
_SPACES = re.compile(r"\s+")
_ARTICLES = {"a", "an", "the"}


def normalize_text(text: str) -> str:
    """Fold case, quotes, hyphens, punctuation and spacing so only the words remain."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTES).casefold()
    text = APOSTROPHE.sub("", text)
    text = _DASHES.sub(" ", text)
    text = _PUNCT.sub(" ", text)
    text = text.replace(".", " ").strip()
    words = [w for w in _SPACES.split(text) if w and w not in _ARTICLES]
    return " ".join(words)


# British spellings fold to American ones on both sides, so neither is ever a "typo" of the other.
_BRITISH_WORDS = {
    "analyse": "analyze",
    "analysed": "analyzed",
    "analysing": "analyzing",
    "behaviour": "behavior",
    "catalogue": "catalog",
    "centre": "center",
    "colour": "color",
    "defence": "defense",
    "dialogue": "dialog",
    "favour": "favor",
    "fibre": "fiber",
    "grey": "gray",
    "labour": "labor",
    "licence": "license",
    "litre": "liter",
    "metre": "meter",
    "modelling": "modeling",
    "neighbour": "neighbor",
    "neighbours": "neighbors",
    "neighbourhood": "neighborhood",
    "programme": "program",
    "travelling": "traveling",
}
# Words where "-ise" is not the British form of "-ize"; folding them would be harmless on both
# sides, but leaving them alone keeps stored answers readable.
_ISE_WORDS = {
    "advise", "arise", "comprise", "compromise", "concise", "denoise", "despise", "devise",
    "disguise", "enterprise", "exercise", "expertise", "franchise", "improvise", "likewise",
    "noise", "otherwise", "paradise", "precise", "premise", "promise", "raise", "revise",
    "rise", "supervise", "surprise", "televise", "wise",
}  # fmt: skip
_ISE = re.compile(r"^(\w{3,})is(e|es|ed|ing|er|ers|ation|ations)$")
_LL = re.compile(r"^(\w+e)ll(ing|ed|er|ers)$")


def fold_spelling(word: str) -> str:
    """The American spelling of one normalised word (`regularisation` -> `regularization`)."""
    if word in _BRITISH_WORDS:
        return _BRITISH_WORDS[word]
    m = _ISE.match(word)
    if m and not any(word.startswith(w) or word.endswith(w) for w in _ISE_WORDS):
        return f"{m.group(1)}iz{m.group(2)}"
    m = _LL.match(word)
    if m and len(m.group(1)) >= 4:  # labelling, modelled; not "telling" or "spelled"
        return f"{m.group(1)}l{m.group(2)}"
    return word


def tokens(text: str) -> tuple[str, ...]:
    """Normalised, spelling-folded words of `text`."""
    return tuple(fold_spelling(w) for w in normalize_text(text).split())


def compact(words: Sequence[str]) -> str:
    return "".join(words)


# --- identity tokens ---------------------------------------------------------------------------

_ROMAN = re.compile(r"^(i{1,3}|iv|v|vi{1,3}|ix|x)$")
ACRONYM_MAX = 4


def is_identity_token(word: str) -> bool:
    """A token whose every letter carries meaning: a slip in it names something else.

    Digits (`gpt 2`, `l1`), roman numerals (`type ii`), and words of up to four letters, which
    in this bank are acronyms (`sgd`, `gru`, `bce`) or short words where one edit is another word.
    """
    return any(c.isdigit() for c in word) or bool(_ROMAN.match(word)) or len(word) <= ACRONYM_MAX


def typo_budget(word: str) -> int:
    """Edits forgiven inside one ordinary word; only long words leave room for a slip."""
    if is_identity_token(word) or not word.isalpha():
        return 0
    if len(word) >= 10:
        return 2
    if len(word) >= 6:
        return 1
    return 0


# --- the vocabulary of neighbours --------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """Every short term the bank knows, normalised; built once when the bank loads.

    `terms` are compact forms (spaces removed) for neighbour distances; `words` are the terms
    that are a single word, which are never read as a typo of another word.
    """

    terms: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()

    @classmethod
    def build(cls, texts: Iterable[str]) -> Vocabulary:
        terms: set[str] = set()
        words: set[str] = set()
        for text in texts:
            toks = tokens(text)
            if not toks:
                continue
            terms.add(compact(toks))
            if len(toks) == 1:
                words.add(toks[0])
        return cls(frozenset(terms), frozenset(words))

    def __len__(self) -> int:
        return len(self.terms)

    def nearest(self, text: str, exclude: frozenset[str], limit: int) -> int | None:
        """Edit distance from `text` to the closest term outside `exclude`, if within `limit`."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        best: int | None = None
        for _term, dist, _ in process.extract_iter(
            text, self.terms, scorer=OSA.distance, score_cutoff=limit
        ):
            if _term in exclude:
                continue
            if best is None or dist < best:
                best = int(dist)
        return best


EMPTY_VOCABULARY = Vocabulary()


# --- sentence forms ----------------------------------------------------------------------------

# Lead-ins a person types before an answer ("I think it's the chain rule"); articles are already
# gone after normalisation. Longest first so "its called" wins over "its".
_FILLER_PREFIXES = sorted(
    (
        tuple(p.split())
        for p in (
            "i think",
            "i believe",
            "i guess",
            "id say",
            "i would say",
            "answer is",
            "my answer is",
            "answer",
            "its",
            "it is",
            "thats",
            "that is",
            "this is",
            "called",
            "its called",
            "it is called",
            "this is called",
            "thats called",
            "that is called",
            "known as",
            "its known as",
            "i think its",
            "i think it is",
            "i believe its",
            "i think its called",
            "i believe its called",
            "i think answer is",
            "i believe answer is",
        )
    ),
    key=len,
    reverse=True,
)
_FILLER_SUFFIXES = (("i", "think"), ("i", "believe"), ("i", "guess"))


def strip_filler(words: tuple[str, ...]) -> tuple[str, ...]:
    """Drop one lead-in and one trailing hedge; what remains must be the whole answer."""
    for prefix in _FILLER_PREFIXES:
        if len(words) > len(prefix) and words[: len(prefix)] == prefix:
            words = words[len(prefix) :]
            break
    for tail in _FILLER_SUFFIXES:
        if len(words) > len(tail) and words[-len(tail) :] == tail:
            words = words[: -len(tail)]
            break
    return words


# A generic head noun after the key ("adam optimizer") is accepted only when the question itself
# puts the concept in that class, so "L1 loss" does not pass for the L1 penalty.
# Each class: the nouns a reply may add, and the words of a prompt that put the item in it.
HEAD_NOUN_CLASSES: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (frozenset({"optimizer"}), frozenset({"optimizer"})),
    (
        frozenset({"algorithm", "method", "technique", "approach", "procedure", "strategy"}),
        frozenset(
            {"algorithm", "method", "technique", "approach", "procedure", "strategy", "fix"}
            | {"trick", "heuristic", "detector"}
        ),
    ),
    (frozenset({"loss", "objective"}), frozenset({"loss", "objective"})),
    (frozenset({"distribution", "dist", "prior"}), frozenset({"distribution", "prior"})),
    (frozenset({"layer"}), frozenset({"layer"})),
    (
        frozenset({"regularization", "penalty", "regularizer"}),
        frozenset({"regularization", "penalty", "regularizer"}),
    ),
    (frozenset({"architecture", "model", "network"}), frozenset({"architecture", "network"})),
    (
        frozenset({"metric", "statistic", "measure", "score", "coefficient"}),
        frozenset({"metric", "statistic", "measure", "coefficient"}),
    ),
    (frozenset({"index"}), frozenset({"index"})),
    (frozenset({"notation"}), frozenset({"notation"})),
    (frozenset({"function", "activation"}), frozenset({"function", "activation"})),
    (frozenset({"test"}), frozenset({"test"})),
    (frozenset({"pattern"}), frozenset({"pattern"})),
    (frozenset({"problem"}), frozenset({"problem"})),
    (frozenset({"scheme", "encoding"}), frozenset({"scheme", "encoding"})),
)


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def head_nouns(context: Iterable[str]) -> frozenset[str]:
    """The head nouns a question's own wording allows (its prompt and tags)."""
    seen = {_singular(w) for text in context for w in tokens(text)}
    allowed: set[str] = set()
    for nouns, cues in HEAD_NOUN_CLASSES:
        if cues & seen:
            allowed |= nouns
    return frozenset(allowed)


# --- matching ----------------------------------------------------------------------------------

NEGATIONS = frozenset({"not", "no", "never", "isnt", "without", "neither", "nor"})
_GLOSSED = re.compile(r"^\s*([^()]+?)\s*\(([^()]+)\)\s*$")


def _token_edits(
    given: str, key: str, vocabulary: Vocabulary, acronyms: frozenset[str]
) -> int | None:
    """Edits to turn `given` into `key` when the difference may be a typo, else None."""
    if given == key:
        return 0
    # A plural of the key's word is the same concept ("eigenvalues", "GRUs"); short lower-case
    # words are left out because "items" is a different method from "item", and an acronym
    # takes only "s" because "IOBES" is another tagging scheme than "IOB".
    if (len(key) >= 5 and given in (key + "s", key + "es")) or (
        key in acronyms and given == key + "s"
    ):
        return 0
    if given in vocabulary.words:
        return None  # the user typed a real term; it is an answer, not a slip
    if given[:1] != key[:1] or is_identity_token(given):
        return None  # slips rarely hit the first letter; a different first letter is a new word
    budget = typo_budget(key)
    if budget == 0:
        return None
    # rapidfuzz loads on the first near miss, not at start-up (docs/scaling.md, "Session 10").
    from rapidfuzz.distance import OSA

    dist = OSA.distance(given, key, score_cutoff=budget)
    return dist if dist <= budget else None


def key_edits(
    given: tuple[str, ...],
    key: tuple[str, ...],
    vocabulary: Vocabulary,
    acronyms: frozenset[str] = frozenset(),
) -> int | None:
    """Total forgiven edits from `given` to `key`, word by word; None when it is not the key."""
    if given == key or compact(given) == compact(key):
        return 0
    if len(given) != len(key):
        return None
    total = 0
    for g, k in zip(given, key, strict=True):
        edits = _token_edits(g, k, vocabulary, acronyms)
        if edits is None:
            return None
        total += edits
    return total


def match_short(
    given: str,
    keys: Sequence[str],
    context: Iterable[str] = (),
    vocabulary: Vocabulary = EMPTY_VOCABULARY,
) -> bool:
    """True when `given` names the concept of `keys` (the answer and its aliases).

    Order matters: a negation or a list never passes; an exact key (after filler and an allowed
    head noun are dropped) passes; a near miss passes only when no other vocabulary term is at
    least as close, so a one-letter change that lands on a neighbour is that neighbour.
    """
    both = _GLOSSED.match(given)
    if both and all(match_short(part, keys, context, vocabulary) for part in both.groups()):
        return True  # "variance inflation factor (VIF)": the name and its abbreviation
    words = tokens(given)
    key_tokens = [t for t in (tokens(k) for k in keys) if t]
    if not words or not key_tokens:
        return False
    acronyms = frozenset(
        w.casefold() for k in keys for w in re.findall(r"[A-Za-z0-9]+", k) if w.isupper()
    )
    if set(words) & NEGATIONS and not any(set(k) & NEGATIONS for k in key_tokens):
        return False
    core = strip_filler(words)
    candidates = [core]
    nouns = head_nouns(context)
    if len(core) > 1 and (core[-1] in nouns or _singular(core[-1]) in nouns):
        candidates.append(core[:-1])
    key_forms = frozenset(compact(k) for k in key_tokens)
    for cand in candidates:
        if compact(cand) in key_forms or any(cand == k for k in key_tokens):
            return True
    for cand in candidates:
        text = compact(cand)
        if text in vocabulary.terms:
            continue  # another term of the bank, said exactly: the answer to a different item
        edits = [
            e for k in key_tokens if (e := key_edits(cand, k, vocabulary, acronyms)) is not None
        ]
        if not edits:
            continue
        best = min(edits)
        rival = vocabulary.nearest(text, key_forms, best)
        if rival is None or rival > best:
            return True
    return False
