"""Alembic migrations of the selfref database; run them with `selfref db upgrade`.

`selfref.schema` drives them from code (no alembic.ini needed). A new revision goes in
`versions/` (`alembic -x url=sqlite:///... revision --autogenerate -m "..."` with
`script_location = selfref:migrations`), and `REVISIONS` below names it. This module
imports nothing: `selfref.audit_sqlite` checks a database's revision without SQLAlchemy.
"""

REVISIONS = ("0001", "0002")
"""Every revision in `versions/`, oldest first."""
HEAD = REVISIONS[-1]
VERSION_TABLE = "alembic_version"
"""Where Alembic keeps a database's revision."""
