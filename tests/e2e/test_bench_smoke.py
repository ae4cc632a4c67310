"""The throughput benchmark (bench/throughput.py) runs end to end for a few seconds at the
lowest load on the test stack, so it cannot rot: calibration, one step of the real workflow,
one of the skeleton baseline (beside the running services), the report and its plots. The
figures themselves are not judged here (the machine is shared); `python -m bench.throughput`
is the measurement."""

from __future__ import annotations

import json

import pytest

from bench import throughput

pytestmark = pytest.mark.e2e


def test_benchmark_runs_and_reports(stack, tmp_path):
    args = throughput.parse(["--levels", "2", "--step-s", "2", "--warm-up-s", "3",
                             "--calibrate-s", "2", "--no-listing", "--settle-s", "1",
                             "--idle-s", "2", "--out", str(tmp_path)])
    throughput.run(stack, args, restart=False)
    report = json.loads((tmp_path / "report.json").read_text())
    step, skeleton = report["steps"][0], report["skeleton_steps"][0]
    assert step["workflows"] > 0 and step["errors"] == 0, step["error_kinds"]
    assert skeleton["workflows"] > 0 and skeleton["errors"] == 0, skeleton["error_kinds"]
    # CPU is read for every process of the stack, and the skeleton mirrors the real counts.
    assert {"gateway", "patient-mailbox", "careunit-mailbox", "kafka", "pg-patient",
            "pg-careunit", "pg-platform", "mailsink"} <= set(step["cpu_ms_per_workflow"])
    assert report["one_workflow"]["skeleton"]["requests"] >= 6
    assert step["submit_to_inbox_s"]["n"] == step["workflows"]
    assert step["answer_to_patient_s"]["n"] == step["workflows"]
    assert report["summary"]["ratio_to_skeleton"] > 0
    assert (tmp_path / "throughput.png").stat().st_size > 0
