"""Messaging: two deployables with physically separate databases.

- patient: the patient mailbox (patient database): conversations as the patient sees them.
- careunit: the care-unit mailbox (care-unit database): unit inbox, assignments, answers.

They never share a transaction; they talk only through events, and bodies cross between
them sealed to the receiving mailbox's public key."""
