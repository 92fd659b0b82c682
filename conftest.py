"""Settings for every test, the docstring examples of `lmzoo/` included.

The examples read the shared data folder next to the repository, as the tests
do, unless `LMZOO_DATA` points elsewhere.
"""

import os
import pathlib

REPO = pathlib.Path(__file__).resolve().parent
os.environ.setdefault("LMZOO_DATA", str(REPO.parent / "shared" / "data"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_terminal_summary(terminalreporter):
    """Says how many documentation blocks the docs test runs."""
    from tests.test_docs import DOCS, HOW

    terminalreporter.write_line(
        f"docs test: {len(HOW)} command and Python blocks in {len(DOCS)} files "
        "(docs/*.md, benchmarks/README.md) run by tests/test_docs.py"
    )
