"""Administration tables: users, sessions, calls, applications, materials, audit log (append-only), objections,
payments, clawbacks, 失信 records, invitations.

Revision ID: 0001
Revises: 
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('adm_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('district', sa.String(length=40), nullable=True),
    sa.Column('subject', sa.String(length=16), nullable=True),
    sa.Column('credit_code', sa.String(length=40), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_users')),
    sa.UniqueConstraint('username', name=op.f('uq_adm_users_username'))
    )
    with op.batch_alter_table('adm_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_users_credit_code'), ['credit_code'], unique=False)

    op.create_table('adm_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=24), nullable=False),
    sa.Column('entity', sa.String(length=24), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['adm_users.id'], name=op.f('fk_adm_audit_actor_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_audit'))
    )
    with op.batch_alter_table('adm_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_audit_entity_id'), ['entity_id'], unique=False)

    op.create_table('adm_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.String(length=200), nullable=False),
    sa.Column('extra_measure_ids', sa.JSON(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('target_groups', sa.JSON(), nullable=False),
    sa.Column('ranking_rule', sa.String(length=24), nullable=False),
    sa.Column('publicity_days', sa.Integer(), nullable=False),
    sa.Column('publicity_starts_on', sa.Date(), nullable=True),
    sa.Column('proactive', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['adm_users.id'], name=op.f('fk_adm_calls_created_by')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_calls'))
    )
    with op.batch_alter_table('adm_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_calls_measure_id'), ['measure_id'], unique=False)

    op.create_table('adm_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['adm_users.id'], name=op.f('fk_adm_sessions_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_adm_sessions'))
    )
    with op.batch_alter_table('adm_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('adm_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=40), nullable=True),
    sa.Column('district', sa.String(length=40), nullable=False),
    sa.Column('industry', sa.String(length=40), nullable=True),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('evaluation', sa.JSON(), nullable=False),
    sa.Column('measure_id', sa.String(length=200), nullable=False),
    sa.Column('requested_fen', sa.BigInteger(), nullable=True),
    sa.Column('granted_fen', sa.BigInteger(), nullable=True),
    sa.Column('pool', sa.String(length=16), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('score', sa.Numeric(precision=12, scale=6), nullable=True),
    sa.Column('ranking_note', sa.Text(), nullable=True),
    sa.Column('pledge_text', sa.Text(), nullable=True),
    sa.Column('pledged_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['applicant_id'], ['adm_users.id'], name=op.f('fk_adm_applications_applicant_id')),
    sa.ForeignKeyConstraint(['call_id'], ['adm_calls.id'], name=op.f('fk_adm_applications_call_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_applications')),
    sa.UniqueConstraint('applicant_id', 'idempotency_key', name='uq_adm_applications_idempotency'),
    sa.UniqueConstraint('call_id', 'applicant_id', name='uq_adm_applications_call_applicant')
    )
    with op.batch_alter_table('adm_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_applications_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adm_applications_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adm_applications_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_adm_applications_status'), ['status'], unique=False)

    op.create_table('adm_payment_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['adm_calls.id'], name=op.f('fk_adm_payment_batches_call_id')),
    sa.ForeignKeyConstraint(['created_by'], ['adm_users.id'], name=op.f('fk_adm_payment_batches_created_by')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_payment_batches'))
    )
    with op.batch_alter_table('adm_payment_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_payment_batches_call_id'), ['call_id'], unique=False)

    op.create_table('adm_clawbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['adm_applications.id'], name=op.f('fk_adm_clawbacks_application_id')),
    sa.ForeignKeyConstraint(['recorded_by'], ['adm_users.id'], name=op.f('fk_adm_clawbacks_recorded_by')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_clawbacks'))
    )
    with op.batch_alter_table('adm_clawbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_clawbacks_application_id'), ['application_id'], unique=False)

    op.create_table('adm_dishonesty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=40), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['adm_users.id'], name=op.f('fk_adm_dishonesty_applicant_id')),
    sa.ForeignKeyConstraint(['application_id'], ['adm_applications.id'], name=op.f('fk_adm_dishonesty_application_id')),
    sa.ForeignKeyConstraint(['recorded_by'], ['adm_users.id'], name=op.f('fk_adm_dishonesty_recorded_by')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_dishonesty'))
    )
    with op.batch_alter_table('adm_dishonesty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_dishonesty_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adm_dishonesty_credit_code'), ['credit_code'], unique=False)

    op.create_table('adm_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['adm_applications.id'], name=op.f('fk_adm_invitations_application_id')),
    sa.ForeignKeyConstraint(['call_id'], ['adm_calls.id'], name=op.f('fk_adm_invitations_call_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_invitations')),
    sa.UniqueConstraint('call_id', 'credit_code', name='uq_adm_invitations_call_code')
    )
    with op.batch_alter_table('adm_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_invitations_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adm_invitations_credit_code'), ['credit_code'], unique=False)

    op.create_table('adm_materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=200), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['adm_applications.id'], name=op.f('fk_adm_materials_application_id')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['adm_users.id'], name=op.f('fk_adm_materials_uploaded_by')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_materials')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_adm_materials_stored_name'))
    )
    with op.batch_alter_table('adm_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_materials_application_id'), ['application_id'], unique=False)

    op.create_table('adm_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('objector', sa.String(length=120), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['adm_applications.id'], name=op.f('fk_adm_objections_application_id')),
    sa.ForeignKeyConstraint(['recorded_by'], ['adm_users.id'], name=op.f('fk_adm_objections_recorded_by')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_objections'))
    )
    with op.batch_alter_table('adm_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_objections_application_id'), ['application_id'], unique=False)

    op.create_table('adm_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['adm_applications.id'], name=op.f('fk_adm_payments_application_id')),
    sa.ForeignKeyConstraint(['batch_id'], ['adm_payment_batches.id'], name=op.f('fk_adm_payments_batch_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adm_payments')),
    sa.UniqueConstraint('application_id', name=op.f('uq_adm_payments_application_id'))
    )
    with op.batch_alter_table('adm_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adm_payments_batch_id'), ['batch_id'], unique=False)


    _make_audit_append_only()

def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS adm_audit_append_only ON adm_audit")
        op.execute("DROP FUNCTION IF EXISTS adm_audit_refuse_change()")
    with op.batch_alter_table('adm_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_payments_batch_id'))

    op.drop_table('adm_payments')
    with op.batch_alter_table('adm_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_objections_application_id'))

    op.drop_table('adm_objections')
    with op.batch_alter_table('adm_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_materials_application_id'))

    op.drop_table('adm_materials')
    with op.batch_alter_table('adm_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_invitations_credit_code'))
        batch_op.drop_index(batch_op.f('ix_adm_invitations_call_id'))

    op.drop_table('adm_invitations')
    with op.batch_alter_table('adm_dishonesty', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_dishonesty_credit_code'))
        batch_op.drop_index(batch_op.f('ix_adm_dishonesty_applicant_id'))

    op.drop_table('adm_dishonesty')
    with op.batch_alter_table('adm_clawbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_clawbacks_application_id'))

    op.drop_table('adm_clawbacks')
    with op.batch_alter_table('adm_payment_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_payment_batches_call_id'))

    op.drop_table('adm_payment_batches')
    with op.batch_alter_table('adm_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_applications_status'))
        batch_op.drop_index(batch_op.f('ix_adm_applications_district'))
        batch_op.drop_index(batch_op.f('ix_adm_applications_call_id'))
        batch_op.drop_index(batch_op.f('ix_adm_applications_applicant_id'))

    op.drop_table('adm_applications')
    with op.batch_alter_table('adm_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_sessions_user_id'))

    op.drop_table('adm_sessions')
    with op.batch_alter_table('adm_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_calls_measure_id'))

    op.drop_table('adm_calls')
    with op.batch_alter_table('adm_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_audit_entity_id'))

    op.drop_table('adm_audit')
    with op.batch_alter_table('adm_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adm_users_credit_code'))

    op.drop_table('adm_users')


def _make_audit_append_only() -> None:
    """The audit log can only grow: the database itself refuses UPDATE and DELETE on it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION adm_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'adm_audit is append-only'; END $$"
        )
        op.execute("CREATE TRIGGER adm_audit_append_only BEFORE UPDATE OR DELETE ON adm_audit FOR EACH ROW EXECUTE FUNCTION adm_audit_refuse_change()")
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER adm_audit_no_{verb.lower()} BEFORE {verb} ON adm_audit BEGIN SELECT RAISE(ABORT, 'adm_audit is append-only'); END")
