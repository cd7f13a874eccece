"""locales: the library in every locale with categories; schedules' delivery and categories

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 23:22:13.351393

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# The library's loader, not a snapshot: it reads the data files in api/prompts/library/, and its
# behaviour for existing keys is stable (keys never change, ids derive from them, and it only
# adds). A later revision that grows the library or adds a locale calls it again.
from api.prompts.library import sync_library


# revision identifiers, used by Alembic.
revision: str = '0021'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


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

    sync_library(op.get_bind())


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
