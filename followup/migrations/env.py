"""Alembic environment of the follow-up store. Run through followup.store.upgrade() (or
`python -m followup migrate`), which passes the connection in `config.attributes["connection"]`."""
from alembic import context

from followup import models  # noqa: F401  (registers the tables on Base.metadata)
from followup.store import Base

connection = context.config.attributes.get("connection")
if connection is None:
    from followup.store import make_engine
    from settings import followup_store_url

    connection = make_engine(followup_store_url()).connect()

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
