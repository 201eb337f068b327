"""PostgreSQL versions as numbers and as text (pure: no connection needed)."""


def format_version(version_num: int) -> str:
    """server_version_num as PostgreSQL prints it: 150018 -> "15.18"."""
    major, minor = divmod(version_num, 10000)
    return f"{major}.{minor}"
