"""What the interop tests share: a test case with its own temporary folder."""
import os
import tempfile
import unittest

# Built with AddressSanitizer (MAMMOTH_SANITIZE; tests/interop/CMakeLists.txt says so): its
# shadow memory and quarantine are resident too, so bounds on a command's peak do not hold.
SANITIZED = os.environ.get('MAMMOTH_SANITIZED') == '1'


class TempDirCase(unittest.TestCase):
    """Each test gets a fresh folder (self.dir), removed afterwards; self.path(name) is in it."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)
