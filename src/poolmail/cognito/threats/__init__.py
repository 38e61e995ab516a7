"""Threat protection: risk configuration, auth events, compromised credentials, adaptive risk."""
