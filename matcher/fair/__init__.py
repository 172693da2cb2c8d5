"""Job fairs (专场招聘会): capacity-aware invitation shortlists and the report after the fair.

::

    model        a fair: posts, date, venue; stored fairs and invitations
    candidates   job seekers, priority tiers, venue reach, eligible scored pairs
    solver       the assignment as a min-cost flow (OR-Tools), the top-k baseline, metrics
    shortlist    build_shortlist(engine, fair_id): the one call the CLI and the API make
    workbook     the fair workbook's layout, and the filled-in workbook read back as placements
                 (hook of ``matcher ingest``)
    report       invitations, attendance, interviews, hires, openings left

The workbook, printable HTML and PDF are written by ``service.render.fair_export``.
"""
