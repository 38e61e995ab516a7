"""The web side of the services beside their APIs: the console, pool domains and their
managed login, the OpenID issuer, Cognito's confirmation links, import uploads, and
SES's tracking and unsubscribe links."""
