"""The Matrix adapter: the chat platform over the Matrix client-server API, and its /sync listener."""
