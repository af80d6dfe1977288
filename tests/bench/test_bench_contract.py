"""``make bench``'s contract with its readers: exit 2 and a clear message without a
server, and one ``figure <name> <value> <unit>`` line per measured figure."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bench.__main__ import GOALS, Run, print_results

FIGURE_LINE = re.compile(r"^figure (\w+) (-?[0-9.e+]+) (\w+)$")


def _bench(env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench"],
        env={"PATH": "/usr/bin:/bin", "SIMPUL_BENCH_LOG_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_a_server_it_says_how_to_point_it_at_one_and_exits_2(tmp_path):
    # Port 9 on loopback: nothing listens there.
    done = _bench(
        {"SIMPUL_BENCH_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/postgres"}, tmp_path
    )
    assert done.returncode == 2
    assert "no PostgreSQL server at" in done.stdout
    assert "SIMPUL_BENCH_DATABASE_URL=" in done.stdout


def test_an_unknown_step_is_refused_with_the_known_ones(tmp_path):
    done = _bench({"SIMPUL_BENCH_ONLY": "intake,warp"}, tmp_path)
    assert done.returncode == 2
    assert "warp" in done.stdout and "sync, inbound, intake, bulk, calendar" in done.stdout


def test_every_measured_figure_gets_one_machine_readable_line(capsys):
    run = Run()
    run.figures = {"echo_rps": 4565.3, "intake_vs_echo": 0.19651, "intake_p99_ms": 169.8}
    print_results(run)
    out = capsys.readouterr().out.splitlines()
    # after the table (whose header also starts with "figure") and the total time
    tail = out[next(i for i, line in enumerate(out) if line.startswith("total ")) + 1 :]
    lines = [FIGURE_LINE.match(line) for line in tail]
    assert all(lines), out
    parsed = {m[1]: (float(m[2]), m[3]) for m in lines}
    assert parsed == {
        "echo_rps": (pytest.approx(4565.3), "req_per_s"),
        "intake_vs_echo": (pytest.approx(0.1965), "ratio"),
        "intake_p99_ms": (pytest.approx(169.8), "ms"),
    }
    # the readable table names every figure, measured or not, with its goal
    table = "\n".join(out)
    assert all(name in table for name in GOALS)
    assert "not measured" in table and ">= 0.25" in table
