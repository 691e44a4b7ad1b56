"""Public notices of tenders, amendments and cancellations, as HTML, JSON and OCDS open data."""
