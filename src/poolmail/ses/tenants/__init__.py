"""SES v2 tenants: the tenants themselves, the resources each may send with, and the
check a send naming a tenant goes through."""
