"""The morning report's charts: PNG files a person reads at a glance.

Charts are drawn on bare :class:`matplotlib.figure.Figure` objects (no
pyplot state, no backend choice imposed on the caller). Labels are Chinese
when a CJK font is on the system (Noto Sans CJK, Source Han Sans, WenQuanYi,
…; see :func:`cjk_font`) and English otherwise, with places, occupations and
courses shown by code or rank: a chart never renders tofu boxes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matcher.batch.report_tables import ALL, FLAG_NAMES

__all__ = ["cjk_font", "coverage_chart", "flags_chart", "supply_demand_chart", "training_chart", "exposure_chart"]

_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Sarasa Gothic SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
)
_FILES = re.compile(
    r"cjk|wqy|wenquanyi|sourcehan|notosanssc|droidsansfallback|simhei|msyh|pingfang|uming|ukai", re.IGNORECASE
)
_CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]")
_GREEN, _ORANGE, _RED, _GREY, _BLUE = "#2e7d32", "#ef8f00", "#c62828", "#9e9e9e", "#1565c0"


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use, or None when the system has none."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((f for f in _FAMILIES if f in names), None)

    found = known()
    if found is None:
        # A font installed after matplotlib cached its font list is not in it yet.
        for path in font_manager.findSystemFonts():
            if _FILES.search(Path(path).name):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = known()
    return found


class _Text:
    """Chinese or English labels, depending on the font available."""

    def __init__(self) -> None:
        self.font = cjk_font()

    def __call__(self, zh: str, en: str) -> str:
        return f"{zh}\n{en}" if self.font else en

    def one(self, zh: str, en: str) -> str:
        return zh if self.font else en

    def label(self, text: str, fallback: str) -> str:
        """A data label (place, occupation, course): itself, or ``fallback`` when it would need CJK glyphs."""
        return text if self.font or not _CJK.search(text) else fallback


def _figure(rows: int, t: _Text, width: float = 10.0) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, max(3.2, 1.3 + 0.36 * rows)), dpi=110, layout="constrained")
    return fig


def _style(t: _Text) -> Any:  # matplotlib types rc keys as a Literal union
    families = [t.font, "DejaVu Sans"] if t.font else ["DejaVu Sans"]
    return {
        "font.family": families,
        "font.size": 10,
        "axes.titlesize": 12,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    return path


def coverage_chart(county: pd.DataFrame, town: pd.DataFrame, path: Path, top: int = 30) -> Path:
    """Stacked bars per town (one county) or per county: ≥ 3 suggestions, 1–2, none; label = % with ≥ 3."""
    import matplotlib

    t = _Text()
    several = (county["county_code"] != ALL).sum() > 1
    frame = county if several else town
    frame = frame[frame["county_code"] != ALL].sort_values("served", ascending=False).head(top).iloc[::-1]
    names = frame["county"] if several else frame["town"]
    codes = frame["county_code"] if several else frame["town_code"]
    labels = [t.label(str(n), str(c)) for n, c in zip(names, codes, strict=True)]
    with matplotlib.rc_context(_style(t)):
        fig = _figure(len(frame), t)
        ax = fig.add_subplot()
        y = np.arange(len(frame))
        left = np.zeros(len(frame))
        for col, color, zh, en in (
            ("with_3", _GREEN, "≥3条建议", "≥ 3 suggestions"),
            ("with_1_2", _ORANGE, "1–2条（附缺口说明）", "1–2 (with shortfall note)"),
            ("with_0", _RED, "无建议（附缺口说明）", "none (with shortfall note)"),
        ):
            values = frame[col].to_numpy(dtype=float)
            ax.barh(y, values, left=left, color=color, label=t.one(zh, en))
            left += values
        for yi, total, share in zip(y, frame["served"], frame["share_with_3"], strict=True):
            ax.text(total, yi, f"  {int(total):,} · {share:.0%}", va="center", fontsize=9)
        ax.set_yticks(y, labels)
        ax.set_xlim(0, max(left.max(), 1) * 1.18)
        ax.set_xlabel(
            t.one(
                "有就业意愿的人数（标注：人数 · ≥3条建议占比）",
                "people who want a job (label: people · share with ≥ 3)",
            )
        )
        level = t.one("县区", "county") if several else t.one("乡镇", "town")
        ax.set_title(t(f"各{level}覆盖情况", f"Coverage by {'county' if several else 'town'}"))
        ax.legend(loc="lower right", frameon=False)
        return _save(fig, path)


def flags_chart(flags: pd.DataFrame, served: int, path: Path) -> Path:
    """People per flag kind over the whole run, labelled with the share of people served."""
    import matplotlib

    t = _Text()
    frame = flags[flags["county_code"] == ALL].iloc[::-1]
    with matplotlib.rc_context(_style(t)):
        fig = _figure(len(frame) + 2, t, width=8.5)
        ax = fig.add_subplot()
        labels = [t.one(FLAG_NAMES[k][0], FLAG_NAMES[k][1]) for k in frame["kind"]]
        y = np.arange(len(frame))
        ax.barh(y, frame["people"], color=_BLUE)
        for yi, n, share in zip(y, frame["people"], frame["share"], strict=True):
            ax.text(n, yi, f"  {int(n):,} ({share:.0%})", va="center")
        ax.set_yticks(y, labels)
        ax.set_xlim(0, max(int(frame["people"].max()) if len(frame) else 0, 1) * 1.25)
        ax.set_xlabel(t.one(f"人数（服务人数 {served:,}）", f"people (of {served:,} served)"))
        ax.set_title(t("需要的帮扶类型", "Flags by kind"))
        return _save(fig, path)


def _paired(
    ax: Any, labels: list[str], a: np.ndarray, b: np.ndarray, names: tuple[str, str], colors: tuple[str, str]
) -> None:
    y = np.arange(len(labels))
    h = 0.4
    ax.barh(y + h / 2, a, height=h, color=colors[0], label=names[0])
    ax.barh(y - h / 2, b, height=h, color=colors[1], label=names[1])
    for yi, va, vb in zip(y, a, b, strict=True):
        ax.text(va, yi + h / 2, f" {int(va):,}", va="center", fontsize=8)
        ax.text(vb, yi - h / 2, f" {int(vb):,}", va="center", fontsize=8)
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlim(0, max(float(np.max(a, initial=0)), float(np.max(b, initial=0)), 1.0) * 1.12)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.04), ncol=2, frameon=False)


def supply_demand_chart(table: pd.DataFrame, path: Path, top: int = 15) -> Path:
    """Top occupations of the run: openings versus seekers, marked where one side outnumbers the other."""
    import matplotlib

    t = _Text()
    frame = table[table["county_code"] == ALL]
    # The largest occupations, and always the few where seekers outnumber openings most.
    short = frame[frame["seekers"] > frame["openings"]].nlargest(min(5, top // 3), "seekers")
    big = frame.drop(short.index).head(top - len(short))
    frame = frame.loc[sorted({*big.index, *short.index})].iloc[::-1]
    marks = {"岗多人少": ("▲岗多", "▲ more openings"), "人多岗少": ("▼人多", "▼ more seekers"), "大致平衡": ("", "")}
    labels = [
        f"{t.label(str(o), str(c))}  {t.one(*marks[b])}".rstrip()
        for o, c, b in zip(frame["occupation"], frame["occupation_code"], frame["balance"], strict=True)
    ]
    with matplotlib.rc_context(_style(t)):
        fig = _figure(int(len(frame) * 1.5), t, width=10.5)
        ax = fig.add_subplot()
        _paired(
            ax,
            labels,
            frame["openings"].to_numpy(),
            frame["seekers"].to_numpy(),
            (t.one("招聘人数", "openings"), t.one("求职人数（技能或意向）", "seekers (skills or intention)")),
            (_BLUE, _ORANGE),
        )
        ax.set_title(
            t(
                "主要职业供需对比（▲岗多人少  ▼人多岗少）",
                "Openings vs seekers by occupation (▲ more openings, ▼ more seekers)",
            )
        )
        return _save(fig, path)


def training_chart(table: pd.DataFrame, path: Path, top: int = 12) -> Path:
    """因岗定培: courses suggested to most people who want training, with the openings needing each."""
    import matplotlib

    t = _Text()
    frame = table[table["county_code"] == ALL].head(top).reset_index(drop=True)
    labels = [t.label(str(c), f"course #{i + 1}") for i, c in enumerate(frame["course"])]
    frame = frame.iloc[::-1]
    labels = labels[::-1]
    with matplotlib.rc_context(_style(t)):
        fig = _figure(int(max(len(frame), 1) * 1.5), t, width=10)
        ax = fig.add_subplot()
        _paired(
            ax,
            labels,
            frame["suggested"].to_numpy(),
            frame["course_openings"].to_numpy(),
            (
                t.one("建议参加的人数（有培训意愿）", "people it is suggested to (want training)"),
                t.one("需要该技能的招聘人数", "openings needing the skill"),
            ),
            (_GREEN, _BLUE),
        )
        ax.set_title(t("因岗定培：能解锁最多岗位的培训", "Training that unlocks most openings"))
        if frame.empty:
            ax.text(0.5, 0.5, t.one("没有培训建议", "no training suggested"), transform=ax.transAxes, ha="center")
        return _save(fig, path)


#: Upper edges of the exposure-per-opening bins (each bin is (previous, upper]).
_UPPER = (0.0, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, np.inf)


def exposure_chart(per_post: pd.DataFrame, multiple: float, stats: dict[str, dict[str, float]], path: Path) -> Path:
    """Posts by exposure per opening, without and with the congestion step (grouped bars over bins).

    Parameters
    ----------
    per_post : pandas.DataFrame
        :func:`matcher.batch.report_tables.exposure` output.
    multiple : float
        The exposure per opening the congestion step aims at (a dashed line).
    stats : dict
        ``{"without": {...}, "with": {...}}`` as in the run record (the maximum per opening and the mean
        score are printed; the chart itself shows the spread).
    """
    import matplotlib

    t = _Text()
    upper = np.array(_UPPER)
    names = ["0", "0–1", "1–2", "2–3", "3–5", "5–10", "10–20", "20–50", "> 50"]

    def counts(column: str) -> np.ndarray:
        values = per_post[column].to_numpy(dtype=float)
        return np.bincount(np.searchsorted(upper, values, side="left"), minlength=len(upper))

    a, b = counts("per_opening_without"), counts("per_opening_with")
    with matplotlib.rc_context(_style(t)):
        fig = _figure(12, t, width=10)
        ax = fig.add_subplot()
        x = np.arange(len(names))
        ax.bar(x - 0.2, a, width=0.4, color=_RED, label=t.one("拥堵控制前", "before the congestion step"))
        ax.bar(x + 0.2, b, width=0.4, color=_GREEN, label=t.one("拥堵控制后", "after the congestion step"))
        for xi, va, vb in zip(x, a, b, strict=True):
            ax.text(xi - 0.2, va, f"{va}", ha="center", va="bottom", fontsize=8)
            ax.text(xi + 0.2, vb, f"{vb}", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, names)
        line = float(np.searchsorted(upper, multiple, side="left")) + 0.5
        ax.axvline(line, color=_GREY, linestyle="--")
        ax.text(
            line,
            ax.get_ylim()[1] * 0.97,
            t.one(f" 目标上限：每名额{multiple:g}次", f" target: {multiple:g}× openings"),
            va="top",
            color="#555555",
        )
        ax.set_xlabel(t.one("每个招聘名额被推荐的次数", "times suggested per opening"))
        ax.set_ylabel(t.one("岗位数", "posts"))
        lines = []
        for key, zh, en in (("without", "控制前", "before"), ("with", "控制后", "after")):
            s = stats.get(key) or {}
            if s:
                lines.append(
                    t.one(
                        f"{zh}：每个名额最多被推荐 {s['exposure_per_opening_max']:.1f} 人次，"
                        f"平均匹配分 {s['mean_score']:.3f}",
                        f"{en}: at most {s['exposure_per_opening_max']:.1f} per opening, "
                        f"mean score {s['mean_score']:.3f}",
                    )
                )
        if lines:
            ax.text(
                0.99,
                0.80,
                "\n".join(lines),
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "#cccccc"},
            )
        ax.legend(loc="upper right", frameon=False)
        ax.set_title(t("岗位被推荐人次：拥堵控制前后", "Times suggested per opening, before and after congestion"))
        return _save(fig, path)
