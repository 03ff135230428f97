"""The ports' implementations chosen from settings: what the composition root hands the domains."""

from __future__ import annotations

from warroom.config import Settings
from warroom.integrations.email import SmtpConfig, SmtpMailer
from warroom.integrations.github import GithubClient
from warroom.integrations.twilio import TwilioCalls, TwilioClient
from warroom.integrations.webhooks import WebhookSender
from warroom.ports import Outbound


def smtp_config(settings: Settings) -> SmtpConfig:
    """The SMTP server WARROOM_SMTP_* names."""
    return SmtpConfig(host=settings.smtp_host, port=settings.smtp_port, username=settings.smtp_username,
                      password=settings.smtp_password, starttls=settings.smtp_starttls,
                      mail_from=settings.mail_from)


def github_client(settings: Settings) -> GithubClient:
    return GithubClient(token=settings.github_token, api_url=settings.github_api_url)


def twilio_client(settings: Settings) -> TwilioClient | None:
    """Twilio when WARROOM_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM are all set."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from):
        return None
    return TwilioClient(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from,
                        settings.twilio_base_url)


def build_outbound(settings: Settings) -> Outbound:
    """Mail over SMTP when WARROOM_SMTP_HOST is set (else None: each domain logs what it would send), signed
    webhooks, GitHub's REST API with WARROOM_GITHUB_TOKEN, and texts and calls through Twilio when it is
    configured."""
    mailer = SmtpMailer(smtp_config(settings)) if settings.smtp_host else None
    twilio = twilio_client(settings)
    return Outbound(mailer=mailer, webhook=WebhookSender, issues=github_client(settings), sms=twilio,
                    calls=TwilioCalls(twilio) if twilio is not None else None)
