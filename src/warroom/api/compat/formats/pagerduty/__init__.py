"""PagerDuty Events API v2 compatibility: monitoring tools that page PagerDuty page Warroom instead."""
