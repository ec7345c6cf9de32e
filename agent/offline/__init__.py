"""The built-in offline model: a deterministic, rule-based stand-in for an LLM (not an LLM)."""
