"""Database layer: table models, engine construction and migrations. Imports nothing of the app."""
