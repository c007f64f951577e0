"""The schema comes only from migrations, and the migrations describe exactly the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from autofin.db.base import Base


def test_the_migrated_schema_matches_the_models_with_nothing_left_to_migrate(app_ctx):
    with app_ctx.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models and migrations disagree; add a migration: {differences}"


def test_the_database_is_at_the_newest_migration(app_ctx):
    tables = set(inspect(app_ctx.engine).get_table_names())
    assert "alembic_version" in tables
    with app_ctx.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    from alembic.script import ScriptDirectory

    from autofin.db.migrate import alembic_config

    assert current == ScriptDirectory.from_config(alembic_config(app_ctx.settings.database_url)).get_current_head()
