"""CloudWatch's alarm rules as the local evaluator applies them: statistics and percentiles, M out
of N, TreatMissingData, comparisons, metric math and the StateReason text."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from harness.runtime import alarm_rules, metric_math
from harness.runtime.alarm_rules import Sample

T0 = dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC)


def starts(n: int) -> list[dt.datetime]:
    return [T0 + dt.timedelta(minutes=i) for i in range(n)]


def run(values, *, m=None, treat="missing", comparison="GreaterThanThreshold", threshold=10.0, state="OK"):
    return alarm_rules.evaluate(
        values,
        starts(len(values)),
        comparison=comparison,
        threshold=threshold,
        datapoints_to_alarm=m,
        treat_missing_data=treat,
        current_state=state,
        statistic_name="Sum",
        period_s=60,
        query_date=T0 + dt.timedelta(minutes=len(values)),
    )


# ---------------------------------------------------------------------------------- statistics


def test_statistics_combine_single_values_and_statistic_sets():
    samples = [Sample.single(4.0), Sample(total=10.0, low=1.0, high=6.0, count=4.0)]
    assert alarm_rules.statistic(samples, "Sum") == 14.0
    assert alarm_rules.statistic(samples, "SampleCount") == 5.0
    assert alarm_rules.statistic(samples, "Average") == pytest.approx(14.0 / 5.0)
    assert alarm_rules.statistic(samples, "Minimum") == 1.0
    assert alarm_rules.statistic(samples, "Maximum") == 6.0


def test_no_samples_is_no_datapoint():
    assert alarm_rules.statistic([], "Sum") is None
    assert alarm_rules.statistic([], "p95") is None


def test_percentile_is_the_nearest_rank_of_the_single_values():
    samples = [Sample.single(float(v)) for v in range(1, 101)]  # 1..100
    assert alarm_rules.statistic(samples, "p95") == 95.0
    assert alarm_rules.statistic(samples, "p50") == 50.0
    assert alarm_rules.statistic(samples, "p99.9") == 100.0
    assert alarm_rules.statistic([Sample.single(7.0)], "p95") == 7.0


def test_percentile_ignores_statistic_sets_which_carry_no_distribution():
    samples = [Sample(total=1000.0, low=1.0, high=999.0, count=10.0), Sample.single(3.0)]
    assert alarm_rules.statistic(samples, "p95") == 3.0
    assert alarm_rules.statistic([Sample(total=1.0, low=1.0, high=1.0, count=1.0)], "p95") is None


def test_an_unknown_statistic_is_refused():
    with pytest.raises(ValueError, match="not supported"):
        alarm_rules.statistic([Sample.single(1.0)], "TrimmedMean")


# ---------------------------------------------------------------------------------- M out of N


def test_all_n_breaching_by_default():
    assert run([11.0, 12.0, 13.0]).state == "ALARM"
    assert run([11.0, 9.0, 13.0]).state == "OK"


def test_m_out_of_n():
    assert run([11.0, 9.0, 13.0], m=2).state == "ALARM"
    assert run([9.0, 9.0, 13.0], m=2).state == "OK"


def test_comparison_operators_at_the_threshold():
    assert run([10.0], comparison="GreaterThanThreshold").state == "OK"
    assert run([10.0], comparison="GreaterThanOrEqualToThreshold").state == "ALARM"
    assert run([10.0], comparison="LessThanThreshold").state == "OK"
    assert run([10.0], comparison="LessThanOrEqualToThreshold").state == "ALARM"
    assert run([0.5], comparison="LessThanThreshold", threshold=1.0).state == "ALARM"


def test_anomaly_band_comparisons_are_refused():
    with pytest.raises(ValueError, match="not supported"):
        run([1.0], comparison="LessThanLowerOrGreaterThanUpperThreshold")


# ---------------------------------------------------------------------------------- missing data


def test_not_breaching_counts_missing_as_good():
    assert run([None, None, None], treat="notBreaching", state="ALARM").state == "OK"
    assert run([11.0, None, 12.0], treat="notBreaching").state == "OK"
    assert run([11.0, None, 12.0], m=2, treat="notBreaching").state == "ALARM"


def test_breaching_counts_missing_as_bad():
    assert run([None, None, None], treat="breaching").state == "ALARM"
    assert run([11.0, None, None], treat="breaching").state == "ALARM"
    assert run([9.0, None, None], treat="breaching").state == "OK"


def test_missing_all_missing_is_insufficient_data():
    result = run([None, None], treat="missing")
    assert result.state == "INSUFFICIENT_DATA"
    assert result.reason == "Insufficient Data: 2 datapoints were unknown."
    assert run([None, None], treat=None).state == "INSUFFICIENT_DATA"  # missing is the default


def test_ignore_keeps_the_state_when_nothing_is_present():
    assert run([None, None], treat="ignore", state="ALARM").state == "ALARM"
    assert run([None, None], treat="ignore", state="OK").state == "OK"


def test_missing_and_ignore_decide_on_the_datapoints_present():
    assert run([None, 11.0, 12.0], m=2, treat="missing").state == "ALARM"
    assert run([None, 11.0, 9.0], m=2, treat="ignore").state == "OK"


# ---------------------------------------------------------------------------------- reasons


def test_single_period_reason_in_aws_words():
    result = run([3.0], comparison="GreaterThanOrEqualToThreshold", threshold=1.0)
    assert result.reason == (
        "Threshold Crossed: 1 datapoint [3.0 (06/12/26 15:00:00)] was greater than or equal to the threshold (1.0)."
    )
    data = json.loads(result.reason_data)
    assert data["statistic"] == "Sum" and data["period"] == 60 and data["threshold"] == 1.0
    assert data["recentDatapoints"] == [3.0]


def test_m_of_n_reasons_in_aws_words():
    alarm = run([11.0, 9.0, 13.0], m=2)
    assert alarm.reason == (
        "Threshold Crossed: 2 out of the last 3 datapoints [11.0 (06/12/26 15:00:00), 13.0 (06/12/26 15:02:00)] "
        "were greater than the threshold (10.0) (minimum 2 datapoints for OK -> ALARM transition)."
    )
    ok = run([1.0, 2.0, 13.0], m=2)
    assert ok.reason.startswith("Threshold Crossed: 2 out of the last 3 datapoints [1.0 (06/12/26 15:00:00)")
    assert ok.reason.endswith(
        "were not greater than the threshold (10.0) (minimum 2 datapoints for ALARM -> OK transition)."
    )


def test_all_missing_not_breaching_reason():
    assert run([None], treat="notBreaching").reason == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as "
        "[NonBreaching]."
    )


# ---------------------------------------------------------------------------------- metric math


def test_the_stacks_kinesis_utilisation_expression():
    values = {"bytes_gps": 50_331_648.0, "bytes_hos": None}  # 48 MiB in a minute on one shard
    expressions = {
        "util_gps": "100 * bytes_gps / (1 * 1048576 * 60)",
        "util_hos": "100 * bytes_hos / (1 * 1048576 * 60)",
        "max_util": "MAX([util_gps, util_hos])",
    }
    assert metric_math.evaluate_queries(expressions, values, "max_util") == pytest.approx(80.0)


def test_arithmetic_with_a_missing_value_is_missing_and_fill_replaces_it():
    values = {"dw": 3.0, "dr": None}
    assert metric_math.evaluate_queries({"t": "dw + dr"}, values, "t") is None
    assert metric_math.evaluate_queries({"t": "dw + FILL(dr, 0)"}, values, "t") == 3.0
    assert metric_math.evaluate_queries({"t": "dw / (dr - dr)"}, {"dw": 1.0, "dr": 2.0}, "t") is None
    assert metric_math.evaluate_queries({"t": "MAX([dr, dr])"}, values, "t") is None


def test_unsupported_math_is_refused_with_its_text():
    with pytest.raises(metric_math.UnsupportedExpression, match="ANOMALY_DETECTION_BAND"):
        metric_math.evaluate_queries({"t": "ANOMALY_DETECTION_BAND(m1)"}, {"m1": 1.0}, "t")
    with pytest.raises(metric_math.UnsupportedExpression, match="unknown id"):
        metric_math.evaluate_queries({"t": "m2 * 2"}, {"m1": 1.0}, "t")
