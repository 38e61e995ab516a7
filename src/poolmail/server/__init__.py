"""The ASGI server: one port for every AWS API, the admin endpoints and later the console."""
