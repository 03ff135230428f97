"""Customer-facing GitHub issues linked to an incident, told of its resolution (and closed) when it resolves."""
