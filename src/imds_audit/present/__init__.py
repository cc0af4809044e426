"""findings → what people see: plotly figures, tables, HTML sections, strings in English and Japanese."""

from imds_audit.present.i18n import Catalogue, catalogue
from imds_audit.present.sections import Fragment
from imds_audit.present.view import ReportView, open_report

__all__ = ["Catalogue", "Fragment", "ReportView", "catalogue", "open_report"]
