"""plinto-db: PostgreSQL index work for the Plinto authentication schema."""

__version__ = "0.1.0"
