"""Replaying recorded conversations: the replay model provider, the runner and its pytest plugin."""
