"""The morning report of a published batch run (晨报): an Excel workbook, CSV tables and PNG charts.

``matcher report RUN_ID --out DIR`` calls :func:`write_report`. What goes in:

=========================  ==========================================================
sheet / file               content
=========================  ==========================================================
概要 (summary)              the run's key figures and how to read the tables
县区汇总 / 乡镇汇总          per county / town (last row 全部): people served (wants a
(coverage_county/_town)    job), with ≥ 3 suggestions, with 1–2 / none, shortfalls by
                           category, flags by kind, zero-employment households
缺口原因 (shortfalls)        shortfalls by category and mobility
帮扶标记 / 标记原因           people per flag kind; how often each reason is given
职业供需 (supply_demand)     openings vs seekers per occupation (细类 and 中类), where
                           posts outnumber seekers (岗多人少) and the reverse
因岗定培 (training)          courses suggested to people who want training, and the
                           openings that need each
零就业户未获建议              zero-employment households whose job seekers got no
(zero_households)          suggestion, by village
岗位推荐人次 (exposure)       per post: times suggested before / after the congestion step
运行记录 (run_record)        the run record: timings, counts, exposure statistics
图表 (charts)               the PNG charts, also written next to the workbook
=========================  ==========================================================

Tables are computed in :mod:`matcher.batch.report_build` (one function per
table in :mod:`matcher.batch.report_tables`), written as sheets by
:mod:`service.render.report_tables` and drawn as charts by
:mod:`service.render.report_charts`. Personal data: the report names
households and ledger ids, never names, id numbers or phones.

What a person reads is Chinese: the CSV files carry the same Chinese headers as
the workbook, codes are written as words (:func:`service.render.report_tables.visible_table`)
and every text cell is neutralised against formula injection
(:mod:`service.render.cells`, ``docs/exports.md``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from matcher.batch.report_build import ReportTables, report_tables, without_people
from matcher.batch.report_data import ReportData
from matcher.batch.report_tables import FLAG_NAMES
from matcher.batch.runs import RunDir
from service.render import report_charts as charts
from service.render.cells import append_row, write_cell
from service.render.report_tables import table_csv, table_sheet

__all__ = ["write_report", "SHEETS"]


#: Sheet name (Chinese) and one-line English description of each table, in workbook order.
SHEETS: dict[str, tuple[str, str]] = {
    "coverage_county": ("县区汇总", "per county: people served, ≥ 3 suggestions, shortfalls, flags, households"),
    "coverage_town": ("乡镇汇总", "per town: the same figures"),
    "shortfalls": ("缺口原因", "shortfalls by category and mobility"),
    "flags": ("帮扶标记", "people per flag kind"),
    "flag_reasons": ("标记原因", "reasons given per flag kind"),
    "supply_demand": ("职业供需（细类）", "openings vs seekers per detailed occupation"),
    "supply_demand_groups": ("职业供需（中类）", "openings vs seekers per middle group"),
    "training": ("因岗定培", "courses for people who want training and the openings they unlock"),
    "zero_households": ("零就业户未获建议", "zero-employment households without any suggestion"),
    "exposure": ("岗位推荐人次", "times each post is suggested, before / after the congestion step"),
    "run_record": ("运行记录", "the run record"),
}


#: What each sheet holds, in Chinese (the 概要 sheet's table of contents).
_SHEET_ZH: dict[str, str] = {
    "coverage_county": "各县服务人数、≥3条建议人数、缺口、帮扶标记、零就业户",
    "coverage_town": "各乡镇的同样数字",
    "shortfalls": "建议不足3条的原因，按外出意愿",
    "flags": "各类帮扶标记的人数",
    "flag_reasons": "各类标记的原因及人数（年龄按5岁一档）",
    "supply_demand": "各职业（细类）招聘人数与求职人数",
    "supply_demand_groups": "各职业（中类）招聘人数与求职人数",
    "training": "有培训意愿者的建议课程及其能解锁的岗位",
    "zero_households": "求职成员没有得到任何建议的零就业户",
    "exposure": "每个岗位被推荐的人次（拥堵控制前后）",
    "run_record": "本次批处理的运行记录",
}


def write_report(
    run: RunDir, out: Path, engine: Engine | None = None, county_code: str | None = None, *, people: bool = True
) -> list[Path]:
    """Write the morning report of a published run into ``out``.

    Parameters
    ----------
    run : RunDir
        A published run (``matcher.batch.runs.latest_run``).
    out : Path
        Output directory (created when missing).
    engine : sqlalchemy.engine.Engine, optional
        The store the run was computed from (default: ``store.get_engine()``).
    county_code : str, optional
        One county's report (its people, households and posts; the ``全部`` rows are its totals);
        default: the whole run.
    people : bool
        False: nothing that names a household or a person (for a reader of aggregates alone; see
        :func:`matcher.batch.report_build.without_people`).

    Returns
    -------
    list of Path
        The workbook ``report_<run_id>.xlsx`` first, then the CSV tables, then the PNG charts.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data, t = report_tables(run, engine, county_code=county_code)
    if not people:
        t = without_people(t)
    pngs = _charts(run, data, t, out)
    workbook = _workbook(run, t, pngs, out / f"report_{run.run_id}.xlsx")
    csvs = []
    for name, frame in t._asdict().items():
        csvs.append(table_csv(name, frame, out / f"{name}.csv"))
    return [workbook, *csvs, *pngs]


def _charts(run: RunDir, data: ReportData, t: ReportTables, out: Path) -> list[Path]:
    record = run.record
    multiple = float(record.get("options", {}).get("multiple", 3.0))
    stats = {"without": record.get("exposure_without", {}), "with": record.get("exposure_with", {})}
    return [
        charts.coverage_chart(t.coverage_county, t.coverage_town, out / "coverage.png"),
        charts.flags_chart(t.flags, len(data.people), out / "flags.png"),
        charts.supply_demand_chart(t.supply_demand, out / "supply_demand.png"),
        charts.training_chart(t.training, out / "training.png"),
        charts.exposure_chart(t.exposure, multiple, stats, out / "exposure.png"),
    ]


def _summary_rows(run: RunDir, t: ReportTables) -> list[tuple[str, str, Any]]:
    r = run.record
    total = t.coverage_county.iloc[-1]
    served = int(total["served"])
    wo, w = r.get("exposure_without") or {}, r.get("exposure_with") or {}
    rows: list[tuple[str, str, Any]] = [
        ("批次编号", "run id", run.run_id),
        ("计算日期", "computed for", r.get("today")),
        ("完成时间（UTC）", "finished (UTC)", r.get("finished_at")),
        ("模型版本", "model artifact", r.get("artifact")),
        ("服务人数（有就业意愿）", "people served (wants a job)", served),
        ("≥3条建议人数", "people with ≥ 3 suggestions", int(total["with_3"])),
        ("有缺口说明人数", "people with a shortfall", int(total["shortfall"])),
        ("≥3条或有缺口说明占比", "share with ≥ 3 or a shortfall", f"{total['covered'] / max(served, 1):.1%}"),
        ("零就业户（有成员求职）", "zero-employment households seeking work", int(total["zero_households"])),
        ("其中无任何建议的户", "of which without any suggestion", int(total["zero_households_without"])),
    ]
    for kind, (zh, en) in FLAG_NAMES.items():
        rows.append((f"标记：{zh}", f"flag: {en}", int(total[f"flag_{kind}"])))
    if wo and w:
        rows += [
            (
                "每个名额最多被推荐人次（拥堵控制前→后）",
                "most times one opening is suggested (before → after the congestion step)",
                f"{wo['exposure_per_opening_max']:.1f} → {w['exposure_per_opening_max']:.1f}",
            ),
            (
                "平均匹配分（拥堵控制前→后）",
                "mean match score (before → after)",
                f"{wo['mean_score']:.4f} → {w['mean_score']:.4f}",
            ),
        ]
    inc = r.get("incremental")
    if inc:
        rows.append(
            (
                "增量计算：重算 / 沿用人数",
                "incremental: recomputed / copied",
                f"{inc['recomputed']:,} / {inc['copied']:,}（基于 {inc['from_run']}）",
            )
        )
    rows.append(("总耗时（秒）", "total time (s)", round(float(r.get("timings", {}).get("total", 0.0)), 1)))
    return rows


_NOTES = (
    (
        "服务人数：本批次中有就业意愿的劳动力；每人至少推送3个岗位，不足3个时写明缺口原因。",
        "People served: laborers who want a job; each gets ≥ 3 posts or a shortfall naming why.",
    ),
    (
        "求职人数：技能或求职意向对应该职业的人（一人可对应多个职业）；岗多人少＝招聘人数≥2倍求职人数，人多岗少反之。",
        "Seekers: people whose skills or job intention map to the occupation (one may count under several); "
        "岗多人少 = openings ≥ 2 × seekers, 人多岗少 the reverse.",
    ),
    (
        "被推荐人次：岗位出现在多少人的建议中；拥堵控制使每个招聘名额被推荐的人次接近设定倍数，避免人人挤向同一岗位。",
        "Times suggested: in how many people's lists a post appears; the congestion step keeps it near a multiple "
        "of its openings, so that not everyone is sent to the same post.",
    ),
)


def _workbook(run: RunDir, t: ReportTables, pngs: list[Path], path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "概要"
    write_cell(ws, "A1", "就业扶贫岗位匹配 · 晨报").font = Font(bold=True, size=14)
    write_cell(ws, "B1", "Morning report of the nightly batch")
    append_row(ws, [])
    for zh, en, value in _summary_rows(run, t):
        append_row(ws, [zh, en, value])
    append_row(ws, [])
    append_row(ws, ["工作表", "内容", "content"])
    for name, (sheet, desc) in SHEETS.items():
        append_row(ws, [sheet, _SHEET_ZH[name], desc])
    append_row(ws, [])
    for zh, en in _NOTES:
        append_row(ws, [zh, en])
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 42
    ws.column_dimensions["C"].width = 40
    for name, (sheet, _) in SHEETS.items():
        table_sheet(wb.create_sheet(sheet), getattr(t, name), name)
    pics = wb.create_sheet("图表")
    row = 1
    for png in pngs:
        image = Image(str(png))
        scale = min(1.0, 900 / image.width)
        image.width, image.height = int(image.width * scale), int(image.height * scale)
        pics.add_image(image, f"A{row}")
        row += math.ceil(image.height / 20) + 2
    wb.save(path)
    return path
