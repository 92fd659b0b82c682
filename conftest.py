"""Settings for every test, the docstring examples of `lmzoo/` included.

Data comes from `$LMZOO_DATA` when it is set (the Makefile points it at a data
folder beside the clone, when there is one), otherwise from the cache.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_terminal_summary(terminalreporter):
    """Says how many documentation blocks the docs test runs."""
    from tests.test_docs import DOCS, HOW

    terminalreporter.write_line(
        f"docs test: {len(HOW)} command and Python blocks in {len(DOCS)} files "
        "(docs/*.md, benchmarks/README.md) run by tests/test_docs.py"
    )
