"""poolmail's own API beside AWS's: health, reset and the clock, the mailbox and SMS
outbox, AWS Support's part of SES, the functions, and what tests steer (delays, risk,
recovery, events, objects)."""
