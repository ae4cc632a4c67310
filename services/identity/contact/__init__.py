"""A patient's own contact settings: e-mail address (verified by a mailed link) and which
notifications they want."""
