"""A fleet: one single-database command run on many databases, with a limit, a canary and
one summary. targets (the TOML file, pure) -> select (pure) -> runner (threads) -> summary."""
