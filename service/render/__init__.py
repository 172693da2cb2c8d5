"""Exports a person opens: Excel workbooks, PNG charts, printable HTML/PDF pages and printed reports.

::

    report          the nightly run's morning report (晨报): workbook, CSV tables, charts
    report_tables   the report's tables as workbook sheets (bilingual headers)
    report_charts   the report's PNG charts (matplotlib, Chinese labels when a CJK font exists)
    fair_export     a job fair's shortlist: workbook, printable HTML, PDF via Chromium
    fair_report     the report after a fair as printable lines

The numbers come from ``matcher`` (``matcher.batch.report_build``,
``matcher.fair.shortlist``, ``matcher.fair.report``); these modules only lay
them out.
"""
