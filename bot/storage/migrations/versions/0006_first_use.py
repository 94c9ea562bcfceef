"""first use: forgotten answers lock open rounds; names compared after NFKC and casefold"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _key(name: str) -> str:
    # As bot.identity.name_key at this revision; copied so the migration never changes.
    folded = unicodedata.normalize("NFKC", " ".join(name.split())).casefold()
    return unicodedata.normalize("NFKC", folded)


def upgrade() -> None:
    op.create_table('forgotten_answers',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_key', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_forgotten_answers_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'user_key', name=op.f('pk_forgotten_answers'))
    )
    # Existing names get the new comparison key. Two live teams that now compare equal (say
    # `ＡＢＣ` and `ABC`) cannot share it: the one holding it keeps it, the other its old key.
    conn = op.get_bind()
    teams = sa.table(
        'teams', sa.column('id'), sa.column('workspace'), sa.column('name'),
        sa.column('name_key'), sa.column('deleted'),
    )
    taken: set[tuple[str, str]] = set()
    rows = conn.execute(
        sa.select(teams.c.id, teams.c.workspace, teams.c.name, teams.c.name_key, teams.c.deleted)
        .order_by(teams.c.id)
    ).all()
    for row in rows:
        if not row.deleted:
            taken.add((row.workspace, row.name_key))
    for row in rows:
        new = _key(row.name) + (f"#{row.id}" if row.deleted else "")
        if new == row.name_key or (not row.deleted and (row.workspace, new) in taken):
            continue
        taken.discard((row.workspace, row.name_key))
        taken.add((row.workspace, new))
        conn.execute(teams.update().where(teams.c.id == row.id).values(name_key=new))
    users = sa.table('users', sa.column('id'), sa.column('display_name'), sa.column('name_key'))
    for row in conn.execute(sa.select(users.c.id, users.c.display_name, users.c.name_key)).all():
        new = _key(row.display_name)
        if new != row.name_key:
            conn.execute(users.update().where(users.c.id == row.id).values(name_key=new))


def downgrade() -> None:
    op.drop_table('forgotten_answers')
