"""Job fairs (专场招聘会): capacity-aware invitation shortlists, exports, and the report after the fair.

::

    model        a fair: posts, date, venue; stored fairs and invitations
    candidates   job seekers, priority tiers, venue reach, eligible scored pairs
    solver       the assignment as a min-cost flow (OR-Tools), the top-k baseline, metrics
    shortlist    build_shortlist(engine, fair_id): the one call the CLI and the API make
    export       workbook (汇总, booth and village sheets), printable HTML, PDF via Chromium
    workbook     the filled-in workbook read back as placements (hook of ``matcher ingest``)
    report       invitations, attendance, interviews, hires, openings left
"""
