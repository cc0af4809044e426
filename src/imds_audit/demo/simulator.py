"""Answers for the one API of the estate that moto 5.2.5 lacks: GetInstanceMetadataDefaults.

This is simulation, said plainly: moto raises NotImplementedError for the call, so the demo session
answers it from the estate's table (estate.ACCOUNT_DEFAULTS) through a botocore ``before-call`` hook,
exactly in the response shape of the real API (checked against botocore's service model in tests).
Every other call goes to moto.
"""

from __future__ import annotations

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError


def metadata_defaults_hook(defaults: dict[str, dict | None]):
    def answer(context=None, **_):
        region = (context or {}).get("client_region")
        level = defaults.get(region, {})
        if level is None:
            raise ClientError({"Error": {"Code": "UnauthorizedOperation",
                                         "Message": "You are not authorized to perform this operation."},
                               "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetInstanceMetadataDefaults")
        return AWSResponse("https://simulated", 200, {}, None), {"AccountLevel": dict(level)}
    return answer


def denied_regions_hook(regions: tuple[str, ...]):
    """Every call into ``regions`` fails as an SCP's explicit deny would make it fail."""
    def deny(context=None, model=None, **_):
        if (context or {}).get("client_region") in regions:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "explicit deny in a service "
                                         "control policy (simulated)"},
                               "ResponseMetadata": {"HTTPStatusCode": 403}}, model.name if model else "?")
    return deny


def install(session, defaults: dict[str, dict | None], denied: tuple[str, ...] = ()) -> None:
    """Register the hooks on a boto3 session; clients created from it afterwards inherit them."""
    session.events.register("before-call.ec2.GetInstanceMetadataDefaults", metadata_defaults_hook(defaults))
    if denied:
        # botocore calls the most specific event's handlers first: the deny must sit there too.
        session.events.register_first("before-call", denied_regions_hook(denied))
        session.events.register_first("before-call.ec2.GetInstanceMetadataDefaults",
                                      denied_regions_hook(denied))
