"""handlers.common.json_stream: a JSON array's elements from a stream, whatever the chunking."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.common.json_stream import array_items

RECORDS = [
    {"ExecutionArn": f"arn:x:{i}", "Output": json.dumps([{"driver_id": f"DR-{i:06d}", "status": "compliant"}])}
    for i in range(50)
] + [12345, -0.5, 'ünïcødé ✓ "quoted" \\ back', None, True, [1, [2, {"a": "]"}]], {"k": ","}]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1000, 1 << 20])
def test_every_element_in_order_whatever_the_chunk_size(chunk):
    body = json.dumps(RECORDS, indent=1, ensure_ascii=False).encode("utf-8")
    assert list(array_items(io.BytesIO(body), chunk_bytes=chunk)) == RECORDS


@pytest.mark.parametrize("text", ["[]", "  [ ]  ", "\n[\n]\n"])
def test_an_empty_array_has_no_elements(text):
    assert list(array_items(io.BytesIO(text.encode()), chunk_bytes=1)) == []


def test_a_number_split_across_chunks_is_read_whole():
    assert list(array_items(io.BytesIO(b"[123456789, 98765]"), chunk_bytes=3)) == [123456789, 98765]


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"a": 1}', "not a JSON array"),
        ("", "empty body"),
        ('[{"a": 1}, {"b":', "truncated"),
        ("[1, 2", "truncated"),
        ("[1] [2]", "after the JSON array"),
    ],
)
def test_what_is_not_one_json_array_is_refused(text, message):
    with pytest.raises(ValueError, match=message):
        list(array_items(io.BytesIO(text.encode()), chunk_bytes=4))


_MEASURE_ALONE = """
import io, json, tracemalloc
from handlers.common.json_stream import array_items
body = json.dumps([{"Output": "x" * 4000}] * 20_000).encode()
tracemalloc.start()
count = sum(1 for _ in array_items(io.BytesIO(body)))
_, peak = tracemalloc.get_traced_memory()
print(json.dumps({"count": count, "peak": peak, "size": len(body)}))
"""


def test_memory_holds_about_one_chunk_and_one_element_not_the_file():
    """An 80 MB array read in 1 MiB chunks: the reader's allocations stay a small share of the file
    (json.loads of the same bytes holds the text and every element, more than the file). Measured in
    a process of its own: tracemalloc counts every thread of a process, and the suite's background
    threads (an in-process emulator, its pollers) allocated 12 to 22 MB during this read in CI runs.
    Alone the reader peaks at ~3 MB; the bound leaves room for the interpreter's own allocations."""
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    done = subprocess.run(
        [sys.executable, "-c", _MEASURE_ALONE], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    measured = json.loads(done.stdout)
    assert measured["count"] == 20_000
    peak, size = measured["peak"], measured["size"]
    assert peak < size / 10, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.0f} MB file"


def test_garbage_after_an_element_is_refused():
    with pytest.raises(ValueError, match="unexpected data"):
        list(array_items(io.BytesIO(b"[1x]"), chunk_bytes=64))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(
    items=st.lists(_JSON, max_size=12),
    chunk=st.integers(min_value=1, max_value=40),
    indent=st.sampled_from([None, 0, 2]),
)
@settings(max_examples=300, deadline=None)
def test_any_json_array_reads_as_json_loads_reads_it(items, chunk, indent):
    body = json.dumps(items, indent=indent, ensure_ascii=False).encode("utf-8")
    assert list(array_items(io.BytesIO(body), chunk_bytes=chunk)) == json.loads(body)
