"""The Prometheus alert rules and the Grafana dashboard in deploy/ parse, every query in
them is valid PromQL (promql-parser, a port of Prometheus's own parser), and they name
only metrics and labels the service exports (bot/metrics/families.py, which
tests/bot/test_metrics.py checks against a real scrape)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from bot.metrics.families import ALL, Family

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# Prometheus's own series, which the rules may use besides ours
PROMETHEUS_OWN = {"up": ("job", "instance")}
# Grafana's variables, replaced by what Grafana would put there
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}


def series_labels() -> dict[str, tuple[str, ...]]:
    """Every series name a scrape shows, with the labels it may carry."""
    found: dict[str, tuple[str, ...]] = dict(PROMETHEUS_OWN)
    for family in ALL:
        if family.kind == "histogram":
            found[family.name + "_bucket"] = (*family.labels, "le")
            found[family.name + "_sum"] = found[family.name + "_count"] = family.labels
        else:
            found[family.name] = family.labels
    return found


def selectors(node: Any) -> Iterator[Any]:
    """The vector selectors of a parsed PromQL expression."""
    if isinstance(node, promql_parser.VectorSelector):
        yield node
    for attr in ("lhs", "rhs", "expr", "param", "vector_selector", "args"):
        child = getattr(node, attr, None)
        for item in child if isinstance(child, list) else [child]:
            if item is not None:
                yield from selectors(item)


def check(expr: str, where: str) -> set[str]:
    """The series `expr` names, after checking that it parses and that each series and
    label it names is exported."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    try:
        parsed = promql_parser.parse(expr)
    except Exception as exc:
        raise AssertionError(f"{where}: not PromQL ({exc}): {expr}") from None
    known = series_labels()
    names = set()
    for selector in selectors(parsed):
        assert selector.name in known, f"{where}: {selector.name} is not exported"
        for matcher in selector.matchers.matchers:
            assert matcher.name in known[selector.name], (
                f"{where}: {selector.name} has no label {matcher.name}"
            )
        names.add(selector.name)
    assert names, f"{where}: names no metric: {expr}"
    return names


def family_of(series: str) -> Family | None:
    return next((f for f in ALL if series in (f.name, *(f.name + s for s in
                 ("_bucket", "_sum", "_count")))), None)  # fmt: skip


def rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def dashboard_queries() -> list[tuple[str, str]]:
    doc = json.loads((DEPLOY / "grafana" / "newsbot.json").read_text())
    return [
        (panel["title"], target["expr"])
        for panel in doc["panels"]
        for target in panel.get("targets", [])
    ]


def test_alert_rules_parse_and_name_only_exported_metrics() -> None:
    found = rules()
    for rule in found:
        assert set(rule) >= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        check(rule["expr"], rule["alert"])
    by_name = {rule["alert"]: rule["expr"] for rule in found}
    # the four the issue asks for: queue lag, failure rate, token expiry, stale feeds
    assert "newsbot_due_lag_seconds" in by_name["NewsbotQueueLag"]
    assert 'newsbot_deliveries_total{state="failed"}' in by_name["NewsbotDeliveryFailureRate"]
    assert "newsbot_token_expiry_timestamp_seconds" in by_name["NewsbotTokenExpiresSoon"]
    assert "< 7 * 86400" in by_name["NewsbotTokenExpiresSoon"]
    assert "newsbot_feed_lag_seconds) > 1800" in by_name["NewsbotFeedStale"]


def test_the_dashboard_parses_and_shows_every_family() -> None:
    doc = json.loads((DEPLOY / "grafana" / "newsbot.json").read_text())
    assert doc["uid"] == "newsbot" and doc["templating"]["list"][0]["type"] == "datasource"
    ids = [panel["id"] for panel in doc["panels"]]
    assert len(ids) == len(set(ids))
    shown: set[str] = set()
    for title, expr in dashboard_queries():
        shown |= check(expr, f"panel {title!r}")
    used = {family_of(name) for name in shown | {n for r in rules() for n in check(r["expr"], "")}}
    missing = [f.name for f in ALL if f not in used]
    assert not missing, f"exported but neither on the dashboard nor in a rule: {missing}"


def test_a_query_naming_an_unknown_metric_or_label_is_caught() -> None:
    """The check itself: it must refuse what the service does not export."""
    for bad in ("rate(newsbot_delivered_total[5m])", 'newsbot_feed_polls_total{status="200"}'):
        try:
            check(bad, "probe")
        except AssertionError:
            continue
        raise AssertionError(f"{bad} was accepted")
