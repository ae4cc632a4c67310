"""Attachments of messages, replies and answers: checked on content, stripped of image
metadata, sealed like bodies and handed between the mailboxes by claim check (see
docs/attachments.md)."""
