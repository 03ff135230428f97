"""Throttles every web process shares through the database: sign-in failures, form and subscribe hits, used forms."""
