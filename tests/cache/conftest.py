"""Fixtures of the cache tests live in cache_testkit (a unique module name, importable by
the test files without clashing with other folders' conftest modules)."""

from cache_testkit import *  # noqa: F403
