"""The supervision ledger: an RFC 9162 Merkle log over the journal, checkpoints, proofs, sealed-period streams."""
