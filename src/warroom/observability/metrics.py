"""The metrics this process counts as things happen (counters and histograms), in one registry.

Labels name kinds of things only (a source, a channel, an outcome, a job kind, a route template), never what a
person wrote: no incident title, alert message or raw path reaches a label, so a private incident shows nowhere.
Gauges read from the database at scrape time live in ``collect``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_cpu_seconds_total, process_resident_memory_bytes, open fds (Linux)

# Seconds: from a few milliseconds (a route, a transactional job) to minutes (a page after escalation delays).
FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PAGE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

ingest_events = Counter(
    "warroom_ingest_events", "Events monitoring tools sent, by source (pagerduty, opsgenie, alertmanager, "
    "heartbeat) and outcome (accepted, refused: 4xx, failed: 5xx).", ["source", "outcome"], registry=REGISTRY)
alerts_opened = Counter(
    "warroom_alerts_opened", "Alerts opened (a duplicate of an open alert is not counted).", registry=REGISTRY)
first_page_seconds = Histogram(
    "warroom_alert_first_page_seconds", "From an alert opening to its first notification sent.",
    buckets=PAGE_BUCKETS, registry=REGISTRY)
notifications = Counter(
    "warroom_notifications", "Notifications to people, by channel (email, sms, voice, chat, webhook) and outcome "
    "(queued, sent, failed).", ["channel", "outcome"], registry=REGISTRY)
engine_job_seconds = Histogram(
    "warroom_engine_job_seconds", "Time the engine spent on one job, by job kind.", ["kind"],
    buckets=FAST_BUCKETS, registry=REGISTRY)
engine_tick_seconds = Histogram(
    "warroom_engine_tick_seconds",
    "One turn of the engine's loop: its heartbeat and every job it claimed (the managers run on their own thread).",
    buckets=FAST_BUCKETS, registry=REGISTRY)
engine_jobs = Counter(
    "warroom_engine_jobs", "Jobs the engine ran, by kind and outcome (done, retry, dead).", ["kind", "outcome"],
    registry=REGISTRY)
http_request_seconds = Histogram(
    "warroom_http_request_seconds", "HTTP requests by method, route template (never the raw path) and status "
    "class.", ["method", "route", "status"], buckets=FAST_BUCKETS, registry=REGISTRY)
self_heartbeat_pings = Counter(
    "warroom_self_heartbeat_pings", "Pings of WARROOM_SELF_HEARTBEAT_URL, by outcome (sent, failed).", ["outcome"],
    registry=REGISTRY)
pruned_rows = Counter(
    "warroom_retention_pruned_rows", "Rows deleted by retention, by kind of record.", ["record"], registry=REGISTRY)
