"""Managed login on poolmail's one port: a pool domain's endpoints (`/oauth2/*`, `/login`,
`/signup`, ...), reached by Host header (`<prefix>.auth.<region>.amazoncognito.com`, a custom
domain, `<prefix>.auth.<region>.localhost`) or under a path prefix that needs no name
resolution. The pages are server-rendered and work without JavaScript.
"""
