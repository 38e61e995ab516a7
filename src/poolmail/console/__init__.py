"""The web console at `/console/`: server-rendered pages over the same operations the AWS
APIs serve, plus the mailbox and the sending log. Routes live in `server/console_routes`.
"""
