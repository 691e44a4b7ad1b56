"""Tender use cases; take a session, raise DomainErrors, never import the web framework."""
