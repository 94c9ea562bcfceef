"""Storage: SQLAlchemy tables, the repository and Alembic migrations."""

# Registers the rescoring tables on the shared metadata wherever the schema is used.
from bot.storage import audit_tables as audit_tables
