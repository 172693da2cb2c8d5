"""The report after a job fair as printable lines (``matcher fair report``)."""

from __future__ import annotations

from matcher.fair.report import FairReport

__all__ = ["report_lines"]


def report_lines(rep: FairReport) -> list[str]:
    """The report as printable lines (Chinese / English)."""
    f = rep.fair
    return [
        f"{' '.join(str(f.name).split())}（{f.fair_id}，{f.date}，{' '.join(str(f.place).split())}）",
        f"邀请 invitations: {rep.invitations}（{rep.invited_people}人 people）",
        f"到场 attendance: {rep.attended}人 people（其中受邀 invited {rep.attended_invited}）",
        f"面试 interviews: {rep.interviews}",
        f"录用 hires: {rep.hires}（受邀者 invited {rep.hires_invited}）",
        f"零就业家庭成员录用 hires from zero-employment households: {rep.hires_zero_employment}",
        f"剩余岗位 openings left: {rep.openings_left} / {rep.openings}",
    ]
