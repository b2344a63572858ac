"""The security suite: hostile input on every surface, every URL's permissions."""
