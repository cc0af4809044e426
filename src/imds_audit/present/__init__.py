"""findings → what people see: plotly figures, tables, HTML sections, in the catalogue's language.

Presentation reads a findings directory (``imds_audit.findings``); it never reads a snapshot nor
analyses anything."""

from imds_audit.present.sections import Fragment
from imds_audit.present.view import ReportView, open_report

__all__ = ["Fragment", "ReportView", "open_report"]
