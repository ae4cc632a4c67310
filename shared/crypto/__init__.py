"""Sealing of message bodies (HPKE) and mailbox key management (envelope encryption)."""
