"""pytest-benchmark setup for the sampler benchmarks.

Run:

    pytest bench/ --benchmark-only

Compare the rows of one group (same --benchmark-group-by=group); the ratios the
README quotes come from ``python bench/report.py``, which times the same
workloads in one process and prints medians and ratios.
"""
import pytest
from workloads import Arrays


@pytest.fixture(scope="session")
def arrays():
    return Arrays()
