"""The fault suite: load through the whole workflow while parts of the system are killed,
then checks that nothing acknowledged was lost or duplicated (docs/faults.md)."""
