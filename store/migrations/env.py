"""Alembic environment, driven from `store.migrate` (no alembic.ini).

`store.migrate.migrate` hands over an open connection in
``config.attributes["connection"]``; without one (a developer running
``alembic`` against `store.migrate.alembic_config`), the engine comes from the
store settings.
"""

from __future__ import annotations

from alembic import context

from store.schema import metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection or on the configured database."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from store.engine import get_engine

    with get_engine().begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run `matcher migrate`")
run_migrations_online()
