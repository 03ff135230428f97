"""The ports' implementations chosen from settings: what the composition root hands the domains."""

from __future__ import annotations

from warroom.config import Settings
from warroom.integrations.email import SmtpConfig, SmtpMailer
from warroom.integrations.github import GithubClient
from warroom.integrations.webhooks import WebhookSender
from warroom.ports import Outbound


def smtp_config(settings: Settings) -> SmtpConfig:
    """The SMTP server WARROOM_SMTP_* names."""
    return SmtpConfig(host=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_username,
                      password=settings.smtp_password, starttls=settings.smtp_starttls,
                      mail_from=settings.mail_from)


def github_client(settings: Settings) -> GithubClient:
    return GithubClient(token=settings.github_token, api_url=settings.github_api_url)


def build_outbound(settings: Settings) -> Outbound:
    """Mail over SMTP when WARROOM_SMTP_HOST is set (else None: each domain logs what it would send), signed
    webhooks, and GitHub's REST API with WARROOM_GITHUB_TOKEN."""
    mailer = SmtpMailer(smtp_config(settings)) if settings.smtp_host else None
    return Outbound(mailer=mailer, webhook=WebhookSender, issues=github_client(settings))
