"""imds-audit: audit EC2 Auto Scaling groups for IMDSv2-only enforcement."""

__version__ = "0.1.0"
