"""idempotency records are stored with their answer

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 04:00:00.000000

A key is now held by its request's own transaction and stored with the answer, so a record
always has one: rows left without an answer (requests that were still being served) go, and
so does the lock that marked them.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import api.db


# revision identifiers, used by Alembic.
revision: str = '0022'
down_revision: Union[str, Sequence[str], None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(sa.text("DELETE FROM idempotency_records WHERE response_status IS NULL"))
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.alter_column('response_status', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('locked_until')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', api.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('response_status', existing_type=sa.Integer(), nullable=True)
