"""Soak measurements: slope test, RSS of a process tree, pid discovery from the state dir."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadtest.sampling import least_squares_slope, memory_detail, memory_sample, stack_processes, start_token, trend
from loadtest.soak import evaluate, vehicles_for_rate
from loadtest.soak_memory import (
    ENVIRONMENTS_VARIABLE,
    RUNTIME_DEFAULT_MAX_ENVIRONMENTS,
    environment_limit,
    parse_pg_size_mib,
    postgres_shared_buffers_mib,
    render_memory,
    shm_bounds,
    working_set_bounds,
)


def test_slope_of_a_line_and_of_noise():
    assert least_squares_slope([(0, 1.0), (1, 3.0), (2, 5.0)]) == pytest.approx(2.0)
    assert least_squares_slope([(0, 5.0), (1, 4.0), (2, 5.0), (3, 4.0)]) == pytest.approx(-0.2)
    assert least_squares_slope([(0, 1.0)]) == 0.0


def test_trend_flat_within_tolerance_and_growing_beyond():
    steady = [(t, 200 + (t % 3)) for t in range(0, 600, 10)]  # MiB with sawtooth noise
    assert trend("rss", steady, absolute=16, relative=0.05).flat
    leaking = [(t, 200 + t * 0.1) for t in range(0, 600, 10)]  # +0.1 MiB/s
    leak = trend("rss", leaking, absolute=16, relative=0.05)
    assert not leak.flat
    # warm-up (first 20 % of the window) is left out of the fit
    assert leak.growth == pytest.approx(0.1 * (590 - 118), rel=0.05)


def test_trend_ignores_warmup_ramp():
    ramp_then_flat = [(t, min(t, 100) * 1.0) for t in range(0, 1000, 10)]
    assert trend("rss", ramp_then_flat, absolute=1.0, warmup_fraction=0.2).flat


def test_memory_sample_counts_children(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(60 * 2**20); time.sleep(30)"])
    try:
        for _ in range(50):  # wait until the child has allocated
            alone = memory_sample({"me": child.pid}).get("me", 0)
            if alone > 60:
                break
            time.sleep(0.1)
        tree = memory_sample({"test": os.getpid()})["test"]
        assert alone > 60
        assert tree > alone  # this process plus its 60 MiB child
    finally:
        child.kill()
        child.wait()


def test_stack_processes_skip_reused_pids(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    me = os.getpid()
    (pids / "emulator.pid").write_text(json.dumps({"service": "emulator", "pid": me, "start_token": start_token(me)}))
    (pids / "redis.pid").write_text(json.dumps({"service": "redis", "pid": me, "start_token": "1"}))
    (tmp_path / "stack.json").write_text(json.dumps({"pids": {"postgres": me, "gone": 0}}))
    assert stack_processes(tmp_path) == {"emulator": me, "postgres": me}


def test_evaluate_flags_growth_and_dlqs():
    samples = [
        {"t": t, "rss_mib": {"emulator": 300 + t}, "dlqs": {"a-dlq": t // 100}, "lag_s": {"s": 0.5}}
        for t in range(0, 600, 10)
    ]
    verdict = evaluate(samples, {"passed": True, "e2e_timeline": [[t, 0.3] for t in range(60)]})
    assert verdict["checks"] == {
        "memory flat": False,
        "environments bounded": None,
        "lag flat": True,
        "e2e latency flat": True,
        "DLQs do not grow": False,
        "load service levels": True,
        "records accounted for": None,  # no accounting given: not judged
    }
    assert not verdict["passed"]
    steady = [dict(s, rss_mib={"emulator": 300}, dlqs={"a-dlq": 0}) for s in samples]
    load = {"passed": True, "e2e_timeline": [[t, 0.3] for t in range(60)]}
    assert evaluate(steady, load, records={"passed": True, "rows": []})["passed"]
    failed = evaluate(steady, load, records={"passed": False, "rows": []})
    assert failed["checks"]["records accounted for"] is False and not failed["passed"]


def test_explicit_warmup_covers_a_cold_start_burst_but_not_a_later_one():
    # A fleet that starts together: every vehicle's first predictive scoring at minute 20 builds
    # a backlog that clears by minute 26; --warmup 1500 judges the last 30 minutes only.
    def samples(burst_at: float, burst_s: float = 360):
        return [
            {
                "t": t,
                "rss_mib": {"redis": 50.0},
                "lag_s": {"diagnostics -> predictive": 250.0 if burst_at <= t < burst_at + burst_s else 0.1},
            }
            for t in range(0, 3300, 15)
        ]

    verdict = evaluate(samples(1200), None, warmup_s=1500)
    assert verdict["checks"]["lag flat"]
    assert verdict["flow_warmup_fraction"] == pytest.approx(1500 / 3285, abs=0.01)
    assert verdict["lag"]["warmup_max"] == 250.0 and verdict["lag"]["max"] == 250.0
    # A backlog after the warm-up is judged, and one that starts in it and never clears too.
    assert not evaluate(samples(2700), None, warmup_s=1500)["checks"]["lag flat"]
    assert not evaluate(samples(2400, burst_s=10_000), None, warmup_s=1500)["checks"]["lag flat"]
    # At most 90 % of the run is warm-up.
    assert evaluate(samples(1200), None, warmup_s=10_000)["flow_warmup_fraction"] == 0.9


def test_vehicles_for_rate_uses_contract_rates():
    # 234,000 vehicles send 7,800 + 3,900 + 32.5 records/s
    assert vehicles_for_rate(11_732.5) == 234_000


def test_memory_judged_after_the_emulator_retention(tmp_path):
    from loadtest.soak import emulator_retention_s

    # The emulator fills up for one retention period (600 s), then holds: data, not a leak.
    samples = [{"t": t, "rss_mib": {"aws": 400 + min(t, 600) * 0.5}} for t in range(0, 1800, 15)]
    assert not evaluate(samples, None)["checks"]["memory flat"]  # the first 20 % (357 s) is too short here
    verdict = evaluate(samples, None, retention_s=600)
    assert verdict["checks"]["memory flat"]
    assert verdict["memory_warmup_fraction"] == pytest.approx(660 / 1785, abs=0.01)
    # Still growing after the retention: a leak.
    leaking = [{"t": t, "rss_mib": {"aws": 400 + t * 0.1}} for t in range(0, 1800, 15)]
    assert not evaluate(leaking, None, retention_s=300)["checks"]["memory flat"]

    assert emulator_retention_s(tmp_path) is None
    (tmp_path / "emulator.json").write_text(json.dumps({"local_retention_s": 300.0}))
    assert emulator_retention_s(tmp_path) == 300.0
    (tmp_path / "emulator.json").write_text(json.dumps({"local_retention_s": None}))
    assert emulator_retention_s(tmp_path) is None


# -- the split verdict: emulator process, Lambda environments, shared memory ---------------------


def _env(function, mib, started_t):
    return {"function": function, "mib": mib, "started_t": started_t}


def _stack_samples(
    *, emulator=lambda t: 1300.0, environments=None, pg_main=lambda t: 60.0, pg_shm=lambda t: 0.0, span=1800, every=15
):
    """Synthetic soak samples: `environments(t)` -> {key: env} for the aws tree."""
    samples = []
    for t in range(0, span + 1, every):
        envs = (environments or (lambda t: {}))(t)
        aws = {"main_mib": emulator(t), "shm_mib": 0.0, "environments": envs}
        pg = {"main_mib": pg_main(t), "shm_mib": pg_shm(t), "environments": {}}
        samples.append(
            {
                "t": t,
                "memory": {"aws": aws, "postgres": pg},
                "rss_mib": {
                    "aws": aws["main_mib"] + sum(e["mib"] for e in envs.values()),
                    "postgres": pg["main_mib"] + pg["shm_mib"],
                },
            }
        )
    return samples


def _steady_environments(t):
    return {f"{100 + i}-1": _env(f"fn{i}", 60.0 + (t % 2), -5.0) for i in range(9)}


PG_BOUND = {
    "postgres": {
        "shared_buffers_mib": 128.0,
        "bound_mib": 160.0,
        "basis": "shared_buffers 128 MiB + 25%",
        "source": "test",
    }
}


def test_late_cold_starts_of_environments_pass():
    # The soak of 2026-11-25: coaching cold-starts twice in the last minutes (+62 MiB each): the
    # tree grows by ~120 MiB, but no process does.
    def environments(t):
        envs = _steady_environments(t)
        if t >= 1440:
            envs["900-1"] = _env("coaching", 62.0, 1440.0)
        if t >= 1620:
            envs["901-1"] = _env("coaching", 62.0 + (t - 1620) * 0.01, 1620.0)
        return envs

    samples = _stack_samples(environments=environments)
    verdict = evaluate(samples, None, retention_s=600, shm_bounds=PG_BOUND, environment_limit=4)
    aws = verdict["memory"]["aws"]
    assert not aws["tree"]["flat"]  # the old rule (one line through the tree) failed this run
    assert aws["flat"] and verdict["checks"]["memory flat"] and verdict["checks"]["environments bounded"]
    env = aws["environments"]
    assert env["at_start"] == 9 and env["at_end"] == 11
    assert [(c["function"], c["t"]) for c in env["cold_starts"]] == [("coaching", 1440.0), ("coaching", 1620.0)]
    assert env["ended"] == []
    assert env["processes"]["901-1"]["judged"]  # 1680..1800 s: 9 samples after its first minute
    assert "coaching at 1620 s" in "\n".join(render_memory(verdict["memory"]))


def test_one_environment_leaking_fails():
    def environments(t):
        envs = _steady_environments(t)
        envs["105-1"] = _env("fn5", 60.0 + 40.0 * t / 1800, -5.0)  # +40 MiB over the run
        return envs

    verdict = evaluate(_stack_samples(environments=environments), None, environment_limit=4)
    aws = verdict["memory"]["aws"]
    assert aws["process_flat"] and not aws["flat"] and not verdict["checks"]["memory flat"]
    assert aws["environments"]["processes"]["105-1"]["flat"] is False
    assert "GROWING: fn5" in "\n".join(render_memory(verdict["memory"]))


def test_short_lived_environment_is_listed_not_judged():
    def environments(t):  # lives 45 s: never past its first minute
        return {"7-1": _env("alerts", 40.0 + t, 1000.0)} if 1000 <= t < 1045 else {}

    verdict = evaluate(_stack_samples(environments=environments), None, environment_limit=4)
    env = verdict["memory"]["aws"]["environments"]
    assert env["processes"]["7-1"]["judged"] is False and verdict["memory"]["aws"]["flat"]
    assert [e["function"] for e in env["ended"]] == ["alerts"]


def test_emulator_process_growing_fails():
    samples = _stack_samples(emulator=lambda t: 1300 + t * 0.1, environments=_steady_environments)
    aws = evaluate(samples, None, environment_limit=4)["memory"]["aws"]
    assert not aws["process_flat"] and not aws["flat"]


def test_postgres_buffer_pool_filling_to_shared_buffers_passes():
    samples = _stack_samples(pg_shm=lambda t: 20 + min(t, 1800) * 0.07)  # 20 -> 146 MiB of a 128 MiB pool + rest
    verdict = evaluate(samples, None, shm_bounds=PG_BOUND)
    pg = verdict["memory"]["postgres"]
    assert not pg["tree"]["flat"] and pg["flat"] and verdict["checks"]["memory flat"]
    assert pg["shm"]["ok"] and pg["shm"]["max_mib"] == pytest.approx(146)
    assert "bound 160.0" in "\n".join(render_memory(verdict["memory"]))
    # Beyond the bound: fails.
    over = evaluate(_stack_samples(pg_shm=lambda t: 20 + t * 0.1), None, shm_bounds=PG_BOUND)["memory"]["postgres"]
    assert not over["shm"]["ok"] and not over["flat"]
    # No bound known: the segment must be flat like any memory.
    unknown = evaluate(samples, None)["memory"]["postgres"]
    assert unknown["shm"]["bound_mib"] is None and not unknown["flat"]


def test_postgres_private_memory_growing_fails():
    samples = _stack_samples(pg_main=lambda t: 60 + t * 0.05, pg_shm=lambda t: 140.0)
    pg = evaluate(samples, None, shm_bounds=PG_BOUND)["memory"]["postgres"]
    assert pg["shm"]["ok"] and not pg["process_flat"] and not pg["flat"]


def test_environment_count_growing_without_bound_fails():
    def environments(t):  # one more `coaching` environment every 3 minutes, none ever ends
        return {f"{i}-1": _env("coaching", 60.0, i * 180.0) for i in range(t // 180 + 1)}

    verdict = evaluate(_stack_samples(environments=environments), None, environment_limit=4)
    env = verdict["memory"]["aws"]["environments"]
    assert env["over_limit"] == {"coaching": 11} and not env["bounded"]
    assert verdict["checks"]["environments bounded"] is False and not verdict["passed"]
    # Many functions, each within the limit: bounded.
    many = evaluate(
        _stack_samples(environments=lambda t: {f"{i}-1": _env(f"fn{i}", 60.0, i * 100.0) for i in range(t // 100 + 1)}),
        None,
        environment_limit=4,
    )
    assert many["checks"]["environments bounded"]
    # With no known limit, the fallback: the count rises in each third of the judged window.
    unknown = evaluate(_stack_samples(environments=environments), None, environment_limit=None)
    assert unknown["memory"]["aws"]["environments"]["grows_in_each_third"] is True
    assert unknown["checks"]["environments bounded"] is False
    stepped = evaluate(
        _stack_samples(environments=lambda t: {f"{i}-1": _env("fn", 60.0, 0.0) for i in range(2 if t < 1500 else 3)}),
        None,
        environment_limit=None,
    )
    assert stepped["checks"]["environments bounded"]  # one step up, then holds


def test_runtime_environment_limit_default_matches_the_runtime():
    source = (Path(__file__).parents[2] / "harness" / "runtime" / "invoker.py").read_text()
    assert f'os.environ.get("{ENVIRONMENTS_VARIABLE}", "{RUNTIME_DEFAULT_MAX_ENVIRONMENTS}")' in source
    assert environment_limit(None) == RUNTIME_DEFAULT_MAX_ENVIRONMENTS
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; print(1, flush=True); time.sleep(30)"],
        env={**os.environ, ENVIRONMENTS_VARIABLE: "7"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        child.stdout.readline()  # running: /proc/<pid>/environ is empty while exec is still setting it up
        assert environment_limit(child.pid) == 7
    finally:
        child.kill()
        child.wait()


def test_shared_buffers_from_configuration(tmp_path):
    assert parse_pg_size_mib("128MB") == 128 and parse_pg_size_mib("1GB") == 1024
    assert parse_pg_size_mib("16384") == 128  # 8 kB pages
    data = tmp_path / "postgres" / "data"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("16")
    (data / "postgresql.conf").write_text("#shared_buffers = 32MB\nshared_buffers = 256MB  # min 128kB\n")
    assert postgres_shared_buffers_mib(tmp_path) == (256.0, "configuration files")
    assert shm_bounds(tmp_path, {"postgres": 0})["postgres"]["bound_mib"] == 320.0


def test_memory_detail_splits_shared_memory_and_environments(tmp_path):
    # A real process tree of its own (the test process's other children, e.g. a PostgreSQL server
    # of the session fixtures, must not count): a parent with a child holding 32 MiB of touched
    # shared memory (as PostgreSQL's segment, "/dev/zero (deleted)" rw-s) and 20 MiB private, and
    # a child started as a Lambda environment.
    code_dir = tmp_path / "coaching-0123456789abcdef"
    code_dir.mkdir()
    fake_worker = tmp_path / "worker_main.py"
    fake_worker.write_text("import sys, time; print(1, flush=True); time.sleep(30)\n")
    shm_code = (
        "import mmap, time; m = mmap.mmap(-1, 32 * 2**20); m.write(b'x' * 32 * 2**20); "
        "b = bytearray(b'y' * 20 * 2**20); print(1, flush=True); time.sleep(30)"
    )
    parent_code = (
        "import subprocess, sys, time\n"
        f"a = subprocess.Popen([sys.executable, '-c', {shm_code!r}], stdout=subprocess.PIPE, text=True)\n"
        f"b = subprocess.Popen([sys.executable, '-I', {str(fake_worker)!r}, {str(code_dir)!r}, 'coach.handler'],"
        " stdout=subprocess.PIPE, text=True)\n"
        "a.stdout.readline(); b.stdout.readline(); print(1, flush=True); time.sleep(30)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        parent.stdout.readline()
        detail = memory_detail({"tree": parent.pid})["tree"]
        assert 31 <= detail["shm_mib"] <= 34
        assert detail["main_mib"] > 20  # the parent and the child's private memory
        [environment] = detail["environments"].values()
        assert environment["function"] == "coaching" and 1 < environment["mib"] < 200
        assert abs(environment["started"] - time.time()) < 60
        assert detail["total_mib"] == pytest.approx(
            detail["main_mib"] + detail["shm_mib"] + environment["mib"], abs=0.1
        )
    finally:
        os.killpg(parent.pid, 9)
        parent.wait()


def _with_redis(samples, redis_main):
    for sample in samples:
        mib = redis_main(sample["t"])
        sample["memory"]["redis"] = {"main_mib": mib, "shm_mib": 0.0, "environments": {}}
        sample["rss_mib"]["redis"] = mib
    return samples


def test_redis_filling_within_its_planned_working_set_passes_and_beyond_it_fails():
    """Redis keeps windows and 8-day de-duplication marks by design: it fills during a soak, and is
    judged against the capacity planner's working set for the fleet (plus what it started with)."""
    working_sets = working_set_bounds(30_000)
    bound = working_sets["redis"]["bound_mib"]
    assert 500 < bound < 2000  # the planner's estimate for 30,000 vehicles, x fragmentation

    filling = _with_redis(_stack_samples(), lambda t: 10 + t * 0.1)  # +180 MiB over 30 minutes
    verdict = evaluate(filling, None, working_sets=working_sets)
    redis = verdict["memory"]["redis"]
    assert not redis["process_flat"] and redis["flat"] and verdict["checks"]["memory flat"]
    assert redis["working_set"]["ok"] and redis["working_set"]["limit_mib"] == pytest.approx(10 + bound, abs=0.1)
    assert "within its working set" in "\n".join(render_memory(verdict["memory"]))

    leaking = _with_redis(_stack_samples(), lambda t: 10 + t * bound / 1000)  # past the plan by the end
    assert not evaluate(leaking, None, working_sets=working_sets)["memory"]["redis"]["flat"]
    # Without a working set (not a simulator soak), Redis must be flat like any process.
    assert not evaluate(filling, None)["memory"]["redis"]["flat"]
    assert working_set_bounds(None) == {}
