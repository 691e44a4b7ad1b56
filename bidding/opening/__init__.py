"""The no-meeting opening hall (不见面开标): decryption window, 唱标, escrow remedy, objections and the record."""
