"""Signing keys (wrapped at rest, rotated) and the tokens identity signs and verifies with them."""
