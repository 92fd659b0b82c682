"""What the benchmarks record about the machine they ran on."""

import pathlib


def cpu_name():
    """The CPU's model name from `/proc/cpuinfo`, or `"unknown"`.

    Returns:
        str.
    """
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"
