"""notifier: e-mails care units and patients that something waits for them (no content)."""
