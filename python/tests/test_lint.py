"""python/ compiles, parses as Python 3.9 (the oldest the export supports), and pyflakes finds nothing (unused imports and names, undefined names):
the Python side is linted like the TypeScript (.ci/run installs python3-pyflakes)."""

import ast
import os
import subprocess
import sys
import unittest

import helpers


class Lint(unittest.TestCase):
    def test_every_file_compiles_as_python_3_9(self):
        files = [os.path.join(d, f) for d, _, fs in os.walk(helpers.PYTHON) for f in fs if f.endswith(".py")]
        self.assertGreater(len(files), 10)
        for path in files:
            with self.subTest(path):
                with open(path) as f:
                    source = f.read()
                compile(source, path, "exec")
                ast.parse(source, path, feature_version=(3, 9))

    def test_pyflakes_is_clean(self):
        result = subprocess.run([sys.executable, "-m", "pyflakes", helpers.PYTHON], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
