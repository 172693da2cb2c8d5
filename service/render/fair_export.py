"""The organiser's outputs: an Excel workbook (summary, one sheet per booth, one per village) and a printable page.

Names, ID numbers and phones are masked unless ``with_pii`` is given. The
booth sheets carry the columns the organiser fills in at the fair (到场,
结果, 日期); :mod:`matcher.fair.workbook` defines that layout and reads the
filled-in workbook back as placements.
The PDF is printed by headless Chromium when ``/usr/bin/chromium`` exists;
otherwise only the HTML page is written (print it from any browser).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from features.contract.idcard import mask_id_number, mask_name, mask_phone
from matcher.explain import KIND_ZH
from matcher.fair.shortlist import Shortlist
from matcher.fair.solver import TIER_ZH
from matcher.fair.workbook import BOOTH_HEADER, OUTCOME_CHOICES, SUMMARY_TITLE

__all__ = ["write_outputs", "write_workbook", "write_html", "write_pdf"]

CHROMIUM = Path("/usr/bin/chromium")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _people_view(inv: pd.DataFrame, with_pii: bool) -> pd.DataFrame:
    out = inv.copy()
    if not with_pii:
        out["name"] = [mask_name(v) if isinstance(v, str) else "" for v in out["name"]]
        out["id_number"] = [mask_id_number(v) if isinstance(v, str) else "" for v in out["id_number"]]
        out["phone"] = [mask_phone(v) if isinstance(v, str) else "" for v in out["phone"]]
    for col in ("name", "id_number", "phone", "village", "town"):
        out[col] = out[col].where(out[col].notna(), "")
    return out


def _sheet_name(text: str, taken: set[str]) -> str:
    base = _SHEET_BAD.sub("", text)[:28] or "表"
    name, n = base, 2
    while name in taken:
        name = f"{base[:26]}_{n}"
        n += 1
    taken.add(name)
    return name


def _booth_label(b: pd.Series) -> str:
    return f"{b['booth']}号 {b['title'] or ''}"


def _villages(inv: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    inv = inv.assign(place=(inv["town"].astype(str) + inv["village"].astype(str)).replace("", "（村未知）"))
    return [(str(place), grp) for place, grp in inv.groupby("place", sort=True)]


def _summary_rows(sl: Shortlist) -> list[tuple[str, object]]:
    m, b = sl.metrics, sl.baseline
    f = sl.fair
    return [
        ("招聘会编号 fair_id", f.fair_id),
        ("名称", f.name),
        ("日期", f.date.isoformat()),
        ("地点", f.place),
        ("县代码", f.county_code),
        ("岗位数（展位）", len(sl.booths)),
        ("招聘人数", int(sl.booths["openings"].sum())),
        ("候选求职者", sl.candidates),
        ("邀请人次", m.invitations),
        ("被邀请人数", m.people),
        ("覆盖户数", m.households),
        ("覆盖零就业家庭户数", f"{m.zero_households} / {m.zero_households_eligible}"),
        ("预计录用人数（按岗位招聘数封顶）", round(m.expected_hires, 1)),
        ("每个招聘名额最多邀请", round(m.max_per_opening, 2)),
        ("各岗位邀请人数基尼系数", round(m.gini_posts, 3)),
        ("对照：逐人取前3个岗位（同样邀请总数）覆盖零就业家庭", b.zero_households),
        ("对照：每个招聘名额最多邀请", round(b.max_per_opening, 2)),
        ("对照：预计录用人数", round(b.expected_hires, 1)),
        (
            "规则",
            f"每岗最多邀请 招聘人数×{sl.settings.factor:g}，每人最多{sl.settings.per_person}个展位，"
            f"每户最多{sl.settings.household_cap}人次；优先：零就业家庭 > 建档立卡 > 重点帮扶 > 其他",
        ),
    ]


def write_workbook(sl: Shortlist, path: Path, with_pii: bool = False) -> Path:
    """Write the workbook: 汇总 (summary and booth table), one sheet per booth, one per village."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    inv = _people_view(sl.invitations, with_pii)
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append([SUMMARY_TITLE])
    ws["A1"].font = Font(bold=True, size=14)
    for key, value in _summary_rows(sl):
        ws.append([key, value])
    ws.append([])
    ws.append(["展位号", "岗位编号", "岗位", "单位", "类型", "招聘人数", "邀请上限", "已邀请"])
    for _, b in sl.booths.iterrows():
        ws.append(
            [
                int(b["booth"]),
                b["vacancy_id"],
                b["title"],
                b["employer_name"],
                KIND_ZH.get(b["kind"], b["kind"]),
                int(b["openings"]),
                int(b["capacity"]),
                int(b["invited"]),
            ]
        )
    ws.column_dimensions["A"].width = 44
    taken = {"汇总"}
    by_booth = dict(tuple(inv.groupby("vacancy_id", sort=False)))
    date = sl.fair.date.isoformat()
    for _, b in sl.booths[sl.booths["invited"] > 0].iterrows():  # a booth nobody is invited to gets no sheet
        sheet = wb.create_sheet(_sheet_name(_booth_label(b), taken))
        sheet.append(
            [
                f"{b['booth']}号展位 {b['title'] or ''}（{b['employer_name'] or ''}）岗位编号 {b['vacancy_id']}，"
                f"招聘{int(b['openings'])}人，邀请{int(b['invited'])}人"
            ]
        )
        sheet.append(
            [
                "到场后请填写“是否到场”（是/否）和“结果”（" + "/".join(OUTCOME_CHOICES) + "），"
                "交回后用 matcher ingest placements 本文件 导入"
            ]
        )
        sheet.append(list(BOOTH_HEADER))
        for _, r in by_booth.get(b["vacancy_id"], pd.DataFrame(columns=inv.columns)).iterrows():
            sheet.append(
                [
                    int(r["rank"]),
                    sl.fair.fair_id,
                    r["vacancy_id"],
                    r["laborer_id"],
                    r["name"],
                    r["id_number"],
                    r["phone"],
                    f"{r['town']}{r['village']}",
                    TIER_ZH[r["tier"]],
                    f"{r['probability']:.0%}",
                    "；".join(r["reasons"]),
                    "",
                    "",
                    date,
                    "",
                ]
            )
        last = max(sheet.max_row, 4)
        choice = DataValidation(type="list", formula1='"' + ",".join(OUTCOME_CHOICES) + '"', allow_blank=True)
        sheet.add_data_validation(choice)
        choice.add(f"M4:M{last}")
        attended = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
        sheet.add_data_validation(attended)
        attended.add(f"L4:L{last}")
        sheet.column_dimensions["K"].width = 80
        for cell in sheet["K"]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for place, grp in _villages(inv):
        sheet = wb.create_sheet(_sheet_name(f"村-{place}", taken))
        sheet.append([f"{place}：请通知以下人员于{date}到{sl.fair.place}参加{sl.fair.name}"])
        sheet.append(["劳动力编号", "姓名", "联系电话", "户编号", "优先类别", "邀请的展位"])
        for laborer, rows in grp.groupby("laborer_id", sort=True):
            first = rows.iloc[0]
            booths = "；".join(
                f"{r['booth']}号 {sl.booths.set_index('vacancy_id').at[r['vacancy_id'], 'title']}"
                for _, r in rows.iterrows()
            )
            sheet.append(
                [laborer, first["name"], first["phone"], first["household_id"], TIER_ZH[first["tier"]], booths]
            )
        sheet.column_dimensions["F"].width = 60
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; font-size: 11pt; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0; }
th, td { border: 1px solid #444; padding: 2px 4px; vertical-align: top; }
th { background: #eee; } td.r { font-size: 9pt; color: #333; }
section.booth, section.village { page-break-before: always; break-before: page; }
@media print { @page { size: A4; margin: 12mm; } a { color: black; text-decoration: none; } }
"""


def write_html(sl: Shortlist, path: Path, with_pii: bool = False) -> Path:
    """Write the printable page (Chinese, one section per booth and per village, page breaks between)."""
    inv = _people_view(sl.invitations, with_pii)
    e = html.escape
    f = sl.fair
    parts = [
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{e(f.name)} 邀请名单</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(f.name)} · 邀请名单</h1><p>招聘会编号 {e(f.fair_id)}；日期 {e(f.date.isoformat())}；"
        f"地点 {e(f.place)}</p><table>",
    ]
    parts += [f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>" for k, v in _summary_rows(sl)]
    parts.append("</table>")
    by_booth = dict(tuple(inv.groupby("vacancy_id", sort=False)))
    for _, b in sl.booths[sl.booths["invited"] > 0].iterrows():  # the printout holds booths with invitations
        parts.append(
            f"<section class='booth'><h2>{b['booth']}号展位 {e(str(b['title'] or ''))}"
            f"（{e(str(b['employer_name'] or ''))}）</h2><p>岗位编号 {e(b['vacancy_id'])}；"
            f"招聘{int(b['openings'])}人；邀请{int(b['invited'])}人</p><table><tr><th>序号</th><th>劳动力编号</th>"
            "<th>姓名</th><th>身份证号</th><th>电话</th><th>村</th><th>优先</th><th>可能性</th><th>匹配理由</th>"
            "<th>到场</th><th>结果</th></tr>"
        )
        rows = by_booth.get(b["vacancy_id"])
        for _, r in rows.iterrows() if rows is not None else []:
            parts.append(
                f"<tr><td>{int(r['rank'])}</td><td>{e(r['laborer_id'])}</td><td>{e(r['name'])}</td>"
                f"<td>{e(r['id_number'])}</td><td>{e(r['phone'])}</td><td>{e(r['town'] + r['village'])}</td>"
                f"<td>{TIER_ZH[r['tier']]}</td><td>{r['probability']:.0%}</td>"
                f"<td class='r'>{'<br>'.join(e(x) for x in r['reasons'])}</td><td></td><td></td></tr>"
            )
        parts.append("</table></section>")
    titles = dict(zip(sl.booths["vacancy_id"], sl.booths["title"], strict=True))
    for place, grp in _villages(inv):
        parts.append(
            f"<section class='village'><h2>{e(place)} · 通知名单</h2>"
            f"<p>请通知以下人员于{e(f.date.isoformat())}到{e(f.place)}参加招聘会</p><table><tr><th>劳动力编号</th><th>姓名</th><th>电话</th><th>优先</th>"
            "<th>请到以下展位</th></tr>"
        )
        for laborer, rows in grp.groupby("laborer_id", sort=True):
            first = rows.iloc[0]
            booths = "；".join(
                f"{r['booth']}号 {e(str(titles.get(r['vacancy_id']) or ''))}" for _, r in rows.iterrows()
            )
            parts.append(
                f"<tr><td>{e(laborer)}</td><td>{e(first['name'])}</td><td>{e(first['phone'])}</td>"
                f"<td>{TIER_ZH[first['tier']]}</td><td>{booths}</td></tr>"
            )
        parts.append("</table></section>")
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


def write_outputs(sl: Shortlist, out: Path, with_pii: bool = False) -> dict[str, Path | None]:
    """Workbook, HTML and (when possible) PDF into ``out``; returns the paths (``pdf`` None without Chromium)."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{sl.fair.fair_id}-shortlist"
    xlsx = write_workbook(sl, out / f"{stem}.xlsx", with_pii)
    page = write_html(sl, out / f"{stem}.html", with_pii)
    return {"xlsx": xlsx, "html": page, "pdf": write_pdf(page, out / f"{stem}.pdf")}
