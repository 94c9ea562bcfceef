"""notes unchecked: private_notes without foreign keys (one trigger per key per note)"""

from __future__ import annotations

from alembic import op


revision = '0020_notes_unchecked'
down_revision = '0019_tie_blocks'
branch_labels = None
depends_on = None

# A rescore writes one note per player whose points moved, up to a whole round's players in
# one INSERT ... SELECT; PostgreSQL checked each note's two foreign keys by a trigger per row,
# about three quarters of that statement. The writers take both ids from rows that hold them,
# and `forgetme` deletes a person's notes itself (bot/storage/audit_tables.py).


def upgrade() -> None:
    with op.batch_alter_table('private_notes', schema=None) as batch_op:
        batch_op.drop_constraint('fk_private_notes_channel_id_channels', type_='foreignkey')
        batch_op.drop_constraint('fk_private_notes_user_id_users', type_='foreignkey')


def downgrade() -> None:
    # Notes of people or channels that no longer exist could not be sent anyway.
    op.execute(
        "DELETE FROM private_notes WHERE user_id NOT IN (SELECT id FROM users)"
        " OR channel_id NOT IN (SELECT id FROM channels)"
    )
    with op.batch_alter_table('private_notes', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_private_notes_user_id_users', 'users', ['user_id'], ['id'], ondelete='CASCADE'
        )
        batch_op.create_foreign_key(
            'fk_private_notes_channel_id_channels',
            'channels',
            ['channel_id'],
            ['id'],
            ondelete='CASCADE',
        )
