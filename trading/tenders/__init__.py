"""Tenders: publication on the statutory calendar, lots, documents, amendments, Q&A, cancellation."""
