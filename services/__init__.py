"""The deployable services of Mina vårdkontakter; each package runs as `python -m services.<name>`."""
