"""prompts rounds gratitude

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 02:09:34.157841

"""
import uuid
from datetime import UTC, datetime
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import api.db

# The library as this revision shipped it, kept here so the revision never changes with the
# library's data files: (key, kind, text). Revision 0015 loads the library as it grew.
LIBRARY = (
    ('gratitude-001', 'gratitude', 'What is one small thing your partner did this week that made your day easier?'),
    ('gratitude-002', 'gratitude', 'What is something your partner said lately that has stayed with you?'),
    ('gratitude-003', 'gratitude', 'Think of a hard moment from this week. What did your partner do that helped, even a little?'),
    ('gratitude-004', 'gratitude', "Which of your partner's everyday habits did you rely on this week?"),
    ('gratitude-005', 'gratitude', 'What is one quality you saw in your partner this week that you admire?'),
    ('gratitude-006', 'gratitude', 'When did your partner keep their word to you recently, even in a small way?'),
    ('gratitude-007', 'gratitude', 'When did your partner reassure you lately? What did they say or do?'),
    ('gratitude-008', 'gratitude', 'What did you see your partner do for someone else this week that you appreciated?'),
    ('gratitude-009', 'gratitude', 'When did your partner make you laugh recently? What was it?'),
    ('gratitude-010', 'gratitude', 'What is something your partner remembered about you lately that meant something to you?'),
    ('gratitude-011', 'gratitude', 'What is an effort your partner made this week that might have gone unnoticed?'),
    ('gratitude-012', 'gratitude', 'What is one message from your partner this week that you were glad to get?'),
    ('gratitude-013', 'gratitude', 'When did your partner check in with you recently, and how did that feel?'),
    ('gratitude-014', 'gratitude', 'What did your partner do today that you would like to thank them for?'),
    ('gratitude-015', 'gratitude', 'What is a small kindness from your partner this week that you almost missed?'),
    ('gratitude-016', 'gratitude', 'When did your partner really listen to you lately? What did they do that helped?'),
    ('gratitude-017', 'gratitude', 'What is one way your partner showed patience this week?'),
    ('gratitude-018', 'gratitude', 'What did your partner do recently that made you feel like a team?'),
    ('gratitude-019', 'gratitude', 'What is something your partner did this week that showed they were thinking of you?'),
    ('gratitude-020', 'gratitude', 'When did your partner follow through on a plan this week? What did that mean to you?'),
    ('gratitude-021', 'gratitude', 'What is one thing your partner did lately that helped you relax?'),
    ('gratitude-022', 'gratitude', 'What is a question your partner asked you recently that showed they care?'),
    ('gratitude-023', 'gratitude', 'What is something your partner took care of this week so you did not have to?'),
    ('gratitude-024', 'gratitude', 'When did your partner show up for you this week, in person or from afar?'),
    ('gratitude-025', 'gratitude', 'What is something your partner shared with you lately that you were glad to hear?'),
    ('gratitude-026', 'gratitude', 'When was your partner honest with you recently in a way you appreciated?'),
    ('gratitude-027', 'gratitude', 'When did your partner encourage you lately? What did they say?'),
    ('gratitude-028', 'gratitude', 'What is a moment with your partner from today that you would like to remember?'),
    ('gratitude-029', 'gratitude', 'What is something your partner is working on lately that you respect?'),
    ('gratitude-030', 'gratitude', 'When did your partner make room for what you needed this week?'),
    ('gratitude-031', 'gratitude', 'What is one small routine you share with your partner that you were grateful for lately?'),
    ('gratitude-032', 'gratitude', 'What is something your partner did recently that helped you feel safe with them?'),
    ('gratitude-033', 'gratitude', 'What did you notice this week about the way your partner treats people?'),
    ('gratitude-034', 'gratitude', 'When did your partner notice how you were feeling lately, maybe before you said anything?'),
    ('gratitude-035', 'gratitude', 'What is one thing your partner said this week that made you feel appreciated?'),
    ('gratitude-036', 'gratitude', 'What is a choice your partner made recently that you admire?'),
    ('gratitude-037', 'gratitude', 'When did your partner go a little out of their way for you this week?'),
    ('gratitude-038', 'gratitude', 'What is one thing your partner did today, however small, that you are glad about?'),
    ('gratitude-039', 'gratitude', 'What is something your partner showed you or taught you lately that you enjoyed?'),
    ('gratitude-040', 'gratitude', 'When did your partner stay steady in a tense moment recently? What did you notice?'),
    ('gratitude-041', 'gratitude', 'When did your partner do exactly what they said they would this week? How did that feel?'),
    ('check-in-001', 'check_in', "How connected did you feel to your partner today? What's one thing that would help you feel supported this week?"),
    ('check-in-002', 'check_in', "How connected do you feel to your partner right now? If you'd like, share one moment today that helped you feel close."),
    ('check-in-003', 'check_in', "How connected did you feel to your partner this week? If you want, name one thing you'd like a bit more of."),
    ('check-in-004', 'check_in', "How connected do you feel to your partner today? If you'd like, share a recent moment when you felt really heard."),
    ('check-in-005', 'check_in', 'How connected did you feel to your partner this week? If you made plans together, you can say how steady they felt to you.'),
    ('check-in-006', 'check_in', "How connected do you feel to your partner today? If you like, share how you'd enjoy reconnecting after a busy day."),
    ('check-in-007', 'check_in', "How connected do you feel to your partner right now? If you want, say whether you'd like a bit more closeness or a bit more space. Both are okay."),
    ('check-in-008', 'check_in', 'How connected did you feel to your partner today? If it felt a little distant, you can share what was going on for you. No need to explain.'),
    ('check-in-009', 'check_in', "How connected do you feel to your partner this week? If you'd like, share one small thing that might help you both feel closer."),
    ('check-in-010', 'check_in', "How connected do you feel to your partner today? If you'd like, share one thing on your mind that they might want to know."),
    ('check-in-011', 'check_in', 'How connected did you feel to your partner this week? If you want, describe the kind of message or check-in that helps you feel close.'),
    ('check-in-012', 'check_in', 'How connected do you feel to your partner today? Any number is okay. If you like, share what would feel good tomorrow.'),
    ('check-in-013', 'check_in', "How connected do you feel to your partner right now? If you'd like, share one thing you're looking forward to doing together."),
    ('check-in-014', 'check_in', 'How connected did you feel to your partner today? If something they did helped, you can name it here.'),
    ('check-in-015', 'check_in', 'How connected do you feel to your partner this week? If you want, share one thing that would make the next few days feel steadier.'),
    ('check-in-016', 'check_in', "How connected did you feel to your partner today? If you'd like, share a few words about how your day went."),
    ('check-in-017', 'check_in', 'How connected do you feel to your partner at the moment? If you like, share a way they could support you that would suit you right now.'),
    ('check-in-018', 'check_in', "How connected did you feel to your partner this week? If you'd like, say when you felt most at ease with them."),
    ('check-in-019', 'check_in', "How connected do you feel to your partner today? If you want, share one thing you'd like to talk about soon, big or small."),
    ('check-in-020', 'check_in', 'How connected did you feel to your partner this week? If you like, share something you enjoyed about the time you spent together.'),
    ('check-in-021', 'check_in', "How connected do you feel to your partner right now? If you'd like, say what kind of reassurance helps you most when life is busy."),
    ('check-in-022', 'check_in', 'How connected did you feel to your partner today? If you like, share one moment when you felt understood.'),
    ('check-in-023', 'check_in', "How connected do you feel to your partner this week? If you'd like, name one thing you could do that might help them feel close too."),
    ('check-in-024', 'check_in', 'How connected do you feel to your partner today? If you want, share how much time together would feel right this week.'),
    ('check-in-025', 'check_in', "How connected did you feel to your partner today? Any number is fine. If you'd like, add one word for how you're feeling."),
    ('check-in-026', 'check_in', 'How connected do you feel to your partner this week? If you like, share something that has been stressful lately so they know where you are.'),
    ('check-in-027', 'check_in', "How connected did you feel to your partner today? If you'd like, say whether a quick check-in tomorrow would help, and when suits you."),
    ('check-in-028', 'check_in', 'How connected do you feel to your partner right now? If you want, name one thing that reliably helps you feel close to them.'),
    ('check-in-029', 'check_in', "How connected did you feel to your partner this week? If you'd like, share a moment when you felt like a team."),
    ('check-in-030', 'check_in', 'How connected do you feel to your partner today? If you like, share one thing that would make this week feel a little lighter for you.'),
    ('check-in-031', 'check_in', "How connected did you feel to your partner this week? If you want, share a conversation you'd like to pick back up."),
    ('check-in-032', 'check_in', "How connected do you feel to your partner today? If you'd like, say how you most like to hear from them when you're apart."),
    ('check-in-033', 'check_in', 'How connected did you feel to your partner this week? If you like, share something that surprised you in a good way.'),
    ('check-in-034', 'check_in', "How connected do you feel to your partner right now? If you'd like, describe a small ritual you'd enjoy starting together."),
    ('check-in-035', 'check_in', "How connected did you feel to your partner today? If you'd like, share one thing you'd want them to know about your week."),
    ('check-in-036', 'check_in', "How connected do you feel to your partner this week? It's okay if the number is low. If you'd like, share one gentle step that might help."),
    ('check-in-037', 'check_in', "How connected did you feel to your partner today? If you'd like, share a moment when you felt cared for."),
    ('check-in-038', 'check_in', "How connected do you feel to your partner this week? If you like, name a plan coming up that you're looking forward to."),
    ('check-in-039', 'check_in', "How connected did you feel to your partner today? If you want, say whether you'd like more talking, more time, or more quiet together this week."),
    ('check-in-040', 'check_in', "How connected do you feel to your partner right now? If you'd like, share what helps you settle when you feel unsure."),
)

# The library's ids derive from its keys, so every database agrees on them.
LIBRARY_NAMESPACE = uuid.UUID("0b6f1c1e-5d0b-4c8e-9a55-7f6c2b1d9e10")


def load_library() -> None:
    """Inserts library prompts missing by key and refreshes the text and order of the others;
    safe to run again from a later revision when the library grows."""
    prompts = sa.table(
        "prompts",
        sa.column("id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("text", sa.String()),
        sa.column("source", sa.String()),
        sa.column("library_key", sa.String()),
        sa.column("position", sa.Integer()),
        sa.column("created_at", api.db.UTCDateTime()),
    )
    conn = op.get_bind()
    existing = set(conn.scalars(sa.select(prompts.c.library_key).where(prompts.c.library_key.is_not(None))))
    now = datetime.now(UTC)
    for position, (key, kind, text) in enumerate(LIBRARY, start=1):
        if key in existing:
            conn.execute(
                prompts.update()
                .where(prompts.c.library_key == key)
                .values(text=text, position=position, kind=kind)
            )
        else:
            conn.execute(prompts.insert().values(
                id=uuid.uuid5(LIBRARY_NAMESPACE, key), kind=kind, text=text,
                source="library", library_key=key, position=position, created_at=now,
            ))


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('gratitude_notes',
    sa.Column('couple_id', sa.Uuid(), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=False),
    sa.Column('recipient_id', sa.Uuid(), nullable=True),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('reaction', sa.String(length=32), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_gratitude_notes_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['couple_id'], ['couples.id'], name=op.f('fk_gratitude_notes_couple_id_couples'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_gratitude_notes_recipient_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gratitude_notes'))
    )
    with op.batch_alter_table('gratitude_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gratitude_notes_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_gratitude_notes_couple_id_created_at', ['couple_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_gratitude_notes_recipient_id'), ['recipient_id'], unique=False)

    op.create_table('prompts',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('library_key', sa.String(length=40), nullable=True),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('couple_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('gratitude', 'check_in')", name=op.f('ck_prompts_kind')),
    sa.CheckConstraint("source IN ('library', 'couple', 'therapist')", name=op.f('ck_prompts_source')),
    sa.ForeignKeyConstraint(['couple_id'], ['couples.id'], name=op.f('fk_prompts_couple_id_couples'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_prompts_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prompts')),
    sa.UniqueConstraint('library_key', name=op.f('uq_prompts_library_key'))
    )
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.create_index('ix_prompts_couple_id_kind', ['couple_id', 'kind'], unique=False)

    op.create_table('schedules',
    sa.Column('couple_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('prompt_id', sa.Uuid(), nullable=True),
    sa.Column('days', sa.JSON(), nullable=True),
    sa.Column('time', sa.Time(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('next_fire_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("kind IN ('gratitude', 'check_in')", name=op.f('ck_schedules_kind')),
    sa.ForeignKeyConstraint(['couple_id'], ['couples.id'], name=op.f('fk_schedules_couple_id_couples'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_schedules_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['prompt_id'], ['prompts.id'], name=op.f('fk_schedules_prompt_id_prompts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules'))
    )
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedules_couple_id'), ['couple_id'], unique=False)
        batch_op.create_index('ix_schedules_due', ['next_fire_at'], unique=False, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.create_table('rounds',
    sa.Column('couple_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('prompt_id', sa.Uuid(), nullable=True),
    sa.Column('prompt_text', sa.String(length=500), nullable=False),
    sa.Column('schedule_id', sa.Uuid(), nullable=True),
    sa.Column('fire_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('asked_by', sa.Uuid(), nullable=True),
    sa.Column('asked_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['asked_by'], ['users.id'], name=op.f('fk_rounds_asked_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['couple_id'], ['couples.id'], name=op.f('fk_rounds_couple_id_couples'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['prompt_id'], ['prompts.id'], name=op.f('fk_rounds_prompt_id_prompts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_rounds_schedule_id_schedules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds')),
    sa.UniqueConstraint('schedule_id', 'fire_at', name=op.f('uq_rounds_schedule_id_fire_at'))
    )
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.create_index('ix_rounds_couple_id_asked_at', ['couple_id', 'asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rounds_prompt_id'), ['prompt_id'], unique=False)

    op.create_table('answers',
    sa.Column('round_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_answers_rating')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_answers_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_answers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answers')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_answers_round_id_user_id'))
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_user_id'), ['user_id'], unique=False)

    # ### end Alembic commands ###

    load_library()


def downgrade() -> None:
    """Downgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answers_user_id'))

    op.drop_table('answers')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rounds_prompt_id'))
        batch_op.drop_index('ix_rounds_couple_id_asked_at')

    op.drop_table('rounds')
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_index('ix_schedules_due', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
        batch_op.drop_index(batch_op.f('ix_schedules_couple_id'))

    op.drop_table('schedules')
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_prompts_couple_id_kind')

    op.drop_table('prompts')
    with op.batch_alter_table('gratitude_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gratitude_notes_recipient_id'))
        batch_op.drop_index('ix_gratitude_notes_couple_id_created_at')
        batch_op.drop_index(batch_op.f('ix_gratitude_notes_author_id'))

    op.drop_table('gratitude_notes')
    # ### end Alembic commands ###
