"""The switch benchmark (catalog.bench.switch) on a small inventory: wrk at 32
keep-alive connections through real build switches sees no error; the documented
HAProxy configuration is valid and keeps its replicas list where the tools expect it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from catalog.bench.generate import Scale
from catalog.bench.switch import HAPROXY_CFG, haproxy_config, prepare, single

from .services import haproxy_binary


def test_wrk_sees_no_error_through_build_switches(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is missing: apt-get install -y wrk (.ci/run installs it)")
    root = prepare(tmp_path / "project", Scale(agencies=2, datasets=30, fields=6,
                                                agreements=2), reuse=False)
    figures = single(root, duration=9, switches=3, connections=32, threads=2,
                     log=tmp_path / "serve.log", baseline=False)
    print(figures)
    assert figures.requests > 100
    assert (figures.socket_errors, figures.non_2xx) == (0, 0)
    assert len(figures.switches) == 3


def test_documented_haproxy_config_is_valid(tmp_path: Path) -> None:
    for text in (HAPROXY_CFG.read_text(encoding="utf-8"),
                 haproxy_config(18080, [18101, 18102], fast_checks=True)):
        cfg = tmp_path / "haproxy.cfg"
        cfg.write_text(text, encoding="utf-8")
        done = subprocess.run([str(haproxy_binary()), "-c", "-f", str(cfg)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "server r2 127.0.0.1:18102" in text and "server r3" not in text
