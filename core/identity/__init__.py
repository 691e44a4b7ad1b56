"""Identities and roles: organizations, users, tokens, certificates."""
