import pytest

from tests.unit.domain.domain_records import build_record


@pytest.fixture
def make_record():
    return build_record
