"""handlers.common.aws.warm: clients made in a function's cold start, never by a plain import."""

from handlers.common import aws


def test_warm_creates_clients_only_inside_a_function(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    aws.client.cache_clear()
    aws.warm("sns", "sagemaker-runtime")
    assert aws.client.cache_info().currsize == 0  # a test or tool importing a handler
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fleettap-test-predictive")
    aws.warm("sns", "sagemaker-runtime")
    assert aws.client.cache_info().currsize == 2
    made = aws.client("sns")
    aws.warm("sns")
    assert aws.client("sns") is made  # the handler's later calls use the warmed client
    aws.client.cache_clear()
