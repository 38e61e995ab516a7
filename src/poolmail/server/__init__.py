"""The ASGI server: one port for every AWS API, poolmail's own API and the web pages.

The request path lives here (``app``, ``pipeline``, ``inline``, ``coalesce``, identity and
signatures, CORS, the admin guard, the processes); ``admin/`` holds poolmail's own
endpoints (the mailbox, the clock, what tests steer) and ``web/`` the pages and links the
services serve beside their APIs (the console, pool domains, tracking)."""
