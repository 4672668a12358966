"""System checks of the deployment's own settings."""

from django.core import checks
from django.db import connections


@checks.register(checks.Tags.database)
def database_reachable(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """A PostgreSQL pool that cannot connect says so only after its timeout, and only as
    "couldn't get a connection after 10.00 sec" (psycopg_pool logs the cause): connected to
    once directly, the database tells why at once, e.g. that it does not exist. Run by
    `migrate`, and so by `make run` first."""
    errors = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get("pool"):
            continue  # without a pool, the first query gives the database's own error
        import psycopg

        try:
            psycopg.connect(**{**connection.get_connection_params(), "connect_timeout": 5}).close()
        except psycopg.Error as error:
            errors.append(
                checks.Error(
                    f"Cannot connect to the database {alias!r}: {str(error).strip()}",
                    hint="Check DATABASE_URL: host, port, user, password and database name.",
                    id="scrapbook.E001",
                )
            )
    return errors
