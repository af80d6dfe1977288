"""The PostgreSQL fast write of grouped intake — every line of its SQL lives in this folder.

A group of pushed complaints costs two statements on the pooled connection's asyncpg
driver (docs/performance.md, "intake"): :func:`lookup.look_up_group` reads everything the
group needs in one round trip (the apps' keys, stored idempotency keys, the named
categories and kecamatan, ids for the new cases and events), and :func:`bulk.insert_all`
writes every row of every table in one more (a data-modifying ``WITH``), outside a
transaction, so it is its own atomic, durable commit. Between the two, only Python:
``shared.cases.service.open_cases_with_ids`` decides each case from the facts read.

Parameters are named in the SQL (``{codes}``) and numbered by :func:`lookup.compose`, so no
caller has to line up ``$n`` positions with another module's fragment. On SQLite the same
group goes through the ORM session instead (``services.intake.complaints.group_commit``);
``tests/foundation/test_pgbulk.py`` proves both paths write the same rows.
"""

from shared.pgwrite.bulk import insert_all
from shared.pgwrite.lookup import GroupFacts, case_facts, delete_idempotency_keys, look_up_group

__all__ = ["GroupFacts", "case_facts", "delete_idempotency_keys", "insert_all", "look_up_group"]
