"""findings → files: papermill execution, nbconvert HTML, WeasyPrint PDF, exports, the remediation bundle."""

from imds_audit.render.report import DEFAULT_FORMATS, WRITERS, build_report, render_findings

__all__ = ["DEFAULT_FORMATS", "WRITERS", "build_report", "render_findings"]
