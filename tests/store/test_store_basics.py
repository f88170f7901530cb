"""Store: migrations, persons and categories, users and tokens, audit masking, atomicity."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from yibao.idcard import make_id
from yibao.store import audit, persons, transaction, users
from yibao.store.audit import Actor
from yibao.store.errors import Conflict
from yibao.store.models import AuditEntry, Base, Person, User

_seq = itertools.count(1)
CLERK = Actor("clerk", "经办")


def new_person_spec(**kw) -> persons.PersonSpec:
    n = next(_seq)
    certno = make_id("422301", dt.date(1960, 1, 1) + dt.timedelta(days=n), n % 1000)
    return persons.PersonSpec(
        certno=certno, psn_name="张三", insuplc_admdvs="421200", psn_no=f"S{n:06d}", **kw
    )


def test_migrations_create_exactly_the_models(engine):
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_person_sex_and_birth_date_come_from_the_id_number(factory):
    spec = new_person_spec()
    with transaction(factory) as s:
        person = persons.create_person(s, spec)
    assert person.brdy.year == 1960
    assert person.gend in ("1", "2")


def test_a_second_person_with_the_same_id_number_is_a_conflict(factory):
    spec = new_person_spec()
    with transaction(factory) as s:
        persons.create_person(s, spec)
    with pytest.raises(Conflict, match="certno"), transaction(factory) as s:
        persons.create_person(s, persons.PersonSpec(**{**spec.__dict__, "psn_no": "other"}))


def test_categories_apply_only_within_their_validity_dates(factory):
    spec = new_person_spec(
        categories=(
            persons.CategorySpan("低保对象", dt.date(2023, 1, 1), dt.date(2023, 6, 30)),
            persons.CategorySpan("特困供养人员", dt.date(2023, 7, 1)),
        )
    )
    with transaction(factory) as s:
        persons.create_person(s, spec)
    with transaction(factory) as s:
        person = persons.get_person(s, spec.psn_no)
        assert persons.categories_on(person, dt.date(2023, 3, 1)) == ["低保对象"]
        assert persons.categories_on(person, dt.date(2023, 8, 1)) == ["特困人员"]
        assert persons.categories_on(person, dt.date(2022, 12, 31)) == []


def test_tokens_are_stored_only_as_their_sha256(factory):
    with transaction(factory) as s:
        user, token = users.add_user(s, f"u{next(_seq)}", "只读")
    with factory() as s:
        stored = s.get(User, user.id)
        assert stored.token_sha256 == users.token_digest(token) != token
        assert users.authenticate(s, token).name == user.name
        assert users.authenticate(s, token + "x") is None


def test_unknown_role_is_refused_naming_the_field(factory):
    with pytest.raises(users.UserError, match="role"), transaction(factory) as s:
        users.add_user(s, f"u{next(_seq)}", "boss")


def test_audit_masks_id_numbers_and_names(factory):
    spec = new_person_spec()
    with transaction(factory) as s:
        person = persons.create_person(s, spec)
        entry = audit.record(
            s, CLERK, "create", "person", person.psn_no, after=persons.person_document(person)
        )
    with factory() as s:
        stored = s.get(AuditEntry, entry.id)
        assert stored.after["certno"] == spec.certno[:6] + "********" + spec.certno[-4:]
        assert stored.after["psn_name"] == "张*"
        assert stored.actor == "clerk" and stored.role == "经办"


def test_a_failed_transaction_leaves_no_rows(factory):
    spec = new_person_spec()
    with pytest.raises(RuntimeError), transaction(factory) as s:
        persons.create_person(s, spec)
        audit.record(s, CLERK, "create", "person", spec.psn_no)
        raise RuntimeError("crash in the middle")
    with factory() as s:
        assert s.get(Person, spec.psn_no) is None
        n = s.scalar(select(func.count()).where(AuditEntry.entity_id == spec.psn_no))
        assert n == 0
