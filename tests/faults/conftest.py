"""The fault suite's marker (declared here so the suite stays one folder)."""

import os


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "faults: the fault suite (load while parts are killed); full size: "
                   "python -m tests.faults (docs/faults.md)")


# Not part of the default run, for its time: one round of every fault took 6 minutes on a
# busy machine, more than the default run can spare (docs/faults.md). Run it on purpose with
# `FAULT_SUITE=1 scripts/test tests/faults`, or at full size with `python -m tests.faults`.
collect_ignore_glob = [] if os.environ.get("FAULT_SUITE") == "1" else ["test_*.py"]
