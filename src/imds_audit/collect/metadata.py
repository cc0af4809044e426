"""MetadataOptions, field by field, as the snapshot stores them.

Every field botocore's service model lists for a launch template's data, a launch configuration and
an instance is kept (tests/test_metadata_options.py holds this list to the model): a new template
version must carry over the fields it does not mean to change, since AWS replaces the structure whole.
An omitted field stays None (it matters: an omitted HttpEndpoint means *enabled*).
"""

from __future__ import annotations

# AWS field → snapshot column
COLUMNS = {
    "HttpTokens": "http_tokens",
    "HttpEndpoint": "http_endpoint",
    "HttpPutResponseHopLimit": "hop_limit",
    "HttpProtocolIpv6": "http_protocol_ipv6",
    "InstanceMetadataTags": "instance_metadata_tags",
    "State": "metadata_options_state",  # pending | applied: a change not yet in effect on the instance
}

# The fields each kind of record can carry (botocore's shapes LaunchTemplateInstanceMetadataOptions,
# autoscaling InstanceMetadataOptions, InstanceMetadataOptionsResponse).
TEMPLATE_FIELDS = ("HttpTokens", "HttpEndpoint", "HttpPutResponseHopLimit", "HttpProtocolIpv6",
                   "InstanceMetadataTags", "State")
LAUNCH_CONFIGURATION_FIELDS = ("HttpTokens", "HttpEndpoint", "HttpPutResponseHopLimit")
INSTANCE_FIELDS = TEMPLATE_FIELDS


def columns(meta: dict | None, fields: tuple[str, ...]) -> dict:
    """The snapshot columns of one MetadataOptions structure (None for every omitted field)."""
    meta = meta or {}
    return {COLUMNS[f]: meta.get(f) for f in fields}
