"""--scheduler: a sweep's chunks and a batch's lines computed on a Dask cluster (a LocalCluster of
two worker processes here), written as the same bytes as a local run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

distributed = pytest.importorskip("distributed")

SCRIPT = Path(sys.executable).parent / "gradcli"
SWEEP = ["y = log(x) * w + sqrt(w - x)", "--sweep", "x=-1:2:301", "--sweep", "w=0:1:97", "--limit", "memory=1MB"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


def gradcli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(SCRIPT), *args], input=stdin.encode() if stdin is not None else None,
                          capture_output=True, timeout=300, env={**os.environ, "COLUMNS": "100"})


def ran_on_the_cluster(cluster: object) -> int:
    """Tasks of gradcli's that finished on the cluster so far (Dask names them after the function)."""
    prefix = cluster.scheduler.task_prefixes.get("remote")  # type: ignore[attr-defined]
    return 0 if prefix is None else prefix.state_counts["memory"]


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_a_sweep_on_a_cluster_writes_what_a_local_run_writes(cluster: object, fmt: str) -> None:
    before = ran_on_the_cluster(cluster)
    there = gradcli(*SWEEP, "--format", fmt, "--scheduler", cluster.scheduler_address)  # type: ignore[attr-defined]
    here = gradcli(*SWEEP, "--format", fmt, "--jobs", "1")
    assert here.returncode == 0 and b"undefined" in here.stderr
    assert (there.returncode, there.stdout, there.stderr) == (here.returncode, here.stdout, here.stderr)
    assert ran_on_the_cluster(cluster) - before >= 19  # the chunks went there (1 MB: 19 chunks or more)


def test_a_batch_on_a_cluster_writes_what_a_local_run_writes(cluster: object) -> None:
    text = "".join(f"y = a * {i} + sin(a)\n" if i % 50 else f"y = a * {i} + q\n" for i in range(1, 501))
    args = ["--each-line", "--set", "a=2", "--format", "json"]
    before = ran_on_the_cluster(cluster)
    there = gradcli(*args, "--scheduler", cluster.scheduler_address, stdin=text)  # type: ignore[attr-defined]
    here = gradcli(*args, "--jobs", "1", stdin=text)
    assert ran_on_the_cluster(cluster) - before == 8  # 500 lines, 64 at a time
    assert here.returncode == 1 and here.stdout.count(b"\n") == 500
    assert (there.returncode, there.stdout, there.stderr) == (here.returncode, here.stdout, here.stderr)


def test_a_scheduler_that_cannot_be_reached_is_one_line() -> None:
    done = gradcli(*SWEEP, "--format", "csv", "--scheduler", "tcp://127.0.0.1:9")
    assert done.returncode == 2 and done.stdout == b""
    line = done.stderr.decode()
    assert line.startswith("error: --scheduler tcp://127.0.0.1:9: cannot reach the scheduler") and line.count("\n") == 1
