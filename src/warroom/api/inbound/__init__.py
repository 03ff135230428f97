"""Webhooks outside services call with what happened on their side (Twilio: replies, keypresses, delivery)."""
