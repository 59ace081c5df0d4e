"""Runs every python/tests/test_*.py with /usr/bin/python3 and prints the counts as the last line
(`PYTHON_TEST_COUNTS {"passed": …}`) for test/support/run-browser-tests.mjs to add to npm test's."""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py")
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    counts = {
        "passed": result.testsRun - failed - len(result.skipped) - len(result.expectedFailures),
        "failed": failed,
        "skipped": len(result.skipped),
    }
    print("PYTHON_TEST_COUNTS " + json.dumps(counts))
    sys.exit(0 if failed == 0 and counts["passed"] > 0 else 1)


if __name__ == "__main__":
    main()
