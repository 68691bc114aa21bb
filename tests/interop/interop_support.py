"""What the interop tests share: a test case with its own temporary folder."""
import os
import tempfile
import unittest


class TempDirCase(unittest.TestCase):
    """Each test gets a fresh folder (self.dir), removed afterwards; self.path(name) is in it."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)
