"""Fixtures of the distributed tests live in distributed_testkit (a unique module name, so
test files can import from it without clashing with other folders' conftest modules)."""

from distributed_testkit import *  # noqa: F403
