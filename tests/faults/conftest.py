"""The fault suite's marker (declared here so the suite stays one folder)."""


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "faults: the fault suite (load while parts are killed); full size: "
                   "python -m tests.faults (docs/faults.md)")
