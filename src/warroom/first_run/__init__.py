"""The first-run checklist of a real installation: what an admin sets up before the first incident."""
