"""The wire formats of the compatibility surfaces: what PagerDuty, Opsgenie and Alertmanager callers send,
read into Warroom's alerts, heartbeats and schedules, and the answers those callers expect.

The endpoints beside this package (``api/compat/pagerduty.py``, ``opsgenie.py``, ``alertmanager.py``) take the
request and hand it here; nothing here knows FastAPI's routes, and no outbound client imports it.
"""
