"""Parties: organizations, their users, and the certificates of their client-held keys."""
