"""SES sending: the engine every send ends in (``outbound``), the v1, v2 and bulk send
operations, the MIME message, the mailbox simulator, delivery delays and SendBounce."""
