"""Tests of clients/python/ailab_client.py: ignore rules against real `git check-ignore`, manifest
building on real files, durations, the credentials file, TLS pinning and an end-to-end run against
the real `ailab` binary (AILAB_BINARY, default build/ailab)."""

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

import ailab_client  # noqa: E402
from ailab_client import AILabError, IgnoreRules, parse_duration, scan_folder  # noqa: E402

GIT = shutil.which("git")


def git_environment(home):
    # No user or system git config may change what is ignored (core.excludesFile, ignorecase).
    return dict(
        os.environ,
        HOME=home,
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        LC_ALL="C",
    )


def write(path, text=""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def all_paths(root):
    """Every file, link and folder below root (not .git), '/'-separated, with is_folder."""
    found = []
    for folder, folders, files in os.walk(root):
        relative = os.path.relpath(folder, root).replace(os.sep, "/")
        relative = "" if relative == "." else relative
        if relative == ".git" or relative.startswith(".git/"):
            continue
        for name in folders:
            path = relative + "/" + name if relative else name
            if path != ".git":
                found.append((path, not os.path.islink(os.path.join(folder, name))))
        for name in files:
            found.append((relative + "/" + name if relative else name, False))
    return found


# The tricky tree: each line of the ignore files tries one rule of gitignore(5) that an ad-hoc
# matcher gets wrong (anchoring, folder-only, negation order, `**`, classes, escapes, trailing
# spaces, nested files, and a re-include under an excluded folder, which git refuses).
ROOT_GITIGNORE = "\n".join(
    [
        "# a comment, then a blank line",
        "",
        "\\#hash",
        "\\!bang",
        "*.log",
        "!keep.log",
        "/build",
        "dist/",
        "docs/**/*.tmp",
        "**/cache",
        "a/**/z",
        "logs/**",
        "!logs/important.txt",
        "excluded/",
        "!excluded/inside.txt",
        "data[0-9].csv",
        "file[!a-c].txt",
        "[[:upper:]]*.cfg",
        "trailing\\ ",
        "spaces   ",
        "foo/*.py",
        "?.q",
        "sub/deep/",
        "x[z-a]y",
        "mid*dle/",
        "lib/**",
        "!lib/",
        "!lib/**/",
        "!lib/**/*.so",
        "crlf.txt\r",
        "**/very/**/deep",
        "star*",
        "!starfish",
        "pre**/post",
    ]
) + "\n"

SUB_GITIGNORE = "*.txt\n!important.txt\n/only_here\nnested/\n!/build\n"

TREE_FILES = [
    "#hash",
    "!bang",
    "app.log",
    "keep.log",
    "sub/keep.log",
    "sub/other.log",
    "build/out.bin",
    "sub/build/out.bin",
    "dist",  # a file: `dist/` only matches folders
    "sub/dist/x",
    "docs/a.tmp",
    "docs/x/y/b.tmp",
    "docs/x/y/b.txt",
    "cache/c",
    "deep/er/cache/c",
    "a/z",
    "a/b/z",
    "a/b/c/z",
    "b/a/z",
    "logs/important.txt",
    "logs/other.txt",
    "logs/nested/important.txt",
    "excluded/inside.txt",
    "excluded/other.txt",
    "data1.csv",
    "datax.csv",
    "sub/data2.csv",
    "filed.txt",
    "filea.txt",
    "Upper.cfg",
    "lower.cfg",
    "trailing ",
    "trailing",
    "spaces",
    "foo/a.py",
    "foo/deeper/a.py",
    "sub/foo/a.py",
    "a.q",
    "ab.q",
    "sub/deep/file",
    "other/sub/deep/file",
    "xay",
    "middle/m",
    "midXdle",
    "lib/a.so",
    "lib/x/b.so",
    "lib/x/b.c",
    "crlf.txt",
    "very/deep",
    "q/very/r/s/deep",
    "starfish",
    "starling",
    "prefix/post",
    "pre/a/b/post",
    "sub/important.txt",
    "sub/notes.txt",
    "sub/only_here",
    "sub/x/only_here",
    "sub/nested/kept.py",
    "sub/x/nested/kept.py",
    "plain.py",
    "__pycache__/m.cpython-311.pyc",
    "pkg/__pycache__/m.pyc",
    "pkg/mod.pyc",
    "pkg/mod.py",
    ".venv/bin/python",
    "node_modules/x/index.js",
    "nb/.ipynb_checkpoints/a.ipynb",
]


@unittest.skipIf(GIT is None, "git is not installed: the ignore rules are compared with `git check-ignore`")
class IgnoreRulesAgainstGit(unittest.TestCase):
    def setUp(self):
        self.temporary = tempfile.mkdtemp()
        self.root = os.path.join(self.temporary, "repo")
        self.environment = git_environment(self.temporary)
        os.makedirs(self.root)
        subprocess.run([GIT, "init", "-q", self.root], check=True, env=self.environment)
        # The defaults, so that git and the client judge the same rules.
        write(os.path.join(self.root, ".git", "info", "exclude"), "\n".join(ailab_client.DEFAULT_IGNORES) + "\n")
        with open(os.path.join(self.root, ".gitignore"), "w", newline="") as handle:
            handle.write(ROOT_GITIGNORE)
        write(os.path.join(self.root, "sub", ".gitignore"), SUB_GITIGNORE)
        write(os.path.join(self.root, "sub", "nested", ".gitignore"), "!*\n")  # never read: excluded
        for path in TREE_FILES:
            write(os.path.join(self.root, path), path)

    def tearDown(self):
        shutil.rmtree(self.temporary)

    def git_ignored(self, paths):
        completed = subprocess.run(
            [GIT, "-C", self.root, "check-ignore", "--stdin", "-z"],
            input="\0".join(paths).encode() + b"\0",
            stdout=subprocess.PIPE,
            env=self.environment,
        )
        self.assertIn(completed.returncode, (0, 1), "git check-ignore failed")
        return set(part.decode() for part in completed.stdout.split(b"\0") if part)

    def client_rules(self):
        # Added parents before children, as a walk does (and as scan_folder does).
        rules = IgnoreRules()
        with open(os.path.join(self.root, ".gitignore"), "rb") as handle:
            rules.add("", handle.read())
        rules.add("sub", SUB_GITIGNORE)
        rules.add("sub/nested", "!*\n")
        return rules

    def test_every_path_is_judged_as_git_judges_it(self):
        # Bad input: the whole tricky tree; any path where the client and git disagree fails.
        paths = all_paths(self.root)
        expected = self.git_ignored([path for path, _ in paths])
        rules = self.client_rules()
        disagreements = []
        for path, is_folder in sorted(paths):
            mine = rules.ignored(path, is_folder)
            if mine != (path in expected):
                disagreements.append("%s%s: git %s, client %s" % (path, "/" if is_folder else "", path in expected, mine))
        self.assertEqual(disagreements, [])
        # The tree must really exercise both verdicts and the tricky cases.
        for path in ("keep.log", "logs/important.txt", "sub/important.txt", "dist", "lower.cfg", "starfish"):
            self.assertNotIn(path, expected)
        for path in ("excluded/inside.txt", "sub/nested/kept.py", "Upper.cfg", "trailing ", "a/b/c/z", "lib/x/b.c"):
            self.assertIn(path, expected)

    def test_random_patterns_agree_with_git(self):
        # Bad input: 150 seeded random ignore files built from glob pieces, negations, anchors,
        # folder-only marks and trailing spaces, in the root or a subfolder; the first path where
        # the client and git disagree is reported with its patterns.
        self.compare_random_patterns()

    def test_random_patterns_agree_with_git_without_backtracking(self):
        # Bad input: the same, with every pattern matched by the linear walk that guards against
        # hostile patterns (normally only those with three stars or more).
        saved = ailab_client._REGEX_MAX_STARS
        ailab_client._REGEX_MAX_STARS = -1
        try:
            self.compare_random_patterns()
        finally:
            ailab_client._REGEX_MAX_STARS = saved

    def test_hostile_patterns_finish(self):
        # Bad input: patterns whose backtracking match is exponential, on long paths.
        rules = IgnoreRules(defaults=False)
        rules.add("", "*a*a*a*a*a*a*a*a*a*b\n" + "/".join(["a", "**"] * 8) + "/b\n")
        started = time.monotonic()
        self.assertFalse(rules.ignored("a" * 4000, False))
        self.assertFalse(rules.ignored("/".join(["a"] * 40) + "/c", False))
        self.assertTrue(rules.ignored("/".join(["a"] * 40) + "/b", False))
        self.assertLess(time.monotonic() - started, 5)

    def compare_random_patterns(self):
        import random

        pieces = ["a", "b", "*", "**", "?", "/", "[ab]", "[!a]", "[a-b]", "\\*", "x", "\\ ", "[]a]", "[[:alpha:]]", "."]
        paths = all_paths(self.root)
        for seed in range(150):
            chooser = random.Random(seed)
            lines = []
            for _ in range(chooser.randint(1, 4)):
                body = "".join(chooser.choice(pieces) for _ in range(chooser.randint(1, 5)))
                lines.append(
                    chooser.choice(["", "", "!"])
                    + chooser.choice(["", "", "/", "**/"])
                    + body
                    + chooser.choice(["", "", "/", "/**", " "])
                )
            base = chooser.choice(["", "sub", "a"])
            text = "\n".join(lines) + "\n"
            for folder in ("", "sub", "a"):
                with open(os.path.join(self.root, folder, ".gitignore"), "w") as handle:
                    handle.write(text if folder == base else "")
            expected = self.git_ignored([path for path, _ in paths])
            rules = IgnoreRules()  # git has the defaults in .git/info/exclude
            rules.add(base, text)
            for path, is_folder in paths:
                if os.path.basename(path) == ".gitignore" or path.startswith("."):
                    continue
                if rules.ignored(path, is_folder) != (path in expected):
                    self.fail("seed %d, patterns %r in %r: %s%s: git says %s" % (
                        seed, lines, base, path, "/" if is_folder else "", path in expected))

    def test_scan_sends_exactly_what_git_calls_untracked(self):
        # Bad input: the same tree walked for real; the manifest must list the files git would add.
        os.symlink("plain.py", os.path.join(self.root, "link_to_plain"))
        completed = subprocess.run(
            [GIT, "-C", self.root, "ls-files", "--others", "--exclude-standard", "-z"],
            stdout=subprocess.PIPE,
            env=self.environment,
            check=True,
        )
        expected = set(part.decode() for part in completed.stdout.split(b"\0") if part)
        scan = scan_folder(self.root)
        self.assertEqual(set(entry["path"] for entry in scan.files), expected)
        self.assertGreater(scan.ignored, 10)

    def test_ailabignore_is_read_after_gitignore_and_can_re_include(self):
        # Bad input: a .gitignore that drops what the job needs, put back by .ailabignore; and an
        # .ailabignore that drops a data folder git would keep.
        write(os.path.join(self.root, ".ailabignore"), "!app.log\nsub/data2.csv\n")
        paths = set(entry["path"] for entry in scan_folder(self.root).files)
        self.assertIn("app.log", paths)
        self.assertNotIn("sub/data2.csv", paths)
        self.assertNotIn("sub/other.log", paths)


class IgnoreRulesUnit(unittest.TestCase):
    def test_defaults(self):
        # Bad input: each default in a nested place; and names that only resemble them.
        rules = IgnoreRules()
        self.assertTrue(rules.ignored(".git", True))
        self.assertTrue(rules.ignored("a/b/__pycache__", True))
        self.assertTrue(rules.ignored("a/b/m.pyc", False))
        self.assertTrue(rules.ignored("x/.venv/lib/site.py", False))
        self.assertTrue(rules.ignored("web/node_modules", True))
        self.assertTrue(rules.ignored("nb/.ipynb_checkpoints", True))
        self.assertFalse(rules.ignored("a/m.pyc.txt", False))
        self.assertFalse(rules.ignored("venv", True))
        self.assertFalse(IgnoreRules(defaults=False).ignored(".git", True))

    def test_deeper_file_wins_and_later_line_wins(self):
        # Bad input: a child re-including what its parent excludes, and a later line undoing an earlier one.
        rules = IgnoreRules(defaults=False)
        rules.add("", "*.csv\n")
        rules.add("data", "!keep.csv\n")
        rules.add("", "!late.csv\n")
        self.assertTrue(rules.ignored("data/other.csv", False))
        self.assertFalse(rules.ignored("data/keep.csv", False))
        self.assertFalse(rules.ignored("late.csv", False))
        self.assertTrue(rules.ignored("keep.csv", False))  # the child's rule stays in its folder

    def test_broken_patterns_match_nothing(self):
        # Bad input: an unterminated class, an unknown [:class:], a lone trailing backslash.
        rules = IgnoreRules(defaults=False)
        rules.add("", "[abc\n[[:nope:]]x\nend\\\n")
        for path in ("[abc", "a", "x", "end", "end\\"):
            self.assertFalse(rules.ignored(path, False), path)


class ManifestTests(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.root)

    def test_entries_modes_hashes_and_links(self):
        # Bad input: an executable, a read-only file, an empty file, two files with the same
        # bytes, links to a file, to a folder, dangling, and a FIFO (not a file: skipped).
        write(os.path.join(self.root, "run.sh"), "#!/bin/sh\necho hi\n")
        os.chmod(os.path.join(self.root, "run.sh"), 0o755)
        write(os.path.join(self.root, "ro.txt"), "same")
        os.chmod(os.path.join(self.root, "ro.txt"), 0o444)
        write(os.path.join(self.root, "copy/ro.txt"), "same")
        write(os.path.join(self.root, "empty"), "")
        os.symlink("../run.sh", os.path.join(self.root, "copy", "run_link"))
        os.symlink("copy", os.path.join(self.root, "folder_link"))
        os.symlink("missing/file", os.path.join(self.root, "dangling"))
        os.mkfifo(os.path.join(self.root, "pipe"))
        scan = scan_folder(self.root)
        by_path = dict((entry["path"], entry) for entry in scan.files)
        self.assertEqual(
            sorted(by_path), ["copy/ro.txt", "copy/run_link", "dangling", "empty", "folder_link", "ro.txt", "run.sh"]
        )
        self.assertEqual([entry["path"] for entry in scan.files], sorted(by_path))
        self.assertEqual(by_path["run.sh"]["mode"], 0o755)
        self.assertEqual(by_path["ro.txt"]["mode"], 0o444)
        self.assertEqual(by_path["run.sh"]["size"], len("#!/bin/sh\necho hi\n"))
        self.assertEqual(by_path["ro.txt"]["hash"], hashlib.blake2b(b"same", digest_size=32).hexdigest())
        self.assertEqual(by_path["ro.txt"]["hash"], by_path["copy/ro.txt"]["hash"])
        self.assertEqual(by_path["empty"]["hash"], hashlib.blake2b(b"", digest_size=32).hexdigest())
        self.assertEqual(by_path["copy/run_link"], {"path": "copy/run_link", "link": "../run.sh"})
        self.assertEqual(by_path["folder_link"], {"path": "folder_link", "link": "copy"})
        self.assertEqual(scan.skipped, 1)
        self.assertEqual(len(scan.absolute_paths), 3)  # run.sh, the shared "same", empty

    def test_known_hash_value(self):
        # Bad input: none; pins the hash to the value the C++ side (libsodium) gives for "abc".
        self.assertEqual(
            ailab_client.hash_bytes(b"abc"),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
        )

    def test_link_leaving_the_folder_is_an_error_naming_it(self):
        # Bad input: links that escape by `..`, by an absolute path, and through a nested folder.
        for target, name in (("../outside", "up"), ("/etc/passwd", "absolute"), ("../../x", "deep/escape")):
            with self.subTest(target=target):
                shutil.rmtree(self.root)
                os.makedirs(os.path.join(self.root, "deep"))
                os.symlink(target, os.path.join(self.root, name))
                with self.assertRaises(AILabError) as caught:
                    scan_folder(self.root)
                self.assertIn(os.path.join(self.root, name), str(caught.exception))
                self.assertIn(target, str(caught.exception))

    def test_ignored_escaping_link_is_no_error(self):
        # Bad input: an escaping link that the user chose to leave out.
        os.symlink("/etc", os.path.join(self.root, "system"))
        write(os.path.join(self.root, ".ailabignore"), "system\n")
        self.assertEqual([entry["path"] for entry in scan_folder(self.root).files], [".ailabignore"])

    def test_ignore_file_that_is_a_link_is_not_followed(self):
        # Bad input: a .gitignore that is a symbolic link (git 2.32+ does not follow it either).
        write(os.path.join(self.root, "rules"), "*.x\n")
        os.symlink("rules", os.path.join(self.root, ".gitignore"))
        write(os.path.join(self.root, "a.x"), "")
        paths = [entry["path"] for entry in scan_folder(self.root).files]
        self.assertEqual(paths, [".gitignore", "a.x", "rules"])

    def test_link_stays_inside(self):
        # Bad input: targets that climb back inside, climb out, or are empty.
        self.assertTrue(ailab_client.link_stays_inside("a/b/link", "../c"))
        self.assertTrue(ailab_client.link_stays_inside("a/link", "../x/./y"))
        self.assertFalse(ailab_client.link_stays_inside("a/link", "../../x"))
        self.assertFalse(ailab_client.link_stays_inside("link", "x/../../y"))
        self.assertFalse(ailab_client.link_stays_inside("link", ""))

    def test_git_state_of_a_dirty_repository(self):
        # Bad input: a repository with a commit, an uncommitted edit and a diff over the cut size.
        if GIT is None:
            self.skipTest("git is not installed")
        environment = git_environment(self.root)
        environment.update(
            GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@x"
        )
        repo = os.path.join(self.root, "repo")
        os.makedirs(repo)
        subprocess.run([GIT, "init", "-q", "-b", "main", repo], check=True, env=environment)
        write(os.path.join(repo, "a.txt"), "one\n")
        subprocess.run([GIT, "-C", repo, "add", "a.txt"], check=True, env=environment)
        subprocess.run([GIT, "-C", repo, "commit", "-q", "-m", "c"], check=True, env=environment)
        head = subprocess.run([GIT, "-C", repo, "rev-parse", "HEAD"], stdout=subprocess.PIPE, env=environment)
        saved = dict(os.environ)
        os.environ.update(environment)
        try:
            clean = ailab_client.git_state(repo)
            write(os.path.join(repo, "a.txt"), "two\n" * 5000)
            dirty = ailab_client.git_state(repo, max_diff_bytes=1000)
            outside = ailab_client.git_state(tempfile.gettempdir())
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.assertEqual(clean["commit"], head.stdout.decode().strip())
        self.assertEqual(clean["branch"], "main")
        self.assertFalse(clean["dirty"])
        self.assertEqual(clean["diff"], "")
        self.assertTrue(dirty["dirty"])
        self.assertTrue(dirty["diff"].startswith("diff --git a/a.txt b/a.txt"))
        self.assertLessEqual(len(dirty["diff"].encode()), 1000)
        self.assertIn("diff cut at 1000 bytes", dirty["diff"])
        self.assertIsNone(outside)
        # Never commits: still one commit.
        count = subprocess.run([GIT, "-C", repo, "rev-list", "--count", "HEAD"], stdout=subprocess.PIPE, env=environment)
        self.assertEqual(count.stdout.strip(), b"1")


class DurationTests(unittest.TestCase):
    def test_accepted_forms(self):
        # Bad input: fractions (rounded up) and mixed units.
        cases = {
            "90": 90,
            "90s": 90,
            "15m": 900,
            "2h": 7200,
            "1.5h": 5400,
            "1d": 86400,
            "1h30m": 5400,
            "1d2h3m4s": 93784,
            "1:30:00": 5400,
            "2:30": 150,
            " 2H ": 7200,
            "0.1": 1,
            2.5: 3,
        }
        for text, seconds in cases.items():
            with self.subTest(text=text):
                self.assertEqual(parse_duration(text), seconds)

    def test_refused_forms(self):
        # Bad input: empty, zero, negative, unknown units, repeated units, junk.
        for text in ("", "0", "0s", "-5m", "5x", "h", "1h1h", "1:99", "2 hours", "nan", "inf", 0, -1, True):
            with self.subTest(text=text):
                with self.assertRaises(ValueError):
                    parse_duration(text)


class CredentialsTests(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp()
        self.saved = os.environ.get("XDG_CONFIG_HOME")
        os.environ["XDG_CONFIG_HOME"] = os.path.join(self.home, "config")

    def tearDown(self):
        if self.saved is None:
            os.environ.pop("XDG_CONFIG_HOME", None)
        else:
            os.environ["XDG_CONFIG_HOME"] = self.saved
        shutil.rmtree(self.home)

    def test_file_is_0600_in_xdg_config_home(self):
        # Bad input: a permissive umask and an existing file readable by others, then a rewrite.
        path = ailab_client.credentials_path()
        self.assertEqual(path, os.path.join(self.home, "config", "ailab", "credentials.json"))
        old_umask = os.umask(0)
        try:
            write(path, "{}")
            os.chmod(path, 0o644)
            data = {"default": "http://a:1", "servers": {"http://a:1": {"user": "u", "token": "t"}}}
            ailab_client.save_credentials(data)
        finally:
            os.umask(old_umask)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(ailab_client.load_credentials(), data)
        self.assertEqual(os.listdir(os.path.dirname(path)), ["credentials.json"])  # no temporary left

    def test_missing_and_broken_files(self):
        # Bad input: no file (an empty default), then a file that is not JSON.
        self.assertEqual(ailab_client.load_credentials(), {"default": None, "servers": {}})
        write(ailab_client.credentials_path(), "not json")
        with self.assertRaises(AILabError):
            ailab_client.load_credentials()
        with self.assertRaises(AILabError) as caught:
            ailab_client.Client()
        self.assertIn("credentials.json", str(caught.exception))

    def test_client_without_login_says_what_to_do(self):
        # Bad input: no login at all, and a login whose token has expired.
        with self.assertRaises(AILabError) as caught:
            ailab_client.Client()
        self.assertIn("ailab login", str(caught.exception))
        ailab_client.save_credentials(
            {"default": "http://h:1", "servers": {"http://h:1": {"user": "u", "token": "t", "expires_at": 1.0}}}
        )
        with self.assertRaises(AILabError) as caught:
            ailab_client.Client()
        self.assertIn("expired", str(caught.exception))

    def test_url_and_fingerprint_normalisation(self):
        # Bad input: upper case, trailing slashes, colons; and URLs/fingerprints that are wrong.
        self.assertEqual(ailab_client.normalize_url("HTTPS://GPU-Box:12345/"), "https://gpu-box:12345")
        self.assertEqual(ailab_client.normalize_url("http://[::1]:80"), "http://[::1]:80")
        for url in ("gpu-box:12345", "ftp://x", "http://x/api", "http://x:99999"):
            with self.assertRaises(AILabError):
                ailab_client.normalize_url(url)
        digest = "ab" * 32
        self.assertEqual(ailab_client.normalize_fingerprint(":".join(["AB"] * 32)), digest)
        for text in ("ab" * 31, "zz" * 32):
            with self.assertRaises(AILabError):
                ailab_client.normalize_fingerprint(text)


class CommandLineTests(unittest.TestCase):
    def test_flags_after_the_double_dash_belong_to_the_job(self):
        # Bad input: job arguments that look like the client's own flags (-f, --gpus).
        parser = ailab_client._build_parser()
        arguments = parser.parse_args(["submit", "--gpus", "1", "--env", "A=1", "--", "python", "x.py", "-f", "--gpus", "2"])
        self.assertEqual(arguments.gpus, 1)
        self.assertFalse(arguments.follow)
        self.assertEqual(arguments.job_command, ["--", "python", "x.py", "-f", "--gpus", "2"])
        self.assertEqual(ailab_client._parse_env(["A=1", "B=x=y", "C="]), {"A": "1", "B": "x=y", "C": ""})
        for bad in (["NOVALUE"], ["=v"]):
            with self.assertRaises(AILabError):
                ailab_client._parse_env(bad)
        self.assertEqual(ailab_client._parse_gpu_ids("0,2"), [0, 2])
        with self.assertRaises(AILabError):
            ailab_client._parse_gpu_ids("0,x")

    def test_errors_exit_1_with_a_message(self):
        # Bad input: submit before any login, and a duration that is not one.
        saved = os.environ.get("XDG_CONFIG_HOME")
        home = tempfile.mkdtemp()
        os.environ["XDG_CONFIG_HOME"] = home
        saved_stderr = sys.stderr
        sys.stderr = io.StringIO()
        try:
            self.assertEqual(ailab_client.main(["submit", "--", "true"]), 1)
            self.assertIn("ailab login", sys.stderr.getvalue())
            ailab_client.save_credentials({"default": "http://127.0.0.1:9", "servers": {"http://127.0.0.1:9": {"token": "t"}}})
            self.assertEqual(ailab_client.main(["submit", "--time", "soon", "--", "true"]), 1)
            self.assertIn("--time", sys.stderr.getvalue())
        finally:
            sys.stderr = saved_stderr
            if saved is None:
                os.environ.pop("XDG_CONFIG_HOME", None)
            else:
                os.environ["XDG_CONFIG_HOME"] = saved
            shutil.rmtree(home)

    def test_sweeps_expand_like_the_binarys(self):
        # The same jobs, names and refusals as `ailab submit --sweep` (tests/unit/client).
        self.assertEqual(ailab_client.parse_sweep("lr=0.1,0.01"), ("lr", ["0.1", "0.01"]))
        self.assertEqual(ailab_client.parse_sweep("seed=1,x=y z"), ("seed", ["1", "x=y z"]))
        jobs = ailab_client.expand_sweeps(
            ["python", "train.py", "--lr", "{lr}", "--bs={bs}"],
            [("lr", ["0.1", "0.01"]), ("bs", ["32", "64", "128"])],
            env={"LR": "{lr}", "FIXED": "1"})
        self.assertEqual(len(jobs), 6)
        self.assertEqual(jobs[0]["command"], ["python", "train.py", "--lr", "0.1", "--bs=32"])
        self.assertEqual([job["name"] for job in jobs[:4]],
                         ["python lr=0.1 bs=32", "python lr=0.1 bs=64", "python lr=0.1 bs=128", "python lr=0.01 bs=32"])
        self.assertEqual(jobs[5]["env"], {"LR": "0.01", "FIXED": "1"})
        named = ailab_client.expand_sweeps(["x", "{lr}{bs}"], [("lr", ["1"]), ("bs", ["2", "3"])], name="run-{lr}-{bs}")
        self.assertEqual([job["name"] for job in named], ["run-1-2", "run-1-3"])
        partly = ailab_client.expand_sweeps(["x", "{lr}{bs}"], [("lr", ["1"]), ("bs", ["2"])], name="run-{lr}")
        self.assertEqual(partly[0]["name"], "run-1 lr=1 bs=2")
        # Bad input: no '=', a bad name, no values, an empty value, a value twice, a name twice,
        # a placeholder that is nowhere, more combinations than one batch takes.
        for bad, words in (("a", "NAME=V1,V2"), ("1a=x", "bad --sweep name"), ("a=", "has no values"),
                           ("a=1,,2", "empty value"), ("a=1,", "empty value"), ("a=1,2,1", "twice")):
            with self.assertRaises(AILabError) as caught:
                ailab_client.parse_sweep(bad)
            self.assertIn(words, str(caught.exception))
        for sweeps, words in (([("a", ["1"]), ("a", ["2"])], "given twice"), ([("b", ["1", "2"])], "{b} is in neither"),
                              ([("a", [str(i) for i in range(40)]), ("b", [str(i) for i in range(26)])], "more than 1000")):
            with self.assertRaises(AILabError) as caught:
                ailab_client.expand_sweeps(["echo", "{a}{b}" if len(sweeps) > 1 else "{a}"], sweeps)
            self.assertIn(words, str(caught.exception))
        self.assertEqual(len(ailab_client.expand_sweeps(["echo", "{a}{b}"], [("a", [str(i) for i in range(40)]),
                                                                            ("b", [str(i) for i in range(25)])])), 1000)

    def test_exit_status_mirrors_the_job(self):
        # Bad input: a failed job, a killed job, a cancelled queued job (no code, no signal).
        self.assertEqual(ailab_client._exit_status({"state": "done", "exit_code": 0}), 0)
        self.assertEqual(ailab_client._exit_status({"state": "failed", "exit_code": 3}), 3)
        self.assertEqual(ailab_client._exit_status({"state": "failed", "exit_code": None, "signal": 9}), 137)
        self.assertEqual(ailab_client._exit_status({"state": "cancelled", "exit_code": None, "signal": None}), 1)


# --------------------------------------------------------------------------------------------
# Against the real server
# --------------------------------------------------------------------------------------------


def find_binary():
    binary = os.environ.get("AILAB_BINARY") or os.path.join(ROOT, "build", "ailab")
    return binary if os.path.isfile(binary) and os.access(binary, os.X_OK) else None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """The real `ailab` on loopback with a config from `ailab init-config`."""

    def __init__(self, binary, folder, tls=False):
        self.folder = folder
        self.port = free_port()
        config = os.path.join(folder, "config.json")
        written = subprocess.run(
            [
                binary,
                "init-config",
                config,
                "--results",
                os.path.join(folder, "lab", "results"),
                "--state",
                os.path.join(folder, "lab", "state"),
                "--port",
                str(self.port),
            ],
            stdout=subprocess.PIPE,
            check=True,
        ).stdout.decode()
        self.password = re.search(r"password: (\S+)", written).group(1)
        if tls:
            with open(config) as handle:
                data = json.load(handle)
            data["tls"] = "auto"
            with open(config, "w") as handle:
                json.dump(data, handle)
        self.scheme = "https" if tls else "http"
        self.url = "%s://127.0.0.1:%d" % (self.scheme, self.port)
        self.log = open(os.path.join(folder, "server.log"), "wb")
        self.process = subprocess.Popen([binary, "serve", config], stdout=self.log, stderr=subprocess.STDOUT)
        context = ssl._create_unverified_context() if tls else None
        deadline = time.monotonic() + 20
        while True:
            try:
                import urllib.request

                with urllib.request.urlopen(self.url + "/api/v1/health", timeout=2, context=context) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                with open(os.path.join(folder, "server.log"), "rb") as handle:
                    raise RuntimeError("the server did not start: " + handle.read().decode(errors="replace"))
            time.sleep(0.05)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@unittest.skipIf(find_binary() is None, "no ailab binary (set AILAB_BINARY or build build/ailab)")
class AgainstServer(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp()
        self.saved = os.environ.get("XDG_CONFIG_HOME")
        os.environ["XDG_CONFIG_HOME"] = os.path.join(self.folder, "client_config")
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.stop()
        if self.saved is None:
            os.environ.pop("XDG_CONFIG_HOME", None)
        else:
            os.environ["XDG_CONFIG_HOME"] = self.saved
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self, tls=False):
        server = Server(find_binary(), self.folder if not self.servers else tempfile.mkdtemp(dir=self.folder), tls)
        self.servers.append(server)
        return server

    def test_tls_fingerprint_pinning(self):
        # Bad input: a self-signed certificate with no trust given, a wrong pinned fingerprint and
        # a wrong password; then the right fingerprint (written with colons, as the server logs it).
        server = self.start(tls=True)
        with open(os.path.join(self.folder, "lab", "state", "tls", "cert.pem")) as handle:
            der = ssl.PEM_cert_to_DER_cert(handle.read())
        fingerprint = hashlib.sha256(der).hexdigest()
        with self.assertRaises(AILabError) as caught:
            ailab_client.login(server.url, "admin", server.password)
        self.assertIn(fingerprint, str(caught.exception))  # says what to compare with the log
        with self.assertRaises(AILabError) as caught:
            ailab_client.login(server.url, "admin", server.password, fingerprint="00" * 32)
        self.assertIn("refusing", str(caught.exception))
        self.assertFalse(os.path.exists(ailab_client.credentials_path()))
        with self.assertRaises(AILabError) as caught:
            ailab_client.login(server.url, "admin", "wrong", insecure=True)
        self.assertEqual(caught.exception.status, 401)
        with_colons = ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
        client = ailab_client.login(server.url, "admin", server.password, fingerprint=with_colons)
        self.assertEqual(client.fingerprint, fingerprint)
        stored = ailab_client.load_credentials()
        self.assertEqual(stored["default"], server.url)
        self.assertEqual(stored["servers"][server.url]["fingerprint"], fingerprint)
        self.assertFalse(stored["servers"][server.url]["insecure"])
        self.assertEqual(stat.S_IMODE(os.stat(ailab_client.credentials_path()).st_mode), 0o600)
        # The stored pin is used by a later Client: an authenticated request goes through.
        with ailab_client.Client() as later:
            status, _, _ = later._request("GET", "/info")
        self.assertEqual(status, 200)
        client.close()

    def has_jobs(self, client):
        routes = client._json("GET", "/routes")["routes"]
        return any(route.get("path") == "/api/v1/jobs" for route in routes)

    def job_client(self):
        """A started server and a client logged in to it; the test is skipped without a job host."""
        server = self.start()
        client = ailab_client.login(server.url, "admin", server.password)
        self.addCleanup(client.close)
        if not self.has_jobs(client):
            self.skipTest("this ailab binary has no /api/v1/jobs route yet (the job host is not built in)")
        return server, client

    def test_submit_follow_and_resync(self):
        # Bad input: none on purpose; checks the whole path: login through the command line with
        # --password-stdin, sync, submit, follow to the end, exit code, then a resync after one edit.
        server = self.start()
        saved_stdin = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO((server.password + "\n").encode()))
        try:
            self.assertEqual(ailab_client.main(["login", server.url, "--user", "admin", "--password-stdin"]), 0)
        finally:
            sys.stdin = saved_stdin
        client = ailab_client.Client()
        self.addCleanup(client.close)
        if not self.has_jobs(client):
            self.skipTest("this ailab binary has no /api/v1/jobs route yet (the job host is not built in)")
        project = os.path.join(self.folder, "project")
        write(os.path.join(project, "main.py"), "import sys\nprint('hello from the job')\nsys.exit(3)\n")
        for index in range(20):
            write(os.path.join(project, "pkg", "m%02d.py" % index), "VALUE = %d\n" % index)
        write(os.path.join(project, ".gitignore"), "*.ckpt\n")
        write(os.path.join(project, "model.ckpt"), "x" * 1000)
        job = client.submit(command=[sys.executable, "main.py"], dir=project, gpus=0, name="py-client")
        self.assertEqual(job["name"], "py-client")
        self.assertEqual(client.last_sync["files"], 22)  # main.py, 20 modules, .gitignore; no ckpt
        self.assertEqual(client.last_sync["uploaded_files"], 22)
        output = b"".join(client.logs(job["id"], follow=True))
        self.assertEqual(output, b"hello from the job\n")
        ended = client.job(job["id"])
        self.assertEqual(ended["state"], "failed")
        self.assertEqual(ended["exit_code"], 3)
        self.assertEqual(ended["sync"]["files"], 22)
        # One edited file: one blob goes up, and the new job sees the edit.
        write(os.path.join(project, "main.py"), "print('edited')\n")
        second = client.submit(command=[sys.executable, "main.py"], dir=project, gpus=0)
        self.assertEqual(client.last_sync["uploaded_files"], 1)
        self.assertEqual(b"".join(client.logs(second["id"], follow=True)), b"edited\n")
        self.assertEqual(client.job(second["id"])["state"], "done")
        self.assertEqual(client.job(second["id"])["sync"]["uploaded_files"], 1)
        # The listing, the command line's exit status and restart.
        self.assertIn(second["id"], [listed["id"] for listed in client.jobs()])
        restarted = client.restart(job["id"])
        self.assertNotEqual(restarted["id"], job["id"])
        self.assertEqual(ailab_client.main(["logs", "-f", str(restarted["id"])]), 3)
        with self.assertRaises(AILabError) as caught:
            client.job(999999)
        self.assertEqual(caught.exception.status, 404)

    def test_a_sweep_is_one_sync_and_one_batch(self):
        # Bad input: a sweep the server refuses (an unknown dependency) stores none of its jobs.
        server, client = self.job_client()
        project = os.path.join(self.folder, "swept")
        write(os.path.join(project, "data.txt"), "data\n")
        jobs = client.submit_sweep(["sh", "-c", "echo lr=$0 seed=$SEED; cat data.txt", "{lr}"],
                                   {"lr": ["0.1", "0.01"], "seed": [1, 2]}, dir=project, env={"SEED": "{seed}"}, gpus=0)
        self.assertEqual(client.last_sync["files"], 1)
        self.assertEqual([job["id"] for job in jobs], list(range(jobs[0]["id"], jobs[0]["id"] + 4)))
        self.assertEqual(len({job["snapshot"] for job in jobs}), 1)
        expected = ["lr=0.1 seed=1", "lr=0.1 seed=2", "lr=0.01 seed=1", "lr=0.01 seed=2"]
        for job, words in zip(jobs, expected):
            self.assertEqual(job["name"], "sh " + words)
            self.assertEqual(b"".join(client.logs(job["id"], follow=True)), (words + "\ndata\n").encode())
            self.assertEqual(client.job(job["id"])["state"], "done")
        # The command line: the ids alone on stdout; --follow with a sweep is refused.
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = ailab_client.main(["submit", "--server", server.url, "--gpus", "0", "--dir", project,
                                        "--sweep", "a=x,y", "--", "echo", "{a}"])
        self.assertEqual(status, 0, err.getvalue())
        ids = [int(line) for line in out.getvalue().split()]
        self.assertEqual(len(ids), 2)
        self.assertIn("2 jobs submitted", err.getvalue())
        self.assertEqual(b"".join(client.logs(ids[1], follow=True)), b"y\n")
        with contextlib.redirect_stderr(io.StringIO()) as refused:
            self.assertEqual(ailab_client.main(["submit", "--server", server.url, "--follow", "--sweep", "a=1,2", "--",
                                                "echo", "{a}"]), 1)
        self.assertIn("--follow", refused.getvalue())
        before = len(client.jobs(limit=1000))
        with self.assertRaises(AILabError) as caught:
            client.submit_sweep(["echo", "{a}"], {"a": [1, 2]}, dir=None, after=[999999])
        self.assertEqual(caught.exception.status, 400)
        self.assertEqual(len(client.jobs(limit=1000)), before)

    def test_cancel_a_running_job(self):
        # Bad input: a job that would run for a minute; cancel must end it quickly.
        server, client = self.job_client()
        job = client.submit(command=["sh", "-c", "echo started; sleep 60"], dir=None, gpus=0)
        stream = client.logs(job["id"], follow=True)
        self.assertEqual(next(stream), b"started\n")
        client.cancel(job["id"])
        started = time.monotonic()
        self.assertEqual(b"".join(stream), b"")
        self.assertLess(time.monotonic() - started, 30)
        self.assertEqual(client.job(job["id"])["state"], "cancelled")


if __name__ == "__main__":
    unittest.main()
