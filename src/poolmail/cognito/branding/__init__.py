"""How a pool's login pages look: managed login branding and classic UI customization."""
