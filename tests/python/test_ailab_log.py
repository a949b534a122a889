"""Tests of clients/python/ailab_log.py: the job_id line written under the job host, and the
existing API unchanged."""

import json
import os
import shutil
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

from ailab_log import RunLog  # noqa: E402


def read_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


class JobIdTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp()
        self.saved = os.environ.pop("AILAB_JOB_ID", None)

    def tearDown(self):
        os.environ.pop("AILAB_JOB_ID", None)
        if self.saved is not None:
            os.environ["AILAB_JOB_ID"] = self.saved
        shutil.rmtree(self.folder)

    def run_log(self, **keywords):
        with RunLog(self.folder, epochs=2, **keywords) as log:
            log.train(1, progress=0.5, step=1, loss=0.25)
            log.done(score=0.9)
        return read_lines(os.path.join(self.folder, "ailab.log"))

    def test_numeric_job_id_is_the_first_line(self):
        # Bad input: an id with spaces around it; it must still be written as a JSON number.
        os.environ["AILAB_JOB_ID"] = " 12 "
        lines = self.run_log()
        self.assertEqual(sorted(lines[0]), ["job_id", "timestamp"])
        self.assertIs(type(lines[0]["job_id"]), int)
        self.assertEqual(lines[0]["job_id"], 12)
        self.assertEqual([line.get("goal") for line in lines[1:]], ["train 1/2", "done"])
        self.assertTrue(all("job_id" not in line for line in lines[1:]))

    def test_other_job_id_is_kept_as_text(self):
        # Bad input: an id that is not a number (another host's naming).
        os.environ["AILAB_JOB_ID"] = "gpu-box/7"
        self.assertEqual(self.run_log()[0]["job_id"], "gpu-box/7")

    def test_no_job_no_line(self):
        # Bad input: an empty AILAB_JOB_ID, then none at all; the log must be as before.
        os.environ["AILAB_JOB_ID"] = ""
        lines = self.run_log()
        self.assertEqual([line.get("goal") for line in lines], ["train 1/2", "done"])
        self.assertEqual(lines[0]["loss"], 0.25)
        os.environ.pop("AILAB_JOB_ID")
        self.assertEqual(len(self.run_log(append=False)), 2)

    def test_explicit_job_id_wins_and_false_disables(self):
        # Bad input: an environment id that the caller overrides, and one the caller refuses.
        os.environ["AILAB_JOB_ID"] = "12"
        self.assertEqual(self.run_log(job_id=40)[0]["job_id"], 40)
        lines = self.run_log(append=False, job_id=False)
        self.assertEqual(len(lines), 2)
        self.assertNotIn("job_id", lines[0])


if __name__ == "__main__":
    unittest.main()
