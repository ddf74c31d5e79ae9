"""What a measured number is called and how it is written: one catalogue of every key a run,
an optimisation or a load test records (and of the goal metrics), with its label in each
language, its unit and its rounding. The terminal, the report and the spreadsheet all show
measurements through `shown`, so "peak_memory_mb 2.63e+03" reads "peak memory 2,630 MB"
everywhere and an integer prints as an integer.

Kinds of unit: "" (a plain number), "count" (an integer), "share" (0..1 shown as a
percentage), "score" (0..1 shown with three decimals), "money" (the plan's currency), or a
unit word ("ms", "MB", "h", "s", "/s").
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Quantity:
    en: str
    zh: str
    unit: str  # see the module's docstring
    digits: int = 0  # decimals for a plain number with a unit word

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


_Q = Quantity
CATALOGUE: dict[str, Quantity] = {
    # scores on the test split
    "accuracy": _Q("accuracy", "准确率", "score"),
    "macro_f1": _Q("macro-F1", "宏平均 F1", "score"),
    "weighted_f1": _Q("weighted F1", "加权 F1", "score"),
    "agreement": _Q("agreement with the original", "与原模型一致率", "share"),
    "change": _Q("change", "变化", "score"),
    # training
    "train_hours": _Q("training time", "训练时长", "h", 2),
    "device_hours": _Q("device time", "设备时长", "h", 2),
    "seconds": _Q("optimiser time", "优化器用时", "s", 0),
    "end_to_end_seconds": _Q("end-to-end time", "端到端用时", "s", 0),
    "cost": _Q("compute cost", "算力成本", "money"),
    "samples_per_second": _Q("training throughput", "训练吞吐", "samples/s", 1),
    "tokens_per_second": _Q("token throughput", "词元吞吐", "tokens/s", 0),
    "peak_memory_mb": _Q("peak memory", "峰值内存", "MB", 0),
    "steps": _Q("optimiser steps", "优化步数", "count"),
    "epochs": _Q("epochs", "轮数", "count"),
    "processes": _Q("processes", "进程数", "count"),
    # the full-scale forecast of a capped run
    "full_data_hours": _Q("full-data training time", "全量训练时长", "h", 2),
    "full_data_cost": _Q("full-data compute cost", "全量算力成本", "money"),
    "full_train_samples": _Q("full training set", "全量训练集", "samples", 0),
    # optimisation
    "latency_p50_ms": _Q("latency p50", "延迟 p50", "ms", 1),
    "latency_p95_ms": _Q("latency p95", "延迟 p95", "ms", 1),
    "latency_p99_ms": _Q("latency p99", "延迟 p99", "ms", 1),
    "throughput_per_s": _Q("throughput", "吞吐量", "/s", 1),
    "model_size_mb": _Q("model size", "模型大小", "MB", 1),
    "size_mb": _Q("model size", "模型大小", "MB", 1),
    "params_millions": _Q("parameters", "参数量", "M", 1),
    "max_abs_diff": _Q("largest difference from PyTorch", "与 PyTorch 的最大差异", ""),
    # serving
    "requests": _Q("requests", "请求数", "count"),
    "concurrency": _Q("clients at once", "并发客户端", "count"),
    "duration_s": _Q("duration", "时长", "s", 0),
    "error_rate": _Q("error rate", "错误率", "share"),
    "cost_per_1k_requests": _Q("cost per 1,000 requests", "每千次请求成本", "money"),
    "threads": _Q("model threads", "模型线程", "count"),
}

UNIT_WORDS = {
    "zh": {
        "h": "小时",
        "min": "分钟",
        "s": "秒",
        "samples": "个样本",
        "samples/s": "样本/秒",
        "tokens/s": "词元/秒",
    }
}


def label(key: str, lang: str = "en") -> str:
    """The key as a person says it; an unknown key with its underscores as spaces."""
    q = CATALOGUE.get(key)
    return q.label(lang) if q else key.replace("_", " ")


def number(value: float, digits: int = 0) -> str:
    """Thousands separated; an integral value without decimals when digits is 0."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (digits == 0 and float(value).is_integer()):
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def small_amount(x: float) -> str:
    """An amount that may be a fraction of a cent, in decimals with three significant
    digits (0.0000457, 0.0123, 1.50), never in scientific notation."""
    if x == 0 or not math.isfinite(x):
        return f"{x:.2f}"
    decimals = max(2, 2 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}"


def value(key: str, x: float, currency: str = "", lang: str = "en") -> str:
    """The value with its unit: 0.955 (a score), 98.1% (a share), 2,630 MB, 0.35 USD."""
    if not isinstance(x, int | float) or isinstance(x, bool) or not math.isfinite(x):
        return str(x)
    q = CATALOGUE.get(key)
    if q is None:
        return number(x, 0 if float(x).is_integer() else 3)
    if q.unit == "score":
        return f"{x:.3f}" if key != "change" else f"{x:+.3f}"
    if q.unit == "share":
        return f"{x:.1%}"
    if q.unit == "count":
        return number(round(x))
    if q.unit == "money":
        shown = number(x) if float(x).is_integer() else small_amount(x)
        return f"{shown} {currency}".strip()
    if not q.unit:
        return f"{x:.2g}" if 0 < abs(x) < 0.001 and key == "max_abs_diff" else number(x, 3)
    unit, digits = q.unit, q.digits
    if unit == "h" and abs(x) < 1:  # under an hour: minutes, under a minute: seconds
        x, unit, digits = (
            (x * 60, "min", 1)
            if abs(x) >= 1 / 60
            else (x * 3600, "s", 1 if abs(x) < 10 / 3600 else 0)
        )
    unit = UNIT_WORDS.get(lang, {}).get(unit, unit)
    gap = "" if q.unit == "/s" else " "
    digits = 0 if float(x).is_integer() else digits  # a target of 150 ms, not 150.0 ms
    return f"{number(x, digits)}{gap}{unit}"


def shown(key: str, x: float, currency: str = "", lang: str = "en") -> str:
    """`label value`: "peak memory 2,630 MB"."""
    return f"{label(key, lang)} {value(key, x, currency, lang)}"


def target(key: str, x: float, currency: str = "", lang: str = "en") -> str:
    """A goal's target as the founder wrote it (0.9, not 0.900), with its unit where the
    metric has one: "0.50 USD", "250,000 USD", "150 ms", "1 h"."""
    if not isinstance(x, int | float) or isinstance(x, bool):
        return str(x)
    q = CATALOGUE.get(key)
    unit = q.unit if q else ""
    if unit in ("", "score"):
        return f"{x:g}"
    if unit == "money" and abs(x) >= 0.01:
        return f"{number(x, 0 if float(x).is_integer() else 2)} {currency}".strip()
    return value(key, x, currency, lang)
