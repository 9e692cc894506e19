"""Lambda zips are reproducible and hold exactly what they should."""

from __future__ import annotations

import hashlib
import zipfile

from harness import build


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_functions_zip_is_reproducible_and_clean(tmp_path):
    first = build.build_functions(tmp_path / "a")
    second = build.build_functions(tmp_path / "b")
    assert sha256(first) == sha256(second)
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert "handlers/__init__.py" in names
    assert all(name.startswith("handlers/") for name in names)
    assert not any("__pycache__" in name or name.endswith(".pyc") or "/tests/" in name for name in names)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}


def test_pycache_and_tests_are_excluded(tmp_path):
    package = tmp_path / "pkg"
    (package / "__pycache__").mkdir(parents=True)
    (package / "tests").mkdir()
    (package / "mod.py").write_text("x = 1\n")
    (package / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    (package / "tests" / "test_mod.py").write_text("")
    (package / "data.sql").write_text("select 1;\n")
    assert [name for name, _ in build.collect_files(package, "pkg")] == ["pkg/data.sql", "pkg/mod.py"]


def test_layer_cache_key_follows_the_requirements(tmp_path):
    requirements = tmp_path / "lambda.txt"
    requirements.write_text("orjson==3.13.0\n")
    before = build.layer_cache_key(requirements)
    requirements.write_text("orjson==3.13.0\nredis==8.1.0\n")
    assert build.layer_cache_key(requirements) != before


def test_cached_layer_is_not_rebuilt(tmp_path):
    requirements = tmp_path / "lambda.txt"
    requirements.write_text("definitely-not-a-real-package-fleettap==0\n")
    (tmp_path / "deps-layer.zip").write_bytes(b"cached")
    (tmp_path / "deps-layer.key").write_text(build.layer_cache_key(requirements))
    path, rebuilt = build.build_layer(tmp_path, requirements)
    assert (path.read_bytes(), rebuilt) == (b"cached", False)


def test_layer_holds_cp312_manylinux_wheels_and_is_reproducible(tmp_path):
    first, rebuilt = build.build_layer(tmp_path / "a", force=True)
    second, _ = build.build_layer(tmp_path / "b", force=True)
    assert rebuilt and sha256(first) == sha256(second)
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
    assert all(name.startswith("python/") for name in names)
    assert any(name.startswith("python/orjson/") and name.endswith("cpython-312-x86_64-linux-gnu.so") for name in names)
    for package in (
        "redis/__init__.py",
        "psycopg/__init__.py",
        "pygeohash/__init__.py",
        "aws_lambda_powertools/__init__.py",
    ):
        assert f"python/{package}" in names
    assert not any(name.startswith("python/bin/") or "__pycache__" in name for name in names)
    with zipfile.ZipFile(first) as archive:
        records = [archive.read(name).decode() for name in names if name.endswith(".dist-info/RECORD")]
    # Script hashes depend on the build machine's interpreter path; they must not be in the layer.
    assert records and not any("../../bin/" in record for record in records)
