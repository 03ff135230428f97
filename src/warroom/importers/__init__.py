"""Importers: move an account from Opsgenie, PagerDuty or Grafana OnCall into Warroom, keys and ids included."""
