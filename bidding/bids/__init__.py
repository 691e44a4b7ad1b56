"""Sealed bids: streamed ciphertext, signed submission statements, escrow shares and platform receipts."""
