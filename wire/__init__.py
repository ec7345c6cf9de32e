"""The OpenAI wire protocols, typed: what a model provider sends, built from what it answers.

One implementation of the Responses API event stream and of Chat Completions chunks, fragmented
the way real providers fragment them, shared by the built-in offline model, the fake provider
the conversation library is recorded against, the benchmark's model and the tests' mocks.
Depends on nothing of this project.
"""
