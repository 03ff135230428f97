"""Warroom watched like any service: metrics for Prometheus, structured logs with request ids, readiness that
knows the engine is alive, its own dead-man's switch, and retention of the records that grow for ever."""
