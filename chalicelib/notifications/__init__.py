"""Notifications: messages sent to people (email today), each recorded once."""
