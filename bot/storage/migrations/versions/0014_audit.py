"""rescoring: audit trail, retired questions, private notes; round base points and voids,
answer streaks and the round of each daily point event (backfilled)"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op


revision = "0014_audit"
down_revision = "0013_race_index"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BASE = {"easy": 10, "medium": 20, "hard": 30}


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace", sa.String(length=200), nullable=False),
        sa.Column("actor_ref", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=500), server_default="", nullable=False),
        sa.Column("users", sa.Integer(), server_default="0", nullable=False),
        sa.Column("points_before", sa.Integer(), server_default="0", nullable=False),
        sa.Column("points_after", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_workspace_id", "audit_log", ["workspace", "id"], unique=False)
    op.create_table(
        "retired_questions",
        sa.Column("workspace", sa.String(length=200), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("retired_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("workspace", "question_id", name=op.f("pk_retired_questions")),
    )
    op.create_table(
        "private_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_private_notes_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_private_notes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_private_notes")),
    )
    op.create_index("ix_private_notes_sent_at", "private_notes", ["sent_at"], unique=False)
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_points", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("voided_at", TS, nullable=True))
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("streak", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("point_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_point_events_round_user", ["round_id", "user_id"], unique=False)
    _backfill(op.get_bind())


def _backfill(bind: sa.Connection) -> None:
    """Closed rounds: their base points (from the snapshot's difficulty, medium without one),
    each correct answer's streak along the workspace's rounds in close order, as the close
    computed it, and the round of each daily point event (same workspace, day, close instant
    and player)."""
    closed = bind.execute(
        sa.text(
            "SELECT id, workspace, local_date, closed_at, question_json FROM rounds"
            " WHERE closed_at IS NOT NULL ORDER BY workspace, closed_at, id"
        )
    ).all()
    last: dict[int, int] = {}
    workspace = None
    for rnd in closed:
        if rnd.workspace != workspace:
            workspace, last = rnd.workspace, {}
        level = "medium"
        if rnd.question_json:
            try:
                level = json.loads(rnd.question_json).get("difficulty", "medium")
            except ValueError:
                pass
        bind.execute(
            sa.text("UPDATE rounds SET base_points = :p WHERE id = :id"),
            {"p": BASE.get(level, 20), "id": rnd.id},
        )
        right = bind.execute(
            sa.text("SELECT id, user_id FROM answers WHERE round_id = :r AND correct"),
            {"r": rnd.id},
        ).all()
        now = {a.user_id: last.get(a.user_id, 0) + 1 for a in right}
        if right:
            bind.execute(
                sa.text("UPDATE answers SET streak = :s WHERE id = :id"),
                [{"s": now[a.user_id], "id": a.id} for a in right],
            )
        last = now
        bind.execute(
            sa.text(
                "UPDATE point_events SET round_id = :r WHERE source = 'daily'"
                " AND round_id IS NULL AND workspace = :w AND day = :d AND occurred_at = :at"
                " AND user_id IN (SELECT user_id FROM answers WHERE round_id = :r)"
            ),
            {"r": rnd.id, "w": rnd.workspace, "d": rnd.local_date, "at": rnd.closed_at},
        )


def downgrade() -> None:
    with op.batch_alter_table("point_events", schema=None) as batch_op:
        batch_op.drop_index("ix_point_events_round_user")
        batch_op.drop_column("round_id")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("streak")
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("voided_at")
        batch_op.drop_column("base_points")
    op.drop_index("ix_private_notes_sent_at", table_name="private_notes")
    op.drop_table("private_notes")
    op.drop_table("retired_questions")
    op.drop_index("ix_audit_log_workspace_id", table_name="audit_log")
    op.drop_table("audit_log")
