"""Recent changes: deploys, config updates and other changes monitoring and CI report (PagerDuty Change Events),
kept per service so a responder can ask what changed just before this broke."""
