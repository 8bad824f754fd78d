"""Alembic migrations of the selfref database; run them with `selfref db upgrade`.

`tracker.schema` drives them from code (no alembic.ini needed). A new revision goes in
`versions/` (`alembic -x url=sqlite:///... revision --autogenerate -m "..."` with
`script_location = tracker:migrations`), and `tracker.schema.HEAD` names it.
"""
