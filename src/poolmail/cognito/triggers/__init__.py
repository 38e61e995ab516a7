"""A user pool's Lambda triggers (`LambdaConfig`): the event each operation sends, in the
order AWS sends them, and what the responses change.

`invoke.py` holds what every trigger shares (the event envelope, the call through
`poolmail.functions`, AWS's error mapping); the modules beside it hold one trigger family
each.
"""
