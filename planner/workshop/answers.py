"""Reading one interview answer: numbers with units, dates in the forms people type, choices
in the interview's language, ids checked against a list with a did-you-mean, and short ids
made from names (pinyin for Chinese). Each reader returns the value, or raises Retry with
the reason the question is asked again."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Retry(Exception):
    """The answer cannot be used; the message says why, and the question comes again."""


MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "not_number": "'{raw}' is not a number; write e.g. 12000, 12k, 1.5m or 30%",
        "below": "{value} is below {low}; give at least {low}",
        "above": "{value} is above {high}; give at most {high}",
        "chance": "{value} is above 1; write a chance as 0.3 or 30%",
        "not_integer": "{value} is not a whole number",
        "not_date": "'{raw}' is not a date; write it as YYYY-MM-DD, e.g. {example}",
        "not_day": "{raw} is not a day of the calendar",
        "too_early": "{value} is before {after} ({what}); give a later date",
        "choose": "'{raw}' is not one of: {choices}",
        "unknown_id": "'{raw}' is not {kind}",
        "did_you_mean": "did you mean {guess}?",
        "one_of": "one of: {ids}",
        "none_yet": "there are none yet",
        "bad_id": "'{raw}' cannot be an id: use letters, digits, '-', '_' or '.', "
        "starting with a letter or digit, at most 64",
        "taken": "'{raw}' is already the id of {what}; choose another",
        "three": "give three numbers: optimistic, likely, pessimistic (e.g. 3 5 9)",
        "order": "give them with optimistic <= likely <= pessimistic ({raw})",
        "range": "give low, likely, high with low <= likely <= high, or one number ({raw})",
        "needed": "an answer is needed here",
        "currency": "'{raw}' is not a currency code; give three letters such as USD, EUR, CNY",
        "metric": "'{raw}' is not a metric ventureplan measures (did you mean {guess}?); "
        "type it again to keep it as a number you will record yourself",
    },
    "zh": {
        "not_number": "「{raw}」不是数字；请写成 12000、12k、1.2万 或 30% 这样的形式",
        "below": "{value} 小于 {low}；请至少给 {low}",
        "above": "{value} 大于 {high}；请最多给 {high}",
        "chance": "{value} 大于 1；概率请写成 0.3 或 30%",
        "not_integer": "{value} 不是整数",
        "not_date": "「{raw}」不是日期；请按 YYYY-MM-DD 书写，例如 {example}",
        "not_day": "{raw} 不是日历上的日期",
        "too_early": "{value} 早于{what}（{after}）；请给一个更晚的日期",
        "choose": "「{raw}」不在可选项中：{choices}",
        "unknown_id": "「{raw}」不是{kind}",
        "did_you_mean": "您是不是想写 {guess}？",
        "one_of": "可选：{ids}",
        "none_yet": "目前还没有",
        "bad_id": "「{raw}」不能作为 id：只能用字母、数字、'-'、'_' 或 '.'，"
        "以字母或数字开头，最多 64 个字符",
        "taken": "「{raw}」已经是{what}的 id；请换一个",
        "three": "请给出三个数字：乐观、最可能、悲观（如 3 5 9）",
        "order": "请保证 乐观 <= 最可能 <= 悲观（{raw}）",
        "range": "请给出 低、最可能、高 三个数字且 低 <= 最可能 <= 高，或只给一个数字（{raw}）",
        "needed": "这里需要一个回答",
        "currency": "「{raw}」不是货币代码；请给三个字母，如 CNY、USD、EUR",
        "metric": "「{raw}」不是 ventureplan 会测量的指标（您是不是想写 {guess}？）；"
        "如果这是您自己记录的数字，请再输入一次",
    },
}

# Scales people write after a number; the Chinese ones are 10^4 and 10^8.
SCALES = {"k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9, "千": 1e3, "万": 1e4, "亿": 1e8}
# Currency marks around an amount, which the plan's currency already says.
CURRENCY_MARKS = ("$", "¥", "€", "£", "元", "美元", "人民币", "usd", "cny", "rmb", "eur", "gbp")
CURRENCY_WORDS = {
    "人民币": "CNY",
    "元": "CNY",
    "rmb": "CNY",
    "¥": "CNY",
    "美元": "USD",
    "$": "USD",
    "欧元": "EUR",
    "€": "EUR",
    "英镑": "GBP",
    "£": "GBP",
    "日元": "JPY",
    "港币": "HKD",
}
NUMBER = re.compile(r"([-+]?(?:\d+(?:\.\d*)?|\.\d+))(mn|bn|k|m|b|千|万|亿)?(%)?")


def _plain(raw: str) -> str:
    """Full-width digits, commas and the like as their ASCII forms; spaces gone."""
    text = unicodedata.normalize("NFKC", raw).strip()
    return re.sub(r"[\s,_']", "", text.replace("，", ","))


def parse_number(raw: str, lang: str = "en") -> float:
    """`12k` -> 12000, `1.5m` -> 1.5e6, `1.2万` -> 12000, `30%` -> 0.3, `$9,000` -> 9000."""
    text = _plain(raw).lower()
    for mark in sorted(CURRENCY_MARKS, key=len, reverse=True):
        if text.startswith(mark):
            text = text[len(mark) :]
        if text.endswith(mark):
            text = text[: -len(mark)]
    match = NUMBER.fullmatch(text)
    if not match:
        raise Retry(MESSAGES[lang]["not_number"].format(raw=raw.strip()))
    value = float(match.group(1))
    if match.group(2):
        value *= SCALES[match.group(2)]
    if match.group(3):
        value /= 100
    return value


def check_range(
    value: float,
    lang: str,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    chance: bool = False,
) -> float:
    m = MESSAGES[lang]
    shown = f"{value:g}"
    if integer and value != int(value):
        raise Retry(m["not_integer"].format(value=shown))
    if low is not None and value < low:
        raise Retry(m["below"].format(value=shown, low=f"{low:g}"))
    if high is not None and value > high:
        raise Retry(m["chance" if chance else "above"].format(value=shown, high=f"{high:g}"))
    return value


DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def parse_date(
    raw: str,
    lang: str = "en",
    after: dt.date | None = None,
    what: str = "",
    example: dt.date | None = None,
) -> dt.date:
    """`2027-06-30`, `2027/6/30`, `2027.6.30`, `2027年6月30日`; not before `after`."""
    m = MESSAGES[lang]
    text = unicodedata.normalize("NFKC", raw).strip()
    match = DATE.fullmatch(text)
    if not match:
        shown = (example or dt.date(2027, 6, 30)).isoformat()
        raise Retry(m["not_date"].format(raw=raw.strip(), example=shown))
    try:
        day = dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        raise Retry(m["not_day"].format(raw=text)) from None
    if after is not None and day < after:
        raise Retry(m["too_early"].format(value=day, after=after, what=what))
    return day


def parse_choice(raw: str, choices: dict[str, str], lang: str = "en") -> str:
    """The value a choice stands for: its own name, in any case, or a word for it in the
    interview's language (`工具` -> `tool`)."""
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    if text in choices:
        return choices[text]
    values = list(dict.fromkeys(choices.values()))
    if lang == "zh":
        words = {v: [k for k, w in choices.items() if w == v and k != v] for v in values}
        shown = "、".join(f"{v}（{'/'.join(words[v])}）" if words[v] else v for v in values)
    else:
        shown = ", ".join(values)
    raise Retry(MESSAGES[lang]["choose"].format(raw=raw.strip(), choices=shown))


def parse_three(
    raw: str, lang: str = "en", *, one: bool = False, high: float | None = None
) -> tuple[float, float, float]:
    """Three numbers `3 5 9` (commas, slashes or 、 between them work too); with `one`, a
    single number stands for all three; none above `high`."""
    m = MESSAGES[lang]
    text = unicodedata.normalize("NFKC", raw).strip()
    parts = text.split()  # spaces first, so that `12,000 15,000 20,000` stays three
    if len(parts) == 1:
        parts = [p for p in re.split(r"[,;/、，]+", text) if p]
    if one and len(parts) == 1:
        parts = parts * 3
    if len(parts) != 3:
        for part in parts:
            parse_number(part, lang)  # a word among them: say that first
        raise Retry(m["range" if one else "three"].format(raw=text))
    a, b, c = (parse_number(p, lang) for p in parts)
    if not 0 <= a <= b <= c:
        raise Retry(m["range" if one else "order"].format(raw=text))
    check_range(c, lang, high=high)
    return a, b, c


def parse_currency(raw: str, lang: str = "en") -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    code = CURRENCY_WORDS.get(text.lower(), text.upper())
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise Retry(MESSAGES[lang]["currency"].format(raw=text))
    return code


def _guess(word: str, ids: list[str]) -> str | None:
    low = word.lower()
    starts = [i for i in ids if i.lower().startswith(low) or low.startswith(i.lower())]
    if len(starts) == 1:
        return starts[0]
    close = difflib.get_close_matches(low, [i.lower() for i in ids], n=1, cutoff=0.6)
    if close:
        return next(i for i in ids if i.lower() == close[0])
    return None


def parse_ref(
    raw: str,
    ids: dict[str, str],
    kind: str,
    lang: str = "en",
    *,
    titles: Mapping[str, str] | None = None,
) -> str:
    """One of `ids` (id -> what it is), matched exactly, ignoring case, or by its title; an
    unknown one is refused with the closest id and the list."""
    m = MESSAGES[lang]
    text = unicodedata.normalize("NFKC", raw).strip()
    if text in ids:
        return text
    by_case = [i for i in ids if i.lower() == text.lower()]
    if len(by_case) == 1:
        return by_case[0]
    named = (titles or {}).items()
    by_title = [i for i, title in named if title.strip().lower() == text.lower()]
    if len(by_title) == 1:
        return by_title[0]
    reason = m["unknown_id"].format(raw=text, kind=kind)
    guess = _guess(text, list(ids))
    if guess:
        reason += "; " + m["did_you_mean"].format(guess=guess)
    listed = ", ".join(ids) if ids else None
    shown = m["one_of"].format(ids=listed) if listed else m["none_yet"]
    reason += f"（{shown}）" if lang == "zh" else f" ({shown})"
    raise Retry(reason)


def parse_refs(
    raw: str,
    ids: dict[str, str],
    kind: str,
    lang: str = "en",
    *,
    titles: Mapping[str, str] | None = None,
) -> list[str]:
    """Several of `ids`, separated by commas (or 、 or ;); empty for none. Each is checked as
    parse_ref, so a title with spaces names its item; a part that is neither an id nor a
    title may be ids separated by spaces."""
    text = unicodedata.normalize("NFKC", raw).strip()
    found: list[str] = []
    for part in (p.strip() for p in re.split(r"[,;、]+", text)):
        if not part:
            continue
        try:
            refs = [parse_ref(part, ids, kind, lang, titles=titles)]
        except Retry:
            words = part.split()
            if len(words) < 2:
                raise
            refs = [parse_ref(w, ids, kind, lang, titles=titles) for w in words]
        found += [r for r in refs if r not in found]
    return found


def check_id(raw: str, taken: dict[str, str], lang: str = "en") -> str:
    """A new id: the pattern every plan id has, and not the id of anything else yet
    (`taken`: id -> what it names), whatever its kind."""
    m = MESSAGES[lang]
    text = unicodedata.normalize("NFKC", raw).strip()
    if not ID.fullmatch(text):
        raise Retry(m["bad_id"].format(raw=text))
    for have, what in taken.items():
        if have.lower() == text.lower():
            raise Retry(m["taken"].format(raw=text, what=what))
    return text


# Readings pypinyin gets wrong for words a model venture names its work with (its default
# for 调 is diao, for 重 zhong, for 长 zhang).
PHRASES = {
    "微调": [["wēi"], ["tiáo"]],
    "调参": [["tiáo"], ["cān"]],
    "调优": [["tiáo"], ["yōu"]],
    "调试": [["tiáo"], ["shì"]],
    "调整": [["tiáo"], ["zhěng"]],
    "重构": [["chóng"], ["gòu"]],
    "重训": [["chóng"], ["xùn"]],
    "长文本": [["cháng"], ["wén"], ["běn"]],
}
STOP_WORDS = frozenset(
    "a an and the of for to in on at by with from into our your its their new first".split()  # noqa: SIM905
)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _words(name: str) -> list[str]:
    """The name as lowercase ASCII words; Chinese characters as their pinyin syllables."""
    text = unicodedata.normalize("NFKC", name)
    if CJK.search(text):
        from pypinyin import lazy_pinyin, load_phrases_dict

        load_phrases_dict(PHRASES)  # idempotent; pypinyin keeps its own dictionary
        text = " ".join(lazy_pinyin(text))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def suggest_id(name: str, taken: Iterable[str], fallback: str = "item") -> str:
    """A short, typeable id from a name, not among `taken`: up to three words (four pinyin
    syllables), stop words dropped, at most 20 characters, a number added on a clash."""
    words = _words(name)
    syllables = bool(CJK.search(name))
    kept = [w for w in words if w not in STOP_WORDS] or words
    out: list[str] = []
    for word in kept[: 4 if syllables else 3]:
        if out and len("-".join([*out, word])) > 20:
            break
        out.append(word[:20])
    base = "-".join(out) or fallback
    if not base[0].isalnum():
        base = fallback
    used = {t.lower() for t in taken}
    slug, n = base, 2
    while slug.lower() in used:
        slug, n = f"{base}-{n}", n + 1
    return slug
