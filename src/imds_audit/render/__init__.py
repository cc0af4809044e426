"""findings → files: papermill execution, nbconvert HTML, WeasyPrint PDF, exports."""

from imds_audit.render.report import DEFAULT_FORMATS, FORMATS, build_report, render_findings

__all__ = ["DEFAULT_FORMATS", "FORMATS", "build_report", "render_findings"]
