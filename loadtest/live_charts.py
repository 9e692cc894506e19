"""The load/soak page's content from the run's samples: pure functions from data to HTML/SVG,
shared by the live page (loadtest.live_page, refreshed while the run goes) and the HTML report
written under reports/ at the end.

A sample (one per soak sampling interval, or per live-view refresh of a load run) may hold:
``t`` (s since start), ``load`` {rate (records/s sent), e2e_p50_s, e2e_p95_s, e2e_p99_s,
throttled, dropped}, ``lag_s`` {stream: s}, ``mapping_lag_s`` {"stream -> function": s},
``rss_mib`` {process: MiB}, ``memory`` {process: {main_mib, ...}} (loadtest.soak.sample_stack),
``dlqs`` {queue: depth}, ``error``.

``memory_verdict`` is loadtest.soak_memory.judge_memory's result for the samples so far: the page
draws, per process, the judged series, its fitted line over the judged window and the tolerance
band the fitted growth must stay inside.
"""

from __future__ import annotations

from typing import Any

from scenario_runner.report_chart import CSS as CHART_CSS
from scenario_runner.report_chart import esc, format_number, line_chart


def _series(samples: list[dict], key: str) -> dict[str, list[tuple[float, float]]]:
    series: dict[str, list[tuple[float, float]]] = {}
    for sample in samples:
        for name, value in (sample.get(key) or {}).items():
            if isinstance(value, (int, float)):
                series.setdefault(name, []).append((sample["t"], float(value)))
    return series


def _load_series(samples: list[dict], *names: str) -> dict[str, list[tuple[float, float]]]:
    series: dict[str, list[tuple[float, float]]] = {}
    for sample in samples:
        load = sample.get("load") or {}
        for name in names:
            if isinstance(load.get(name), (int, float)):
                series.setdefault(name, []).append((sample["t"], float(load[name])))
    return series


def send_rate(samples: list[dict]) -> list[tuple[float, float]]:
    """Records/s sent: from the load run's cumulative `sent` between consecutive samples when the
    samples carry it (steady however often the load's workers report), else its own `rate`."""
    with_sent = [(s["t"], s["load"]["sent"]) for s in samples if isinstance((s.get("load") or {}).get("sent"), int)]
    if len(with_sent) >= 2:
        return [
            (t1, (n1 - n0) / (t1 - t0)) for (t0, n0), (t1, n1) in zip(with_sent, with_sent[1:], strict=False) if t1 > t0
        ]
    return _load_series(samples, "rate").get("rate", [])


def short_names(series: dict[str, list]) -> dict[str, list]:
    """Series renamed without the `<project>-<env>-` prefix every resource name shares."""
    words = [w for name in series for w in name.replace(" -> ", " ").split()]
    if len(words) < 2:
        return series
    common = words[0]
    for word in words[1:]:
        while not word.startswith(common):
            common = common[:-1]
    prefix = common[: common.rfind("-") + 1]
    return {name.replace(prefix, "") if prefix else name: points for name, points in series.items()}


def judged_memory_points(samples: list[dict], process: str) -> list[tuple[float, float]]:
    """The series soak_memory judges for a process: its own memory (main_mib) when the sample
    splits it out, else the whole tree (rss_mib)."""
    points = []
    for sample in samples:
        detail = (sample.get("memory") or {}).get(process)
        if detail is not None:
            points.append((sample["t"], float(detail["main_mib"])))
        elif process in (sample.get("rss_mib") or {}):
            points.append((sample["t"], float(sample["rss_mib"][process])))
    return points


def memory_fit(points: list[tuple[float, float]], verdict: dict) -> tuple[tuple, tuple] | None:
    """(fit segment (x0, y0, x1, y1), band (x0, x1, low, high)) over the judged window: the line
    with the verdict's slope through the judged points' mean, and the band from the fit's start
    to start + tolerance (flat when the fit ends inside it)."""
    start = verdict.get("judged_from_t", points[0][0] if points else 0.0)
    judged = [(t, y) for t, y in points if t >= start]
    if len(judged) < 2 or "slope_per_hour" not in verdict:
        return None
    slope = verdict["slope_per_hour"] / 3600
    mean_t = sum(t for t, _ in judged) / len(judged)
    mean_y = sum(y for _, y in judged) / len(judged)
    x0, x1 = judged[0][0], judged[-1][0]
    y0, y1 = mean_y + slope * (x0 - mean_t), mean_y + slope * (x1 - mean_t)
    return (x0, y0, x1, y1), (x0, x1, y0, y0 + verdict["tolerance"])


def _memory_section(samples: list[dict], verdict: dict[str, dict] | None) -> str:
    processes = sorted({p for s in samples for p in (s.get("rss_mib") or {})} | set(verdict or {}))
    if not processes:
        return "<p class='empty'>No process memory sampled.</p>"
    charts, rows = [], []
    for process in processes:
        points = judged_memory_points(samples, process)
        judged = (verdict or {}).get(process) or {}
        fit = memory_fit(points, judged) if judged else None
        charts.append(
            f"<figure><figcaption>{esc(process)}: memory MiB (dashed: fitted slope over the judged window; "
            f"band: the tolerance)</figcaption>"
            + line_chart(
                f"memory-{process}",
                {process: points},
                height=170,
                y_unit="MiB",
                x_label=seconds,
                fits={process: fit[0]} if fit else None,
                bands={process: fit[1]} if fit else None,
            )
            + "</figure>"
        )
        if judged:
            rows.append(
                f"<tr class='{'pass' if judged.get('flat') else 'fail'}' data-process='{esc(process)}' "
                f"data-slope-per-hour='{judged.get('slope_per_hour')}' data-growth='{judged.get('growth')}' "
                f"data-tolerance='{judged.get('tolerance')}'><td>{esc(process)}</td>"
                f"<td>{format_number(judged.get('median', 0))}</td><td>{judged.get('slope_per_hour'):+.2f}</td>"
                f"<td>{judged.get('growth'):+.2f}</td><td>{judged.get('tolerance'):.2f}</td>"
                f"<td>{'flat' if judged.get('flat') else 'GROWING'}</td></tr>"
            )
    table = (
        "<table id='memory-verdict'><tr><th>process</th><th>median MiB</th><th>slope MiB/h</th>"
        "<th>fitted growth MiB</th><th>tolerance MiB</th><th>verdict</th></tr>" + "".join(rows) + "</table>"
        if rows
        else ""
    )
    return table + "".join(charts)


def seconds(x: float, span: float) -> str:
    return f"{x:.0f} s" if span >= 10 else f"{x:.1f} s"


def _numbers(samples: list[dict], target_rate: float | None) -> dict[str, Any]:
    last = samples[-1] if samples else {}
    # the load run's latest figures (the soak's last sample comes after its load run ended)
    load = next((s["load"] for s in reversed(samples) if s.get("load")), {})
    rates = send_rate(samples)
    return {
        "elapsed_s": last.get("t"),
        "rate": rates[-1][1] if rates else None,
        "target_rate": target_rate,
        "e2e_p95_s": load.get("e2e_p95_s"),
        "max_lag_s": max((last.get("lag_s") or {}).values(), default=None),
        "dlq_depth": sum((last.get("dlqs") or {}).values()),
        "throttled": load.get("throttled"),
        "dropped": load.get("dropped"),
        "errors": sum(1 for s in samples if s.get("error")),
    }


def sections(
    samples: list[dict], target_rate: float | None = None, memory_verdict: dict[str, dict] | None = None
) -> dict[str, str]:
    """Section id -> HTML, in page order."""
    numbers = _numbers(samples, target_rate)
    cells = "".join(
        f"<div class='number' data-key='{key}' data-value='{'' if value is None else value}'>"
        f"<b>{esc(format_number(value) if isinstance(value, (int, float)) else '-')}</b><span>{esc(label)}</span></div>"
        for key, label, value in (
            ("elapsed_s", "elapsed s", numbers["elapsed_s"]),
            ("rate", "records/s sent", numbers["rate"]),
            ("target_rate", "target records/s", numbers["target_rate"]),
            ("e2e_p95_s", "e2e p95 s", numbers["e2e_p95_s"]),
            ("max_lag_s", "worst lag s", numbers["max_lag_s"]),
            ("dlq_depth", "DLQ messages", numbers["dlq_depth"]),
            ("errors", "sampling errors", numbers["errors"]),
            ("throttled", "throttled", numbers["throttled"]),
        )
    )
    mapping_lag = short_names(_series(samples, "mapping_lag_s") or _series(samples, "lag_s"))
    return {
        "numbers": f"<div class='numbers'>{cells}</div>",
        "rate": "<h2>Send rate vs target</h2>"
        + line_chart(
            "rate",
            {"sent records/s": send_rate(samples)},
            y_unit="rec/s",
            x_label=seconds,
            reference={"target": target_rate} if target_rate else None,
        ),
        "lag": "<h2>Consumer lag per mapping</h2>" + line_chart("lag", mapping_lag, y_unit="s", x_label=seconds),
        "e2e": "<h2>End-to-end latency percentiles</h2>"
        + line_chart(
            "e2e",
            {
                f"p{p}": points
                for p, points in (
                    (int(name[5:7]), points)
                    for name, points in _load_series(samples, "e2e_p50_s", "e2e_p95_s", "e2e_p99_s").items()
                )
            },
            y_unit="s",
            x_label=seconds,
        ),
        "memory": "<h2>Memory per process</h2>" + _memory_section(samples, memory_verdict),
        "errors": "<h2>Errors and DLQ depth</h2>"
        + line_chart(
            "dlq",
            {**short_names(_series(samples, "dlqs")), **_load_series(samples, "throttled", "dropped")},
            y_unit="messages",
            x_label=seconds,
        ),
    }


PAGE_CSS = (
    CHART_CSS
    + """.numbers{display:flex;flex-wrap:wrap;gap:10px;margin:1em 0}.number{border:1px solid #ddd;border-radius:6px;
padding:6px 12px;min-width:110px}.number b{display:block;font-size:22px}.number span{font-size:12px;color:#666}
#status{font-size:13px;color:#666}"""
)


def report_html(title: str, parts: dict[str, str], verdict: str = "") -> str:
    """A self-contained page (inline SVG and CSS) of the sections: the report written at the end."""
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
        f"<style>{PAGE_CSS}</style></head><body><h1>{esc(title)}</h1>{verdict}"
        + "".join(f"<section id='section-{key}'>{html}</section>" for key, html in parts.items())
        + "</body></html>"
    )
