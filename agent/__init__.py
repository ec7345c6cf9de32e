"""The chat agent: an OpenAI Agents SDK agent over the five task operations, and its conversations."""
