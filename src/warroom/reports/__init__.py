"""External reporters: the public "report a problem" form, inbound mail, and the triage inbox."""
