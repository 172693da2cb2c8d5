"""The fair's printable page (HTML, then PDF by headless Chromium): a booth list per post with invitations,
then a notice list per village, each on its own printed page.

Names and ID numbers are masked unless ``with_pii``; the phone column is printed only with
``with_pii`` (the ``pii`` permission). The PDF is printed by headless Chromium when
``/usr/bin/chromium`` exists; otherwise only the HTML page is written (print it from any browser).
"""

from __future__ import annotations

import html
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

from features.contract.idcard import mask_id_number, mask_name, mask_phone
from matcher.fair.shortlist import Shortlist
from matcher.fair.solver import TIER_ZH

__all__ = ["write_html", "write_pdf", "people_view", "villages", "summary_rows"]

CHROMIUM = Path("/usr/bin/chromium")


def people_view(inv: pd.DataFrame, with_pii: bool) -> pd.DataFrame:
    """The invitations as printed: names, ID numbers and phones masked unless ``with_pii``, blanks as ""."""
    out = inv.copy()
    if not with_pii:
        out["name"] = [mask_name(v) if isinstance(v, str) else "" for v in out["name"]]
        out["id_number"] = [mask_id_number(v) if isinstance(v, str) else "" for v in out["id_number"]]
        out["phone"] = [mask_phone(v) if isinstance(v, str) else "" for v in out["phone"]]
    for col in ("name", "id_number", "phone", "village", "town"):
        out[col] = out[col].where(out[col].notna(), "")
    return out


def villages(inv: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The invitations grouped by township and village (sorted), one group per village list."""
    town = inv["town"].fillna("").astype(str)
    village = inv["village"].fillna("").astype(str)
    inv = inv.assign(place=(town + village).replace("", "（村未知）"))
    return [(str(place), grp) for place, grp in inv.groupby("place", sort=True)]


def summary_rows(sl: Shortlist) -> list[tuple[str, object]]:
    """The summary an organiser reads (sheet 汇总 and the page's head), in plain Chinese."""
    m, b, f = sl.metrics, sl.baseline, sl.fair
    return [
        ("招聘会编号", f.fair_id),
        ("名称", f.name),
        ("日期", f.date.isoformat()),
        ("地点", f.place),
        ("县代码", f.county_code),
        ("岗位数（展位）", len(sl.booths)),
        ("有邀请的岗位（打印展位名单）", int((sl.booths["invited"] > 0).sum())),
        ("招聘人数", int(sl.booths["openings"].sum())),
        ("候选求职者", sl.candidates),
        ("邀请人次", m.invitations),
        ("被邀请人数", m.people),
        ("覆盖户数", m.households),
        ("覆盖零就业家庭户数", f"{m.zero_households} / {m.zero_households_eligible}"),
        ("预计录用人数（按岗位招聘数封顶）", round(m.expected_hires, 1)),
        ("每个招聘名额最多邀请人数", round(m.max_per_opening, 2)),
        ("对照：每人只按匹配度取前几个岗位时，覆盖零就业家庭户数", b.zero_households),
        ("对照：每人只按匹配度取前几个岗位时，每个名额最多邀请人数", round(b.max_per_opening, 2)),
        (
            "规则",
            f"每岗最多邀请 招聘人数×{sl.settings.factor:g}，每人最多{sl.settings.per_person}个展位，"
            f"每户最多{sl.settings.household_cap}人次；优先：零就业家庭 > 建档立卡 > 重点帮扶 > 其他",
        ),
    ]


_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; font-size: 11pt; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0; }
th, td { border: 1px solid #444; padding: 2px 4px; vertical-align: top; }
th { background: #eee; } td.r { font-size: 9pt; color: #333; }
section.booth, section.village { page-break-before: always; break-before: page; }
@media print { @page { size: A4; margin: 12mm; } a { color: black; text-decoration: none; } }
"""


def _text(value: Any) -> str:
    """Escaped text of one cell: blanks empty, control characters (tab, carriage return) as spaces."""
    blank = value is None or (isinstance(value, float) and value != value)
    return html.escape(" ".join(str("" if blank else value).split()))


def _booth_section(sl: Shortlist, b: pd.Series, rows: pd.DataFrame | None, with_pii: bool) -> list[str]:
    e = _text
    # Without the pii right the page has no ID number or phone column: a masked one is of no use.
    pii_head = "<th>身份证号</th><th>电话</th>" if with_pii else ""
    parts = [
        f"<section class='booth'><h2>{b['booth']}号展位 {e(b['title'])}"
        f"（{e(b['employer_name'])}）</h2><p>岗位编号 {e(b['vacancy_id'])}；"
        f"招聘{int(b['openings'])}人；邀请{int(b['invited'])}人</p><table><tr><th>序号</th><th>劳动力编号</th>"
        f"<th>姓名</th>{pii_head}<th>村</th><th>优先</th><th>可能性</th><th>匹配理由</th>"
        "<th>到场</th><th>结果</th></tr>"
    ]
    for _, r in rows.iterrows() if rows is not None else []:
        pii = f"<td>{e(r['id_number'])}</td><td>{e(r['phone'])}</td>" if with_pii else ""
        parts.append(
            f"<tr><td>{int(r['rank'])}</td><td>{e(r['laborer_id'])}</td><td>{e(r['name'])}</td>"
            f"{pii}<td>{e(r['town'] + r['village'])}</td>"
            f"<td>{TIER_ZH[r['tier']]}</td><td>{r['probability']:.0%}</td>"
            f"<td class='r'>{'<br>'.join(e(x) for x in r['reasons'])}</td><td></td><td></td></tr>"
        )
    parts.append("</table></section>")
    return parts


def _village_section(sl: Shortlist, place: str, grp: pd.DataFrame, with_pii: bool) -> list[str]:
    e, f = _text, sl.fair
    titles = dict(zip(sl.booths["vacancy_id"], sl.booths["title"], strict=True))
    phone_head = "<th>电话</th>" if with_pii else ""
    parts = [
        f"<section class='village'><h2>{e(place)} · 通知名单</h2>"
        f"<p>请通知以下人员于{e(f.date.isoformat())}到{e(f.place)}参加{e(f.name)}</p><table><tr><th>户编号</th>"
        f"<th>劳动力编号</th><th>姓名</th>{phone_head}<th>优先</th><th>请到以下展位</th><th>已通知</th></tr>"
    ]
    for (household, laborer), rows in grp.groupby(["household_id", "laborer_id"], sort=True, dropna=False):
        first = rows.iloc[0]
        booths = "；".join(f"{r['booth']}号 {e(titles.get(r['vacancy_id']))}" for _, r in rows.iterrows())
        phone = f"<td>{e(first['phone'])}</td>" if with_pii else ""
        parts.append(
            f"<tr><td>{e(household)}</td><td>{e(laborer)}</td><td>{e(first['name'])}</td>{phone}"
            f"<td>{TIER_ZH[first['tier']]}</td><td>{booths}</td><td></td></tr>"
        )
    parts.append("</table></section>")
    return parts


def write_html(sl: Shortlist, path: Path, with_pii: bool = False) -> Path:
    """Write the printable page (Chinese; a booth list per post with invitations, a list per village)."""
    inv = people_view(sl.invitations, with_pii)
    e, f = _text, sl.fair
    parts = [
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{e(f.name)} 邀请名单</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(f.name)} · 邀请名单</h1><p>招聘会编号 {e(f.fair_id)}；日期 {e(f.date.isoformat())}；"
        f"地点 {e(f.place)}</p><table>",
    ]
    parts += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in summary_rows(sl)]
    parts.append("</table>")
    by_booth = dict(tuple(inv.groupby("vacancy_id", sort=False)))
    for _, b in sl.booths[sl.booths["invited"] > 0].iterrows():  # the printout holds booths with invitations
        parts += _booth_section(sl, b, by_booth.get(b["vacancy_id"]), with_pii)
    for place, grp in villages(inv):
        parts += _village_section(sl, place, grp, with_pii)
    parts.append("</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_pdf(html_path: Path, pdf_path: Path, chromium: Path = CHROMIUM) -> Path | None:
    """Print the page to PDF with headless Chromium; ``None`` when Chromium is not installed or fails."""
    if not chromium.exists() or shutil.which(str(chromium)) is None:
        return None
    try:
        subprocess.run(
            [
                str(chromium),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--print-to-pdf={pdf_path}",
                html_path.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return pdf_path if pdf_path.exists() else None
