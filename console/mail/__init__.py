"""Mail: the outbox (every outgoing message is a row), SMTP delivery, the embedded sink, inbound SMTP."""
