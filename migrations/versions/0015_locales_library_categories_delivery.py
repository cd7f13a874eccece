"""locales: the library in every locale with categories; schedules' delivery and categories

Revision ID: 0015
Revises: 0018
Create Date: 2026-11-30 23:22:13.351393

"""
from datetime import UTC, datetime
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import api.db
# The library's loader, not a snapshot: it reads the data files in api/prompts/library/, and its
# behaviour for existing keys is stable (keys never change, ids derive from them, and it only
# adds). Run again from a later revision, this function upserts the library as it then is.
from api.prompts.library import library


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def load_library() -> None:
    """Inserts library prompts missing by key, refreshes the text, order and category of the
    others, and replaces their translations."""
    prompts = sa.table(
        "prompts",
        sa.column("id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("text", sa.String()),
        sa.column("source", sa.String()),
        sa.column("library_key", sa.String()),
        sa.column("position", sa.Integer()),
        sa.column("category", sa.String()),
        sa.column("created_at", api.db.UTCDateTime()),
    )
    translations = sa.table(
        "prompt_translations",
        sa.column("prompt_id", sa.Uuid()),
        sa.column("locale", sa.String()),
        sa.column("text", sa.String()),
    )
    conn = op.get_bind()
    existing = set(conn.scalars(sa.select(prompts.c.library_key).where(prompts.c.library_key.is_not(None))))
    now = datetime.now(UTC)
    rows = []
    for position, item in enumerate(library(), start=1):
        values = {"text": item.text, "position": position, "kind": item.kind, "category": item.category}
        if item.key in existing:
            conn.execute(prompts.update().where(prompts.c.library_key == item.key).values(**values))
        else:
            conn.execute(prompts.insert().values(
                id=item.id, source="library", library_key=item.key, created_at=now, **values
            ))
        rows.extend(
            {"prompt_id": item.id, "locale": locale, "text": text}
            for locale, text in item.texts.items()
            if locale != "en"
        )
    ids = [item.id for item in library()]
    conn.execute(translations.delete().where(translations.c.prompt_id.in_(ids)))
    conn.execute(translations.insert(), rows)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('prompt_translations',
    sa.Column('prompt_id', sa.Uuid(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['prompt_id'], ['prompts.id'], name=op.f('fk_prompt_translations_prompt_id_prompts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('prompt_id', 'locale', name=op.f('pk_prompt_translations'))
    )
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_prompts_category'),
            "category IS NULL OR category IN "
            "('appreciation', 'reassurance', 'everyday', 'memories', 'dreams', 'repair', 'fun')",
        )

    # Schedules that exist keep today's behaviour (both partners at `time` in the schedule's
    # zone); new ones default to each partner's own zone (the model's default).
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('categories', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('delivery', sa.String(length=16), nullable=False, server_default='together'))
        batch_op.create_check_constraint(op.f('ck_schedules_delivery'), "delivery IN ('each_local', 'together')")
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.alter_column('delivery', server_default=None)

    load_library()


def downgrade() -> None:
    """Downgrade schema. The library prompts added here stay (rounds may refer to them); they
    only lose their categories and translations."""
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_schedules_delivery'), type_='check')
        batch_op.drop_column('delivery')
        batch_op.drop_column('categories')

    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_prompts_category'), type_='check')
        batch_op.drop_column('category')

    op.drop_table('prompt_translations')
