"""Matrix inbound: the /sync listener that reads rooms the bot is in."""
