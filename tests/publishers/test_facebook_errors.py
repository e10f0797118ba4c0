"""Facebook classification: every row of the code table, transport errors, usage headers."""

from __future__ import annotations

import pytest

from bot.platforms import FailureKind, Outcome
from publishers.facebook.errors import TABLE, classify, lookup
from publishers.facebook.graph import GraphError, GraphNetworkError, GraphUsage, parse_usage

TOKEN = "EAATESTsecretPageToken0123456789abcdef"

EXPECTED: dict[int, tuple[Outcome, str]] = {
    1: (Outcome.AMBIGUOUS, "unknown_error"),
    2: (Outcome.AMBIGUOUS, "service_error"),
    4: (Outcome.RETRY, "rate_limited"),
    17: (Outcome.RETRY, "rate_limited"),
    32: (Outcome.RETRY, "rate_limited"),
    341: (Outcome.RETRY, "rate_limited"),
    613: (Outcome.RETRY, "rate_limited"),
    80001: (Outcome.RETRY, "rate_limited"),
    100: (Outcome.PERMANENT, "invalid_parameter"),
    3: (Outcome.PERMANENT, "permission"),
    10: (Outcome.PERMANENT, "permission"),
    200: (Outcome.PERMANENT, "permission"),
    299: (Outcome.PERMANENT, "permission"),
    102: (Outcome.PERMANENT, "token"),
    190: (Outcome.PERMANENT, "token"),
    492: (Outcome.PERMANENT, "token"),
    368: (Outcome.PERMANENT, "policy_block"),
    506: (Outcome.PERMANENT, "duplicate"),
    1609005: (Outcome.RETRY, "link_not_scrapable"),
}


def error(code: int, **fields: object) -> GraphError:
    values: dict[str, object] = {"status": 400, "code": code, "subcode": None, "message": "msg"}
    values.update(fields)
    return GraphError(**values)  # type: ignore[arg-type]


def test_every_table_row_is_tested() -> None:
    assert set(EXPECTED) <= set(TABLE)
    assert {(r.outcome, r.code) for r in TABLE.values()} == set(EXPECTED.values())
    assert all(lookup(code) == TABLE[code] for code in range(200, 300))


def test_the_kinds_the_core_decides_on() -> None:
    assert TABLE[506].kind is FailureKind.DUPLICATE  # the engine looks the post up
    assert TABLE[190].kind is FailureKind.TOKEN_INVALID
    assert TABLE[200].kind is FailureKind.FORBIDDEN
    assert TABLE[368].kind is FailureKind.POLICY_BLOCKED
    assert TABLE[32].kind is FailureKind.RATE_LIMITED


@pytest.mark.parametrize(("code", "expected"), EXPECTED.items())
def test_table_row(code: int, expected: tuple[Outcome, str]) -> None:
    result = classify(error(code, message=f"(#{code}) text"))
    assert (result.outcome, result.code) == expected
    assert result.message == f"(#{code}) text"


def test_rate_limit_waits_for_the_regain_estimate() -> None:
    usage = GraphUsage(max_percent=100, regain_access_minutes=3)
    assert classify(error(32, usage=usage)).retry_after == 180
    # throttled without an estimate: a minute, so retries do not feed the throttling
    assert classify(error(613)).retry_after == 60


def test_a_policy_block_pauses_the_page_for_an_hour() -> None:
    blocked = classify(error(368))
    assert (blocked.outcome, blocked.code, blocked.retry_after) == (
        Outcome.PERMANENT, "policy_block", 3600,
    )  # fmt: skip


def test_link_not_scrapable_as_a_subcode_of_100() -> None:
    assert classify(error(100, subcode=1609005)).code == "link_not_scrapable"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (error(9999, is_transient=True), (Outcome.AMBIGUOUS, "transient")),
        (error(0, status=503), (Outcome.AMBIGUOUS, "server_error")),
        (error(9999), (Outcome.PERMANENT, "graph_error")),
        (GraphNetworkError("refused", reached=False), (Outcome.RETRY, "connect_failed")),
        (
            GraphNetworkError("slow", reached=False, timeout=True),
            (Outcome.RETRY, "connect_timeout"),
        ),
        (GraphNetworkError("slow", reached=True, timeout=True), (Outcome.AMBIGUOUS, "timeout")),
        (GraphNetworkError("reset", reached=True), (Outcome.AMBIGUOUS, "network")),
        (TimeoutError(), (Outcome.AMBIGUOUS, "timeout")),
        (RuntimeError("boom"), (Outcome.AMBIGUOUS, "unexpected")),
    ],
)
def test_other_failures(exc: BaseException, expected: tuple[Outcome, str]) -> None:
    result = classify(exc)
    assert (result.outcome, result.code) == expected


def test_outside_a_publish_ambiguous_is_a_retry() -> None:
    assert classify(error(2), publishing=False).outcome is Outcome.RETRY


def test_token_is_redacted() -> None:
    result = classify(error(190, message=f"Invalid token {TOKEN}"), token=TOKEN)
    assert TOKEN not in result.message
    assert TOKEN not in str(result)


def test_usage_headers() -> None:
    headers = {
        "X-App-Usage": '{"call_count":28,"total_time":25,"total_cputime":25}',
        "X-Business-Use-Case-Usage": (
            '{"100000000000042":[{"type":"pages","call_count":97,"total_cputime":23,'
            '"total_time":23,"estimated_time_to_regain_access":4}]}'
        ),
    }
    assert parse_usage(headers) == GraphUsage(max_percent=97, regain_access_minutes=4)
    assert parse_usage({"X-App-Usage": '{"call_count":5}'}) == GraphUsage(5, 0)
    assert parse_usage({}) is None
    assert parse_usage({"X-App-Usage": "not json"}) is None
