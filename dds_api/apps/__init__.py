"""The operators' apps: the ``dds`` command line and the HTML dashboard.

They use the facade like any caller; nothing in ``dds_api`` or ``ingest`` imports them.
"""
