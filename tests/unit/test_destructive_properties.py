"""Property tests of every destructive operation on the local folder store (issue 22).

Random trees (keys full of ``[``, ``]``, ``?``, ``*``, ``-``, ``1``, ``.``; nested and
overlapping prefixes; two tenants sharing a bucket; damaged and symlinked object files for
``sync``) go through the ``bucket`` command (in-process, or in a child process with a hard
timeout and a thread watchdog for ``cp -r``/``mv -r``, which could recurse forever) and
through the library (``sync.sync``, a scoped store's ``delete_bucket``, ``delete_object``);
the whole world (both buckets, every tenant) is snapshotted before and after, and the
invariants of tests/destructive_invariants.py are checked on the difference.

These tests state what the fixed code does: they failed on the code issue 22 was found on,
and pass once it is fixed (never mark them skip/xfail). Each ``@example`` is one of the
issue's reproductions, run before the random trees. Budgets: the whole file runs in about
a minute on two cores (``--hypothesis-show-statistics`` prints each test's examples and
time).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.destructive_invariants import (
    FILTER_SETS,
    ISSUE_CP_REPORT,
    ISSUE_CP_WHAT,
    ISSUE_DOWNLOAD_DOT,
    ISSUE_MV_INSIDE,
    ISSUE_MV_ONTO_SOURCE,
    ISSUE_RM_FOLDER,
    ISSUE_RM_REPORT,
    ISSUE_RM_WHAT,
    ISSUE_RM_WILDCARD_FOLDER,
    ISSUE_SYNC_LINK,
    ISSUE_SYNC_TRAILER,
    SCOPES,
    SEGMENTS,
    TREES,
    DownloadCase,
    Filters,
    Outcome,
    RmCase,
    RmRecursiveCase,
    SyncCase,
    SyncSides,
    TransferCase,
    Trees,
    delete_bucket_case,
    download_case,
    download_cases,
    folders_of,
    has_wildcard,
    local_world,
    prepare,
    rm_case,
    rm_cases,
    rm_recursive_case,
    rm_recursive_cases,
    rm_targets,
    run_cp,
    run_mv,
    run_rm,
    run_rm_recursive,
    run_sync,
    sync_cases,
    tenant_states,
    transfer_case,
    transfer_cases,
    tree_view,
)

SLOW = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
"""Every phase but ``explain`` (it reruns a failing example hundreds of times to name the
lines only failures ran: a minute per failing test here, for little)."""


def budget(examples: int) -> settings:
    """``examples`` examples, no deadline (file-system and process timings vary), no
    example database (the tests change the working folder)."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=SLOW,
        phases=PHASES,
    )


# ----------------------------------------------------------------------------- rm
@pytest.mark.timeout(300)
@budget(250)
@given(case=rm_cases())
@example(case=ISSUE_RM_REPORT)
@example(case=ISSUE_RM_WHAT)
def test_rm_deletes_the_exact_key_else_what_its_pattern_names(case: RmCase) -> None:
    """Invariant (rm, no -r): an object named exactly K is the only key deleted, even when
    K holds ``[``, ``]``, ``?``, ``*``; a K with wildcards that names no object deletes
    the keys of K's folder its pattern matches (``*``/``?`` never crossing ``/``) and
    nothing else; a missing key is status 3; no key of another tenant, another folder or
    the other bucket changes."""
    with local_world() as world:
        rm_case(world, case).check()


@pytest.mark.timeout(300)
@budget(100)
@given(case=rm_cases(raw=True))
@example(case=RmCase(ISSUE_RM_WHAT.state, "", "d/what?.txt", raw=True))
@example(case=RmCase(ISSUE_RM_WHAT.state, "", "d/wha?X.txt", raw=True))
def test_rm_raw_never_reads_a_pattern(case: RmCase) -> None:
    """Invariant (rm --raw): K is never a pattern: the object named exactly K is deleted
    (status 0) or, when there is none, nothing is deleted (status 3)."""
    with local_world() as world:
        rm_case(world, case).check()


# ----------------------------------------------------------------------------- rm -r
@pytest.mark.timeout(300)
@budget(200)
@given(case=rm_recursive_cases())
@example(case=ISSUE_RM_FOLDER)
def test_rm_recursive_deletes_exactly_the_folder(case: RmRecursiveCase) -> None:
    """Invariant (rm -r --force P, P without wildcard characters): exactly the keys under
    the folder ``P/`` whose relative path passes ``--exclude``/``--include`` are deleted
    (keys under it full of wildcard characters included) -- never ``P-other/x``, never
    another tenant's key, nothing in the other bucket."""
    with local_world() as world:
        rm_recursive_case(world, case).check()


@pytest.mark.timeout(300)
@budget(50)
@given(case=rm_recursive_cases(wildcard_folders=True))
@example(case=ISSUE_RM_WILDCARD_FOLDER)
def test_rm_recursive_folder_named_with_wildcards_is_that_folder(case: RmRecursiveCase) -> None:
    """Invariant (rm -r --force P, P an existing folder whose name holds ``*``, ``?`` or
    ``[``): P is that folder, taken literally as ``rm`` takes an existing key -- exactly
    the keys under ``P/`` go, never ``ab/y`` for ``a*``. (The safest reading of "rm -r
    --force P deletes exactly the keys under folder P": an existing folder wins over the
    pattern, as an existing key does.)"""
    with local_world() as world:
        rm_recursive_case(world, case).check()


# ----------------------------------------------------------------------------- cp -r / mv -r
@pytest.mark.timeout(600)
@budget(70)
@given(case=transfer_cases(allow_same=False))
@example(case=ISSUE_CP_WHAT)
@example(case=ISSUE_CP_REPORT)
def test_cp_recursive_copies_each_listed_key_literally_and_ends(case: TransferCase) -> None:
    """Invariant (cp -r s3://b/S s3://b/D/): the command ends (no recursion into its own
    copies), each key k under ``S/`` is copied to ``D/`` + (k relative to ``S/``) with
    k's bytes (never the bytes of a key k's name would match as a pattern), and no key
    outside those destination keys changes, in either bucket or tenant. (A copy one of
    whose destinations is one of its own sources may instead be refused: status 2,
    nothing changed.)"""
    with local_world() as world:
        transfer_case(world, case, verb="cp").check()


@pytest.mark.timeout(600)
@budget(70)
@given(case=transfer_cases(allow_same=True))
@example(case=ISSUE_MV_INSIDE)
@example(case=ISSUE_MV_ONTO_SOURCE)
def test_mv_recursive_refuses_overlap_and_loses_no_byte(case: TransferCase) -> None:
    """Invariant (mv -r s3://b/S s3://b/D/): refused with status 2 and nothing changed when
    folder D lies inside (or is) folder S in one bucket or a destination key is a source
    key; otherwise every source's bytes end up exactly once, at its destination, and the
    source keys are gone; in every case no byte string is lost (each source's bytes are
    at its source key or its destination key) and no key outside sources and destinations
    changes."""
    with local_world() as world:
        transfer_case(world, case, verb="mv").check()


# ----------------------------------------------------------------------------- download
@pytest.mark.timeout(600)
@budget(50)
@given(case=download_cases())
@example(case=ISSUE_DOWNLOAD_DOT)
def test_cp_recursive_download_never_lands_two_keys_on_one_path(case: DownloadCase) -> None:
    """Invariant (cp -r s3://b/P DIR): no two keys land on one local path; a key with a
    ``.``/``..`` segment is refused, not written; every other key (file/folder conflicts
    aside) is written byte for byte at DIR/relative path; nothing lands outside DIR; the
    status is non-zero exactly when a key was refused."""
    with local_world() as world:
        download_case(world, case).check()


# ----------------------------------------------------------------------------- sync --delete
def _sync(case: SyncCase, via: str) -> Outcome:
    with local_world() as world:
        sides = SyncSides(
            src=world, src_bucket=world.bucket, dst=world, dst_bucket=world.other, runner=world
        )
        return run_sync(sides, case, via=via)


@pytest.mark.timeout(300)
@budget(150)
@given(case=sync_cases())
@example(case=ISSUE_SYNC_TRAILER)
@example(case=ISSUE_SYNC_LINK)
def test_sync_delete_library_keeps_the_copy_of_an_unreadable_source(case: SyncCase) -> None:
    """Invariant (sync.sync(delete=True)): only destination keys under the destination
    folder whose source key is absent are deleted; a source object that is there but
    unreadable (trailer's last byte changed, no ETag, object file replaced by a symbolic
    link) counts as present: its destination copy keeps its bytes and the report is not
    ok (failed_count > 0); healthy sources are copied; nothing outside the destination
    folder changes; the source is not written."""
    _sync(case, "library").check()


@pytest.mark.timeout(300)
@budget(80)
@given(case=sync_cases())
@example(case=ISSUE_SYNC_TRAILER)
def test_sync_delete_cli_keeps_the_copy_of_an_unreadable_source(case: SyncCase) -> None:
    """Invariant (bucket sync --delete local://src/P s3://dst/Q): as for the library, and
    the command exits non-zero exactly when a source under P could not be read."""
    _sync(case, "cli").check()


# ----------------------------------------------------------------------------- delete_bucket
@pytest.mark.timeout(300)
@budget(100)
@given(state=tenant_states())
def test_scoped_delete_bucket_deletes_its_own_prefix_only(state: Trees) -> None:
    """Invariant (delete_bucket(b, force=True) on a store scoped by BUCKET_PREFIX=tenant-a):
    every ``tenant-a/`` key is deleted, every other key (``tenant-b/``, ``tenant-a-x/``,
    unprefixed, the other bucket) keeps its bytes, and the bucket still exists."""
    with local_world() as world:
        delete_bucket_case(world, state, via="library").check()


@pytest.mark.timeout(300)
@budget(60)
@given(state=tenant_states())
def test_scoped_rb_force_deletes_its_own_prefix_only(state: Trees) -> None:
    """Invariant (BUCKET_PREFIX=tenant-a bucket rb --force s3://b): as for the library:
    only ``tenant-a/`` keys go, the bucket and every other key stay."""
    with local_world() as world:
        delete_bucket_case(world, state, via="cli").check()


# ----------------------------------------------------------------------------- interleaved
class DestructiveMachine(RuleBasedStateMachine):
    """put / rm / rm -r / cp -r / mv -r / delete_object interleaved on one tree (both
    tenants, the two buckets); each step checks its own invariants against the snapshot
    before it, and between steps the store holds exactly what the last step left."""

    def __init__(self) -> None:
        super().__init__()
        self._world_context = local_world()
        self.world = self._world_context.__enter__()
        self.model = self.world.snapshot()
        self.counter = 0

    def teardown(self) -> None:
        self._world_context.__exit__(None, None, None)

    def _keys(self, scope: str) -> list[str]:
        main = {k: v for (b, k), v in self.model.items() if b == self.world.bucket}
        return sorted(tree_view(main, scope))

    def _done(self, outcome: Outcome) -> None:
        outcome.check()
        self.model = outcome.after

    @initialize(state=TREES)
    def plant_tree(self, state: Trees) -> None:
        prepare(self.world, state)
        self.model = self.world.snapshot()

    @rule(
        key=st.tuples(
            st.sampled_from(["", "", "tenant-a/", "tenant-b/"]),
            st.lists(SEGMENTS, min_size=1, max_size=3).map("/".join),
        ).map("".join)
    )
    def put(self, key: str) -> None:
        self.counter += 1
        data = f"<put{self.counter}:{key}>".encode()
        self.world.store().put_object(self.world.bucket, key, data)
        self.model[(self.world.bucket, key)] = data

    @rule(data=st.data(), scope=SCOPES)
    def rm(self, data: st.DataObject, scope: str) -> None:
        target = data.draw(rm_targets(self._keys(scope)), label="target")
        self._done(run_rm(self.world, scope=scope, target=target))

    @rule(data=st.data(), scope=SCOPES, filters=st.sampled_from(FILTER_SETS))
    def rm_recursive(self, data: st.DataObject, scope: str, filters: Filters) -> None:
        plain = [f for f in folders_of(self._keys(scope)) if not has_wildcard(f)]
        prefix = data.draw(st.sampled_from(["", *plain]), label="prefix")
        self._done(run_rm_recursive(self.world, scope=scope, prefix=prefix, filters=filters))

    def _transfer_arguments(self, data: st.DataObject, scope: str) -> tuple[str, str]:
        keys = self._keys(scope)
        plain = [f for f in folders_of(keys) if not has_wildcard(f)]
        source = data.draw(st.sampled_from(["", *plain]), label="source")
        dest = data.draw(
            st.one_of(
                st.sampled_from(["", *folders_of(keys)]),
                st.builds(lambda s: f"{source}/{s}" if source else s, SEGMENTS),
            ),
            label="dest",
        )
        return source, dest

    @rule(data=st.data(), scope=SCOPES, other_bucket=st.booleans())
    def cp_recursive(self, data: st.DataObject, scope: str, other_bucket: bool) -> None:
        source, dest = self._transfer_arguments(data, scope)
        if dest == source and not other_bucket:
            dest = f"{source}/copy" if source else "copy"
        outcome = run_cp(
            self.world,
            scope=scope,
            source=source,
            dest=dest,
            other_bucket=other_bucket,
            slash=False,
            workers=4,
        )
        self._done(outcome)

    @rule(data=st.data(), scope=SCOPES, other_bucket=st.booleans())
    def mv_recursive(self, data: st.DataObject, scope: str, other_bucket: bool) -> None:
        source, dest = self._transfer_arguments(data, scope)
        outcome = run_mv(
            self.world,
            scope=scope,
            source=source,
            dest=dest,
            other_bucket=other_bucket,
            slash=False,
            workers=4,
        )
        self._done(outcome)

    @rule(data=st.data())
    def delete_object_literally(self, data: st.DataObject) -> None:
        """The library's delete_object never reads a pattern: only that key goes."""
        keys = self._keys("")
        if not keys:
            return
        key = data.draw(st.sampled_from(keys), label="key")
        before = self.world.snapshot()
        self.world.store().delete_object(self.world.bucket, key)
        after = self.world.snapshot()
        expected = {k: v for k, v in before.items() if k != (self.world.bucket, key)}
        assert after == expected, f"delete_object({key!r}) changed {set(before) ^ set(after)}"
        self.model = after

    @invariant()
    def store_holds_what_the_last_step_left(self) -> None:
        """Nothing changes between two steps (no command keeps working after it returned)."""
        assert self.world.snapshot() == self.model


DestructiveMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=10,
    deadline=None,
    database=None,
    suppress_health_check=SLOW,
    phases=PHASES,
)
TestDestructiveMachine = pytest.mark.timeout(600)(DestructiveMachine.TestCase)
