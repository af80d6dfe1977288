"""Open311 GeoReport v2 (with FixMyStreet's ``servicerequestupdates``) at ``/open311/v2``.

Categories are services, tracking IDs are service request ids; XML (the spec's default)
and JSON, chosen by the resource's extension.
"""
