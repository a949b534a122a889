#!/usr/bin/env python3
"""ailab_client: submit jobs to an AI Lab job host from any machine with Python 3.8+.

One file, standard library only: the same commands and the same code sync as the `ailab` binary,
for laptops where the Linux binary does not run (macOS) and for notebooks.

As a script::

    python3 ailab_client.py login https://gpu-box:12345          # asks user and password
    python3 ailab_client.py submit --gpus 1 --follow -- python train.py --lr 0.1
    python3 ailab_client.py jobs [--all] [--json]
    python3 ailab_client.py logs [-f] 12
    python3 ailab_client.py cancel 12 13
    python3 ailab_client.py restart 12

As a module::

    from ailab_client import Client
    client = Client()                                # the default server of `login`
    job = client.submit(command=["python", "train.py"], dir=".", gpus=1)
    for chunk in client.logs(job["id"], follow=True):
        print(chunk.decode(errors="replace"), end="")

Credentials live in $XDG_CONFIG_HOME/ailab/credentials.json (default ~/.config/ailab/), mode
0600, shared with the `ailab` binary: {"default": URL, "servers": {URL: {"user", "token",
"expires_at", "insecure", "fingerprint"}}}. A server's URL is stored normalised: scheme and host in
lower case, no path, no trailing slash. A fingerprint is the SHA-256 of the server certificate (DER)
as 64 lower-case hex digits; it is accepted in any case, with or without colons.

Code sync (docs/API.md "Code sync"): the folder is walked with git's ignore rules (.gitignore and
.ailabignore in every folder, plus the defaults .git, __pycache__, *.pyc, .ipynb_checkpoints, .venv,
node_modules), every file is hashed with BLAKE2b-256, the manifest goes to the server, only the
blobs it lacks are uploaded, and a snapshot is made with the folder's git state (commit, branch,
dirty flag, `git diff HEAD` cut at 1 MiB). Nothing is ever committed on the user's behalf.
"""

import argparse
import concurrent.futures
import datetime
import getpass
import hashlib
import itertools
import http.client
import json
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
import urllib.parse

__all__ = [
    "Client",
    "AILabError",
    "IgnoreRules",
    "scan_folder",
    "git_state",
    "parse_duration",
    "login",
    "load_credentials",
    "save_credentials",
    "credentials_path",
    "main",
]

API = "/api/v1"
DEFAULT_IGNORES = (".git", "__pycache__", "*.pyc", ".ipynb_checkpoints", ".venv", "node_modules")
IGNORE_FILES = (".gitignore", ".ailabignore")  # read in this order in every folder
MAX_DIFF_BYTES = 1 << 20
OUTPUT_CHUNK_BYTES = 1 << 20
POLL_INTERVAL_S = 0.5
UPLOAD_CONNECTIONS = 4
HASH_THREADS = 4
MAX_PATTERN_BYTES = 4096
_REGEX_MAX_STARS = 2  # patterns with more stars are matched without backtracking (tests set -1)
ENDED_STATES = ("done", "failed", "cancelled")


class AILabError(Exception):
    """An expected failure (bad input, a refused request, an unreachable server), with a message
    meant for the user. `status` is the HTTP status when a server answered, else None."""

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.status = status
        self.body = body


# --------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smhd])")


def parse_duration(text):
    """Seconds (an int, rounded up) from "90", "90s", "15m", "2h", "1.5h", "1d", "1h30m" or
    "H:MM:SS"/"MM:SS". Raises ValueError for anything else, and for zero or negative durations."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        spelled = str(text).strip().lower()
        seconds = None
        if re.fullmatch(r"\d+(?:\.\d*)?|\.\d+", spelled):
            seconds = float(spelled)
        elif re.fullmatch(r"\d+(?::[0-5]\d){1,2}", spelled):
            seconds = 0.0
            for part in spelled.split(":"):
                seconds = seconds * 60 + int(part)
        elif spelled and re.fullmatch(r"(?:(?:\d+(?:\.\d*)?|\.\d+)[smhd])+", spelled):
            units = [unit for _, unit in _DURATION_PART.findall(spelled)]
            if len(set(units)) == len(units):  # "1h2h" is a typo, not three hours
                seconds = sum(float(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART.findall(spelled))
        if seconds is None:
            raise ValueError("%r is not a duration (examples: 90s, 15m, 2h, 1h30m, 1d, 1:30:00)" % (text,))
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise ValueError("a duration must be more than zero, got %r" % (text,))
    whole = int(seconds)
    return whole if whole == seconds else whole + 1


# --------------------------------------------------------------------------------------------
# Ignore rules (gitignore(5), as git's dir.c and wildmatch.c apply them)
# --------------------------------------------------------------------------------------------

_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "\\x21-\\x7e",
    "lower": "a-z",
    "print": "\\x20-\\x7e",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


class _NeverMatches(Exception):
    """A pattern git's wildmatch aborts on (an unterminated class, an unknown [:class:], a
    trailing backslash): it matches nothing."""


def _translate_class(pattern, start):
    """The regex for the bracket expression at pattern[start] == '[', and the index after it."""
    index = start + 1
    negated = False
    if index < len(pattern) and pattern[index] in "!^":
        negated = True
        index += 1
    members = []
    previous = None  # the last single character, which a following '-' makes a range start
    first = True
    while True:
        if index >= len(pattern):
            raise _NeverMatches()
        char = pattern[index]
        if char == "]" and not first:
            index += 1
            break
        first = False
        if char == "\\":
            index += 1
            if index >= len(pattern):
                raise _NeverMatches()
            char = pattern[index]
            members.append(re.escape(char))
            previous = char
            index += 1
        elif char == "-" and previous is not None and index + 1 < len(pattern) and pattern[index + 1] != "]":
            index += 1
            end = pattern[index]
            if end == "\\":
                index += 1
                if index >= len(pattern):
                    raise _NeverMatches()
                end = pattern[index]
            # git matched the start character on its own already; a reversed range adds nothing.
            if ord(end) >= ord(previous):
                members.append("%s-%s" % (re.escape(previous), re.escape(end)))
            previous = None
            index += 1
        elif char == "[" and index + 1 < len(pattern) and pattern[index + 1] == ":":
            close = pattern.find(":]", index + 2)
            if close < 0:  # git: no ":]", so the '[' is an ordinary member
                members.append(re.escape("["))
                previous = "["
                index += 1
                continue
            name = pattern[index + 2 : close]
            if name not in _POSIX_CLASSES:
                raise _NeverMatches()
            members.append(_POSIX_CLASSES[name])
            previous = None
            index = close + 2
        else:
            members.append(re.escape(char))
            previous = char
            index += 1
    body = "".join(members)
    if negated:
        return ("[^/%s]" % body), index
    if not body:
        return "(?!)", index
    return "(?:(?!/)[%s])" % body, index


def _wildmatch_tokens(pattern, pathname):
    """git's wildmatch(pattern, text, pathname ? WM_PATHNAME : 0) as a list of tokens:
    ("one", regex of one character), ("star", "[^/]*" or ".*"), ("folders", "(?:.*/)?")."""
    tokens = []
    index = 0
    length = len(pattern)
    while index < length:
        char = pattern[index]
        if char == "\\":
            index += 1
            if index >= length:
                raise _NeverMatches()
            tokens.append(("one", re.escape(pattern[index])))
            index += 1
        elif char == "?":
            tokens.append(("one", "[^/]" if pathname else "."))
            index += 1
        elif char == "[":
            regex, index = _translate_class(pattern, index)
            tokens.append(("one", regex))
        elif char == "*":
            run_start = index
            while index < length and pattern[index] == "*":
                index += 1
            if not pathname:
                tokens.append(("star", ".*"))
                continue
            double = index - run_start >= 2
            after_slash = run_start == 0 or pattern[run_start - 1] == "/"
            at_end = index == length
            before_slash = not at_end and (
                pattern[index] == "/" or (pattern[index] == "\\" and index + 1 < length and pattern[index + 1] == "/")
            )
            if double and after_slash and (at_end or before_slash):
                if at_end:
                    tokens.append(("star", ".*"))
                else:
                    # "**/" (at the start or after a '/') matches zero or more whole folders.
                    index += 1 if pattern[index] == "/" else 2
                    tokens.append(("folders", "(?:.*/)?"))
            else:
                tokens.append(("star", "[^/]*"))
        else:
            tokens.append(("one", re.escape(char)))
            index += 1
    return tokens


class _Glob:
    """Matches whole texts against wildmatch tokens. Up to two stars: a regular expression
    (its backtracking stays cheap); more: a walk over the set of token positions, linear in the
    text, so a hostile pattern ("*a*a*a*a*a*b", "a/**/a/**/a/**/b") cannot hang a scan."""

    __slots__ = ("_regex", "_tokens")

    def __init__(self, tokens):
        stars = sum(1 for kind, _ in tokens if kind != "one")
        if stars <= _REGEX_MAX_STARS:
            self._regex = re.compile("".join(fragment for _, fragment in tokens), re.DOTALL)
            self._tokens = None
        else:
            self._regex = None
            self._tokens = [
                (kind, re.compile(fragment, re.DOTALL).fullmatch if kind == "one" else fragment)
                for kind, fragment in tokens
            ]

    def fullmatch(self, text):
        if self._regex is not None:
            return self._regex.fullmatch(text) is not None
        tokens = self._tokens
        end = len(tokens)
        inside = end + 1  # state inside + i: within a folder name of the "**/" at token i
        states = self._closure({0})
        for char in text:
            following = set()
            for state in states:
                if state == end:
                    continue
                if state > end:  # "**/" takes whole folders: only a '/' ends one
                    following.add(state - inside if char == "/" else state)
                    continue
                kind, test = tokens[state]
                if kind == "one":
                    if test(char):
                        following.add(state + 1)
                elif kind == "folders":
                    following.add(state if char == "/" else state + inside)
                elif test == ".*" or char != "/":
                    following.add(state)
            if not following:
                return False
            states = self._closure(following)
        return end in states

    def _closure(self, states):
        # A star or a "**/" may match nothing: the token after it is reachable at once (not from
        # a state within a folder name, numbered past the end).
        pending = list(states)
        while pending:
            state = pending.pop()
            if state < len(self._tokens) and self._tokens[state][0] != "one" and state + 1 not in states:
                states.add(state + 1)
                pending.append(state + 1)
        return states


class _Pattern:
    __slots__ = ("base", "negated", "folder_only", "regex", "text")

    def __init__(self, base, negated, folder_only, regex, text):
        self.base = base  # the folder of the ignore file ("" for the root), '/'-separated
        self.negated = negated
        self.folder_only = folder_only
        self.regex = regex  # applied to the basename (no '/' in the pattern) or the path below base
        self.text = text


def _trim_trailing_spaces(line):
    # git's trim_trailing_spaces: trailing ' ' go, unless the last one is escaped by a '\'.
    end = len(line)
    while end > 0 and line[end - 1] == " ":
        backslashes = 0
        probe = end - 2
        while probe >= 0 and line[probe] == "\\":
            backslashes += 1
            probe -= 1
        if backslashes % 2 == 1:
            break
        end -= 1
    return line[:end]


class IgnoreRules:
    """Which paths code sync leaves out, with git's semantics (see src/sync/ignore.hpp).

    Patterns are added per folder, parents before children (a walk does this naturally); for a
    path, the last matching pattern among those of its folder and its ancestors decides, so a
    deeper ignore file wins over a shallower one and a later line over an earlier one. A path under
    an excluded folder stays excluded whatever a negation says (git's rule)."""

    def __init__(self, defaults=True):
        self._patterns = []
        if defaults:
            self.add("", "\n".join(DEFAULT_IGNORES))

    def add(self, folder, text):
        """Adds the lines of one ignore file found in `folder` ("" for the root)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="surrogateescape")
        if text.startswith("\ufeff"):
            text = text[1:]
        folder = folder.strip("/")
        for line in text.split("\n"):
            if line.endswith("\r"):
                line = line[:-1]
            if not line or line.startswith("#"):
                continue
            line = _trim_trailing_spaces(line)
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            folder_only = line.endswith("/")
            if folder_only:
                line = line[:-1]
            if not line:
                continue
            has_slash = "/" in line
            if has_slash and line.startswith("/"):
                body = line[1:]
            else:
                body = line
            if len(body.encode("utf-8", errors="surrogateescape")) > MAX_PATTERN_BYTES:
                continue  # as the server's rules: no path is that long anyway
            try:
                if has_slash:
                    # git compares the literal prefix (up to the first of `*?[\`) on its own and
                    # wildmatches the rest as a pattern of its own, so a `**` right after that
                    # prefix counts as leading ("x**/y" matches "xa/y" and, below "x", "xa").
                    literal = re.match(r"[^*?\[\\]*", body).group(0)
                    tokens = [("one", re.escape(char)) for char in literal]
                    tokens += _wildmatch_tokens(body[len(literal) :], pathname=True)
                else:
                    tokens = _wildmatch_tokens(body, pathname=False)
            except _NeverMatches:
                continue
            regex = _Glob(tokens)
            self._patterns.append(_Pattern(folder, negated, folder_only, (has_slash, regex), line))

    def _match(self, path, is_folder):
        """The verdict of the last matching pattern for `path` alone (not its parents): True
        (ignored), False (re-included) or None (no pattern matches)."""
        basename = path.rsplit("/", 1)[-1]
        for pattern in reversed(self._patterns):
            if pattern.folder_only and not is_folder:
                continue
            if pattern.base:
                if not path.startswith(pattern.base + "/"):
                    continue
                below = path[len(pattern.base) + 1 :]
            else:
                below = path
            has_slash, regex = pattern.regex
            if regex.fullmatch(below if has_slash else basename):
                return not pattern.negated
        return None

    def ignored_below_kept_folders(self, path, is_folder):
        """ignored() for a path whose parent folders are known not to be ignored (a walk that
        prunes ignored folders asks this: it skips the parents' checks)."""
        return bool(self._match(path, is_folder))

    def ignored(self, path, is_folder):
        """`path` is relative to the root, '/'-separated; folders are asked with is_folder True."""
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            if self._match("/".join(parts[:depth]), True):
                return True
        return bool(self._match("/".join(parts), is_folder))


# --------------------------------------------------------------------------------------------
# Scanning a folder into a manifest
# --------------------------------------------------------------------------------------------


def _hash_file(path):
    """(hash, size) of the bytes read; AILabError naming the file when it cannot be read."""
    digest = hashlib.blake2b(digest_size=32)
    size = 0
    try:
        with open(path, "rb") as handle:
            while True:
                block = handle.read(1 << 20)
                if not block:
                    break
                digest.update(block)
                size += len(block)
    except OSError as error:
        raise AILabError("%s: %s" % (path, error.strerror))
    return digest.hexdigest(), size


def hash_bytes(data):
    """BLAKE2b-256 of `data`, 64 lower-case hex digits (the sync's content hash)."""
    return hashlib.blake2b(data, digest_size=32).hexdigest()


def link_stays_inside(path, target):
    """True when a link at `path` (relative, '/'-separated) pointing to `target` stays inside
    the root, resolved lexically from the link's folder."""
    if not target or target.startswith("/") or "\\" in target or "\0" in target:
        return False
    parts = path.split("/")[:-1]
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return False
            parts.pop()
        else:
            parts.append(part)
    return True


def _check_relative_path(path, absolute):
    if "\\" in path:
        raise AILabError("%s: a backslash in a file name cannot be synced" % absolute)
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise AILabError("%s: the file name is not valid UTF-8 and cannot be synced" % os.fsdecode(absolute))
    if len(path.encode("utf-8")) > 4096:
        raise AILabError("%s: the path is longer than 4,096 bytes" % absolute)


class ScanResult:
    """files: manifest entries sorted by path ({"path","size","mode","hash"} or {"path","link"});
    absolute_paths: {hash: absolute path of one file with that content}; ignored: files and
    folders left out; skipped: other kinds (sockets, fifos, devices) left out."""

    def __init__(self):
        self.files = []
        self.absolute_paths = {}
        self.ignored = 0
        self.skipped = 0

    @property
    def total_bytes(self):
        return sum(entry.get("size", 0) for entry in self.files)


def scan_folder(root, rules=None):
    """Walks `root` with the ignore rules (reading .gitignore/.ailabignore as it goes), hashing
    every regular file, keeping symbolic links as links (a link that leaves the root raises
    AILabError naming it) and skipping other kinds. Never follows a link into a folder."""
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise AILabError("%s is not a folder" % root)
    rules = rules if rules is not None else IgnoreRules()
    result = ScanResult()
    regular = []  # (entry without size and hash, absolute path)
    pending = [""]  # folders to visit, relative
    while pending:
        folder = pending.pop()
        absolute_folder = os.path.join(root, folder) if folder else root
        for name in IGNORE_FILES:
            # Like git (2.32 on), an ignore file that is a symbolic link is not followed.
            try:
                descriptor = os.open(os.path.join(absolute_folder, name), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                with os.fdopen(descriptor, "rb") as handle:
                    rules.add(folder, handle.read())
            except (FileNotFoundError, IsADirectoryError):
                pass
            except OSError as error:
                if os.path.islink(os.path.join(absolute_folder, name)):
                    continue
                raise AILabError("%s: %s" % (os.path.join(absolute_folder, name), error.strerror))
        try:
            entries = sorted(os.scandir(absolute_folder), key=lambda entry: entry.name)
        except OSError as error:
            raise AILabError("%s: %s" % (absolute_folder, error.strerror))
        subfolders = []
        for entry in entries:
            path = folder + "/" + entry.name if folder else entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as error:
                raise AILabError("%s: %s" % (entry.path, error.strerror))
            is_folder = stat.S_ISDIR(info.st_mode)
            if rules.ignored_below_kept_folders(path, is_folder):
                result.ignored += 1
                continue
            _check_relative_path(path, entry.path)
            if is_folder:
                subfolders.append(path)
            elif stat.S_ISLNK(info.st_mode):
                target = os.readlink(entry.path)
                if not link_stays_inside(path, target):
                    raise AILabError(
                        "%s is a symbolic link to %s, which leaves the synced folder %s; "
                        "ignore it (.ailabignore) or make it point inside" % (entry.path, target, root)
                    )
                result.files.append({"path": path, "link": target})
            elif stat.S_ISREG(info.st_mode):
                regular.append(({"path": path, "mode": stat.S_IMODE(info.st_mode) & 0o777}, entry.path))
            else:
                result.skipped += 1
        # Depth first, in name order: parents' ignore files are always read before children's.
        pending.extend(reversed(subfolders))
    # Hashing releases the GIL: a few threads read and hash files side by side.
    if len(regular) > 1:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(HASH_THREADS, len(regular))) as pool:
            hashes = list(pool.map(_hash_file, [path for _, path in regular]))
    else:
        hashes = [_hash_file(path) for _, path in regular]
    for (entry, absolute), (digest, size) in zip(regular, hashes):
        entry["size"] = size
        entry["hash"] = digest
        result.files.append(entry)
        result.absolute_paths.setdefault(digest, absolute)
    result.files.sort(key=lambda entry: entry["path"])
    return result


# --------------------------------------------------------------------------------------------
# Git state
# --------------------------------------------------------------------------------------------


def _git(folder, *arguments):
    environment = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    try:
        completed = subprocess.run(
            ["git", "-C", folder] + list(arguments),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout if completed.returncode == 0 else None


def git_state(folder, max_diff_bytes=MAX_DIFF_BYTES):
    """{"commit","branch","dirty","diff"} of the git work tree holding `folder`, or None when it
    is not in one (or git is missing). Read-only: never stages or commits anything. `diff` is
    `git diff HEAD` (the whole work tree's uncommitted changes to tracked files), cut at
    `max_diff_bytes` with a note saying so; `dirty` also counts untracked files git does not
    ignore."""
    inside = _git(folder, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.strip() != b"true":
        return None
    commit = _git(folder, "rev-parse", "--verify", "-q", "HEAD")
    commit = commit.decode().strip() if commit else None
    branch = _git(folder, "symbolic-ref", "-q", "--short", "HEAD")
    branch = branch.decode("utf-8", errors="replace").strip() if branch else None
    status = _git(folder, "status", "--porcelain")
    dirty = bool(status and status.strip()) if status is not None else True
    diff = _git(folder, "diff", "HEAD", "--no-color", "--no-ext-diff") if commit else None
    text = None
    if diff is not None:
        if len(diff) > max_diff_bytes:
            note = ("\n[ailab: diff cut at %d bytes of %d]\n" % (max_diff_bytes, len(diff))).encode()
            diff = diff[: max_diff_bytes - len(note)] + note
        text = diff.decode("utf-8", errors="replace")
        if len(text.encode("utf-8")) > max_diff_bytes:  # replacement characters grew it
            text = text.encode("utf-8")[:max_diff_bytes].decode("utf-8", errors="ignore")
    return {"commit": commit, "branch": branch, "dirty": dirty, "diff": text}


# --------------------------------------------------------------------------------------------
# Credentials
# --------------------------------------------------------------------------------------------


def credentials_path():
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "ailab", "credentials.json")


def load_credentials(path=None):
    """The credentials file as a dict ({"default": None, "servers": {}} when there is none)."""
    path = path or credentials_path()
    try:
        with open(path, "r", encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {"default": None, "servers": {}}
    except (OSError, ValueError) as error:
        raise AILabError("%s cannot be read: %s" % (path, error))
    if not isinstance(data, dict) or not isinstance(data.get("servers", {}), dict):
        raise AILabError("%s is not an AI Lab credentials file" % path)
    data.setdefault("default", None)
    data.setdefault("servers", {})
    return data


def save_credentials(data, path=None):
    """Writes the credentials atomically; the file is created with mode 0600 (never readable by
    others, even for a moment) and its folder with 0700."""
    path = path or credentials_path()
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    temporary = "%s.%d.tmp" % (path, os.getpid())
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # a leftover temporary file of ours may have had other bits
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def normalize_url(url):
    """"HTTPS://Host:12345/" -> "https://host:12345". Raises AILabError for a URL that is not
    http(s)://host[:port]."""
    text = (url or "").strip()
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        raise AILabError("%r is not a server URL (like https://gpu-box:12345)" % url)
    if parsed.path not in ("", "/") or parsed.query or parsed.fragment:
        raise AILabError("%r: a server URL has no path (like https://gpu-box:12345)" % url)
    try:
        port = parsed.port
    except ValueError:
        raise AILabError("%r has a bad port" % url)
    host = parsed.hostname.lower()
    if ":" in host:
        host = "[%s]" % host
    return "%s://%s%s" % (parsed.scheme.lower(), host, ":%d" % port if port else "")


def normalize_fingerprint(text):
    """64 lower-case hex digits from "AB:CD:…", "abcd…" or "sha256:…"; AILabError otherwise."""
    if text is None:
        return None
    cleaned = text.strip().lower()
    if cleaned.startswith("sha256:"):
        cleaned = cleaned[len("sha256:") :]
    cleaned = cleaned.replace(":", "").replace(" ", "")
    if not re.fullmatch(r"[0-9a-f]{64}", cleaned):
        raise AILabError("%r is not a SHA-256 fingerprint (64 hex digits, colons allowed)" % text)
    return cleaned


def _format_fingerprint(hex_digits):
    return ":".join(hex_digits[i : i + 2] for i in range(0, len(hex_digits), 2)).upper()


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


class _UntrustedCertificate(AILabError):
    def __init__(self, message, fingerprint):
        super().__init__(message)
        self.fingerprint = fingerprint


def _tls_context(insecure, fingerprint):
    if insecure or fingerprint:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context()


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Checks the certificate's SHA-256 against a pinned fingerprint right after the handshake,
    before a byte of the request (and its token) is sent."""

    def __init__(self, host, port, fingerprint, **keywords):
        super().__init__(host, port, **keywords)
        self._fingerprint = fingerprint

    def connect(self):
        super().connect()
        certificate = self.sock.getpeercert(binary_form=True)
        seen = hashlib.sha256(certificate or b"").hexdigest()
        if seen != self._fingerprint:
            self.close()
            raise AILabError(
                "the server's certificate has SHA-256 fingerprint %s, not the pinned %s: refusing to "
                "talk to it (if the server made a new certificate, log in again with the new fingerprint)"
                % (_format_fingerprint(seen), _format_fingerprint(self._fingerprint))
            )


def _peer_fingerprint(host, port, timeout):
    """The SHA-256 of a TLS server's certificate, fetched without verifying it (only to tell the
    user what to compare with the server's log)."""
    context = _tls_context(True, None)
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host) as wrapped:
                return hashlib.sha256(wrapped.getpeercert(binary_form=True)).hexdigest()
    except (OSError, ssl.SSLError):
        return None


class _Http:
    """One keep-alive connection to a server (not shared between threads)."""

    def __init__(self, url, insecure=False, fingerprint=None, timeout=60):
        self.url = normalize_url(url)
        parsed = urllib.parse.urlsplit(self.url)
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname
        self._port = parsed.port or (443 if self._https else 80)
        self._insecure = bool(insecure)
        self._fingerprint = normalize_fingerprint(fingerprint) if fingerprint else None
        self._timeout = timeout
        self._connection = None

    def _connect(self):
        if not self._https:
            return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        context = _tls_context(self._insecure, self._fingerprint)
        if self._fingerprint:
            return _PinnedHTTPSConnection(
                self._host, self._port, self._fingerprint, timeout=self._timeout, context=context
            )
        return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=context)

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes). Retries once on a keep-alive connection the server
        closed. Raises AILabError when the server cannot be reached."""
        headers = dict(headers or {})
        for attempt in (0, 1):
            fresh = self._connection is None
            if fresh:
                self._connection = self._connect()
            try:
                try:
                    self._connection.request(method, path, body=body, headers=headers)
                except (BrokenPipeError, ConnectionResetError):
                    # A server that refuses a body (401, 413) answers before reading it and closes;
                    # its answer says why, so read it if it came.
                    answer = self._early_answer()
                    if answer is not None:
                        return answer
                    raise
                response = self._connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, response, data
            except ssl.SSLCertVerificationError as error:
                self.close()
                fingerprint = _peer_fingerprint(self._host, self._port, self._timeout)
                message = "%s: the server's certificate is not trusted (%s)." % (self.url, error.verify_message)
                if fingerprint:
                    message += (
                        " Its SHA-256 fingerprint is %s; if the server's log shows the same "
                        "(\"TLS certificate SHA-256 fingerprint\"), log in with --fingerprint %s"
                        % (_format_fingerprint(fingerprint), fingerprint)
                    )
                raise _UntrustedCertificate(message, fingerprint)
            except AILabError:
                self.close()
                raise
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                # A keep-alive connection the server had closed while idle: send once more on a new
                # one. A reset after a POST may mean it was processed, so that is not repeated.
                self.close()
                repeatable = method != "POST" or not isinstance(error, ConnectionResetError)
                if fresh or attempt == 1 or not repeatable:
                    raise AILabError("%s: the connection was closed (%s)" % (self.url, error))
            except (OSError, http.client.HTTPException) as error:
                self.close()
                reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
                raise AILabError("%s cannot be reached: %s" % (self.url, reason))
        raise AILabError("%s: the connection was closed" % self.url)


    def _early_answer(self):
        try:
            response = self._connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            return None
        self.close()
        return response.status, response, data


def _error_message(status, data):
    try:
        message = json.loads(data.decode("utf-8")).get("error")
    except (ValueError, AttributeError, UnicodeDecodeError):
        message = None
    if not message:
        message = data.decode("utf-8", errors="replace").strip()[:200] or http.client.responses.get(status, "")
    return message


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------


def login(url, user, password, insecure=False, fingerprint=None, make_default=True, path=None):
    """Logs in (POST /api/v1/login), stores the token in the credentials file and returns a
    Client for the server."""
    url = normalize_url(url)
    fingerprint = normalize_fingerprint(fingerprint) if fingerprint else None
    connection = _Http(url, insecure=insecure, fingerprint=fingerprint)
    try:
        body = json.dumps({"user": user, "password": password}).encode()
        status, response, data = connection.request(
            "POST", API + "/login", body, {"Content-Type": "application/json"}
        )
    finally:
        connection.close()
    if status == 429:
        wait = response.getheader("Retry-After")
        raise AILabError(
            "%s: too many failed logins; try again in %s s" % (url, wait or "a few"), status=status, body=data
        )
    if status != 200:
        raise AILabError("%s: login failed: %s" % (url, _error_message(status, data)), status=status, body=data)
    answer = json.loads(data.decode("utf-8"))
    credentials = load_credentials(path)
    credentials["servers"][url] = {
        "user": answer.get("user", user),
        "token": answer["token"],
        "expires_at": answer.get("expires_at"),
        "insecure": bool(insecure),
        "fingerprint": fingerprint,
    }
    if make_default or not credentials.get("default"):
        credentials["default"] = url
    save_credentials(credentials, path)
    return Client(url, credentials_file=path)


class Client:
    """A connection to one AI Lab server.

    url: the server; default: the credentials file's default (set by the last login). token,
    insecure, fingerprint: default to what the credentials file holds for the server. Methods
    raise AILabError for a refused request (its `status` is the HTTP status).

    One Client is for one thread; uploads open their own connections."""

    def __init__(self, url=None, token=None, insecure=None, fingerprint=None, credentials_file=None, timeout=60):
        credentials = load_credentials(credentials_file)
        if url is None:
            url = credentials.get("default")
            if not url:
                raise AILabError("no server given and none logged in: run `ailab login URL` first")
        self.url = normalize_url(url)
        entry = credentials["servers"].get(self.url, {})
        if token is None:
            token = entry.get("token")
            if not token:
                raise AILabError("not logged in to %s: run `ailab login %s`" % (self.url, self.url))
            expires_at = entry.get("expires_at")
            if isinstance(expires_at, (int, float)) and expires_at < time.time():
                raise AILabError("the token for %s has expired: run `ailab login %s`" % (self.url, self.url))
        self.token = token
        self.user = entry.get("user")
        self.insecure = bool(entry.get("insecure")) if insecure is None else bool(insecure)
        if fingerprint is None:
            fingerprint = entry.get("fingerprint")
        self.fingerprint = normalize_fingerprint(fingerprint) if fingerprint else None
        self.timeout = timeout
        self._http = self._new_connection()
        self.last_sync = None  # the sync statistics of the last submit or sync()

    def _new_connection(self):
        return _Http(self.url, insecure=self.insecure, fingerprint=self.fingerprint, timeout=self.timeout)

    def close(self):
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()
        return False

    # -- requests ------------------------------------------------------------------------------
    def _request(self, method, path, payload=None, body=None, headers=None, connection=None, expect=(200, 201)):
        headers = dict(headers or {})
        headers["Authorization"] = "Bearer " + self.token
        if payload is not None:
            body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        status, response, data = (connection or self._http).request(method, API + path, body, headers)
        if status in expect:
            return status, response, data
        message = _error_message(status, data)
        if status == 401:
            message = "%s (run `ailab login %s`)" % (message, self.url)
        raise AILabError("%s %s: %d %s" % (method, path.split("?")[0], status, message), status=status, body=data)

    def _json(self, method, path, payload=None, expect=(200, 201)):
        _, _, data = self._request(method, path, payload=payload, expect=expect)
        return json.loads(data.decode("utf-8"))

    # -- code sync ----------------------------------------------------------------------------
    def sync(self, dir=".", progress=None):
        """Syncs a folder and returns {"snapshot","files","bytes","uploaded_files",
        "uploaded_bytes","scan_s","upload_s"}. progress: optional callable(text) for messages."""
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            git_future = pool.submit(git_state, os.path.abspath(dir))  # git runs while we hash
            scan = scan_folder(dir)
            git = git_future.result()
        scanned = time.monotonic()
        manifest = {"files": scan.files}
        missing = self._json("POST", "/sync/manifest", manifest).get("missing", [])
        uploaded_files, uploaded_bytes = self._upload(missing, scan)
        body = dict(manifest, uploaded_files=uploaded_files, uploaded_bytes=uploaded_bytes)
        if git is not None:
            body["git"] = git
        status, _, data = self._request("POST", "/sync/snapshots", payload=body, expect=(200, 201, 409))
        answer = json.loads(data.decode("utf-8"))
        if status == 409:  # a blob went missing in between (or another client's upload failed)
            files, size = self._upload(answer.get("missing", []), scan)
            uploaded_files += files
            uploaded_bytes += size
            body.update(uploaded_files=uploaded_files, uploaded_bytes=uploaded_bytes)
            answer = self._json("POST", "/sync/snapshots", body)
        result = {
            "snapshot": answer["snapshot"],
            "files": len(scan.files),
            "bytes": scan.total_bytes,
            "uploaded_files": uploaded_files,
            "uploaded_bytes": uploaded_bytes,
            "ignored": scan.ignored,
            "git": git,
            "scan_s": scanned - started,
            "upload_s": time.monotonic() - scanned,
        }
        self.last_sync = result
        if progress:
            progress(
                "synced %d files (%s), uploaded %d (%s) in %.2f s"
                % (
                    result["files"],
                    _format_bytes(result["bytes"]),
                    uploaded_files,
                    _format_bytes(uploaded_bytes),
                    time.monotonic() - started,
                )
            )
        return result

    def _upload(self, hashes, scan):
        """PUTs the blobs named by `hashes` (each once); returns (files, bytes) uploaded."""
        wanted = []
        for digest in dict.fromkeys(hashes):
            path = scan.absolute_paths.get(digest)
            if path is None:
                raise AILabError("the server asked for blob %s, which is not in the manifest" % digest)
            wanted.append((digest, path))
        if not wanted:
            return 0, 0
        local = threading.local()
        connections = []
        lock = threading.Lock()

        def upload_one(item):
            digest, path = item
            connection = getattr(local, "connection", None)
            if connection is None:
                connection = local.connection = self._new_connection()
                with lock:
                    connections.append(connection)
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as error:
                raise AILabError("%s: %s" % (path, error.strerror))
            if hash_bytes(data) != digest:
                raise AILabError("%s changed while it was being synced; submit again" % path)
            headers = {"Content-Type": "application/octet-stream"}
            self._request("PUT", "/sync/blobs/" + digest, body=data, headers=headers, connection=connection)
            return len(data)

        workers = min(UPLOAD_CONNECTIONS, len(wanted))
        try:
            if workers == 1:
                sizes = [upload_one(item) for item in wanted]
            else:
                # Largest first, so one big file does not finish last alone.
                wanted.sort(key=lambda item: -os.path.getsize(item[1]))
                with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
                    sizes = list(pool.map(upload_one, wanted))
        finally:
            for connection in connections:
                connection.close()
        return len(sizes), sum(sizes)

    # -- jobs ---------------------------------------------------------------------------------
    def submit(
        self,
        command=None,
        shell=None,
        dir=".",
        project=None,
        name=None,
        gpus=None,
        gpu_ids=None,
        group=None,
        priority=None,
        after=None,
        env=None,
        time_limit=None,
        progress=None,
    ):
        """Queues a job and returns its dict (docs/API.md "Jobs").

        command: argv list (or shell: one shell line). dir: the folder to sync (default the
        current one); None sends no code (the job runs in an empty folder). project: a project
        that lives on the server instead of dir. gpus: a count (0 = CPU job) or gpu_ids: a list.
        after: job ids that must succeed first. env: {name: value}. time_limit: seconds or a
        duration text ("2h")."""
        body = _job_body(command, shell, name, gpus, gpu_ids, group, priority, after, env, time_limit)
        if project is not None:
            body["project"] = project
        elif dir is not None:
            body["snapshot"] = self.sync(dir, progress=progress)["snapshot"]
        return self._json("POST", "/jobs", body)["job"]

    def submit_sweep(self, command, sweeps, dir=".", project=None, name=None, env=None, progress=None, **options):
        """Queues one job per combination of the sweeps' values, in one request (all stored, or
        none), and returns their dicts in nested-loop order (the first sweep varies slowest).

        sweeps: [(name, [values…]), …] or {name: [values…]}; "{name}" in the command's arguments,
        the env values and name takes each value. The folder is synced once for all the jobs. The
        other keywords are submit's (gpus, gpu_ids, group, priority, after, time_limit)."""
        sweeps = list(sweeps.items()) if isinstance(sweeps, dict) else list(sweeps)
        jobs = expand_sweeps(command, sweeps, name=name, env=env)
        bodies = [_job_body(job["command"], None, job["name"], env=job["env"], **options) for job in jobs]
        if project is not None:
            for body in bodies:
                body["project"] = project
        elif dir is not None:
            snapshot = self.sync(dir, progress=progress)["snapshot"]
            for body in bodies:
                body["snapshot"] = snapshot
        return self._json("POST", "/jobs/batch", {"jobs": bodies})["jobs"]

    def jobs(self, state=None, user=None, query=None, limit=100, before=None):
        """The jobs, newest first. state: a name or a list ("queued", "running", …)."""
        query_items = {"limit": str(limit)}
        if state:
            query_items["state"] = state if isinstance(state, str) else ",".join(state)
        if user:
            query_items["user"] = user
        if query:
            query_items["q"] = query
        if before is not None:
            query_items["before"] = str(before)
        return self._json("GET", "/jobs?" + urllib.parse.urlencode(query_items))["jobs"]

    def job(self, job_id):
        return self._json("GET", "/jobs/%d" % int(job_id))["job"]

    def cancel(self, job_id):
        return self._json("POST", "/jobs/%d/cancel" % int(job_id))["job"]

    def restart(self, job_id):
        return self._json("POST", "/jobs/%d/restart" % int(job_id))["job"]

    def wait(self, job_id, poll_s=POLL_INTERVAL_S):
        """Blocks until the job has ended; returns its dict."""
        while True:
            job = self.job(job_id)
            if job.get("state") in ENDED_STATES:
                return job
            time.sleep(poll_s)

    def _output(self, job_id, offset):
        """(bytes, total size now) of the job's output from `offset`."""
        status, response, data = self._request(
            "GET",
            "/jobs/%d/output?offset=%d&limit=%d" % (int(job_id), offset, OUTPUT_CHUNK_BYTES),
            expect=(200, 206, 416),
        )
        size_header = response.getheader("X-AILab-Output-Size")
        size = int(size_header) if size_header and size_header.isdigit() else None
        if status == 416:
            raise AILabError(
                "job %d: offset %d is past the end of its output (%s bytes)" % (job_id, offset, size), status=416
            )
        if size is None:
            size = offset + len(data)
        return data, size

    def logs(self, job_id, follow=False, offset=0, poll_s=POLL_INTERVAL_S, reconnect_for_s=600, on_retry=None):
        """Yields the job's output as bytes, from `offset`. follow: keep going until the job has
        ended and every byte was read. Lost connections and server errors are retried (every
        poll, for up to `reconnect_for_s` in a row) and resume at the offset reached, so nothing is
        missed or repeated. on_retry: optional callable(error, seconds failing so far) told of each
        failed attempt.
        The generator's `offset` so far is `self.last_offset`."""
        job_id = int(job_id)
        self.last_offset = offset
        ended = False
        failing_since = None
        while True:
            try:
                data, size = self._output(job_id, offset)
                if data:
                    offset += len(data)
                    self.last_offset = offset
                    failing_since = None
                    yield data
                    if offset < size:
                        continue
                elif offset < size:
                    raise AILabError("job %d: no output at offset %d of %d" % (job_id, offset, size), status=500)
                if not follow or ended:
                    return
                # Caught up while the job may still run: look at its state. Once it has ended
                # its output is complete, so one more read to the end finishes.
                if self.job(job_id).get("state") in ENDED_STATES:
                    ended = True
                    continue
                failing_since = None
            except AILabError as error:
                if error.status is not None and error.status < 500 and error.status != 429:
                    raise
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > reconnect_for_s:
                    raise
                if on_retry:
                    on_retry(error, now - failing_since)
            time.sleep(poll_s)


def _format_bytes(count):
    size = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return ("%d %s" % (size, unit)) if unit == "B" else ("%.1f %s" % (size, unit))
        size /= 1000.0
    return "%d B" % count


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def _program():
    """How the user started us, for messages that tell what to type next."""
    name = os.path.basename(sys.argv[0] or "")
    return "ailab" if name in ("", "ailab", "-c") else "python3 " + sys.argv[0]


def _stderr(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _exit_status(job):
    """The process exit status that mirrors a job's end: its exit code, 128+signal, or 1."""
    if job.get("exit_code") is not None:
        return int(job["exit_code"]) & 0xFF
    if job.get("signal"):
        return 128 + int(job["signal"])
    return 0 if job.get("state") == "done" else 1


def _follow(client, job_id, offset=0):
    """Streams a job's output to stdout until it ends; returns the exit status to use. Ctrl-C
    detaches (the job keeps running) and says how to re-attach; a second Ctrl-C within 2 s asks
    whether to cancel the job."""
    out = sys.stdout.buffer
    warned = [False]

    def on_retry(error, failing_for_s):
        # A blip stays quiet; a failure that lasts (a server restart) is said once.
        if not warned[0] and failing_for_s >= 2:
            _stderr("ailab: %s; retrying (Ctrl-C detaches)" % error)
            warned[0] = True

    stream = client.logs(job_id, follow=True, offset=offset, on_retry=on_retry)
    try:
        for chunk in stream:
            if warned[0]:
                _stderr("ailab: reconnected; output goes on from byte %d" % (client.last_offset - len(chunk)))
                warned[0] = False
            out.write(chunk)
            out.flush()
    except KeyboardInterrupt:
        stream.close()
        _stderr(
            "\nailab: detached; job %d keeps running. Re-attach: %s logs -f %d   (Ctrl-C again "
            "within 2 s to cancel it)" % (job_id, _program(), job_id)
        )
        try:
            time.sleep(2)
        except KeyboardInterrupt:
            answer = ""
            try:
                if sys.stdin.isatty():
                    answer = input("Cancel job %d? [y/N] " % job_id)
                else:
                    answer = "n"
            except (EOFError, KeyboardInterrupt):
                answer = ""
            if answer.strip().lower() in ("y", "yes"):
                job = client.cancel(job_id)
                _stderr("ailab: job %d: %s" % (job_id, job.get("state")))
        return 130
    job = client.job(job_id)
    return _exit_status(job)


MAX_SWEEP_JOBS = 1000  # what POST /api/v1/jobs/batch takes


def _job_body(command, shell, name=None, gpus=None, gpu_ids=None, group=None, priority=None, after=None, env=None,
              time_limit=None):
    """The body of POST /api/v1/jobs: only what was given (the server applies its defaults)."""
    if (command is None) == (shell is None):
        raise AILabError("give either command (a list of arguments) or shell (one line)")
    if command is not None:
        if isinstance(command, str):
            raise AILabError("command is a list of arguments; use shell= for one line")
        command = [str(part) for part in command]
        if not command or not command[0]:
            raise AILabError("the command is empty")
    body = {"command": command} if command is not None else {"shell": shell}
    if name is not None:
        body["name"] = name
    if gpu_ids is not None:
        body["gpu_ids"] = [int(gpu) for gpu in gpu_ids]
    elif gpus is not None:
        body["gpus"] = int(gpus)
    if group is not None:
        body["group"] = group
    if priority is not None:
        body["priority"] = int(priority)
    if after:
        body["after"] = [int(job) for job in after]
    if env:
        body["env"] = {str(key): str(value) for key, value in env.items()}
    if time_limit is not None:
        try:
            body["time_limit_s"] = parse_duration(time_limit)
        except ValueError as error:
            raise AILabError(str(error))
    return body


_SWEEP_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def parse_sweep(text):
    """"lr=0.1,0.01" -> ("lr", ["0.1", "0.01"]), as `ailab submit --sweep` takes it."""
    name, sep, values = text.partition("=")
    if not sep:
        raise AILabError("bad --sweep %r: it must be NAME=V1,V2,…" % text)
    if not _SWEEP_NAME.match(name):
        raise AILabError("bad --sweep name %r: letters, digits and '_', not starting with a digit" % name)
    if not values:
        raise AILabError("--sweep %s has no values: %s=A,B" % (name, name))
    parts = values.split(",")
    if "" in parts:
        raise AILabError("--sweep %s has an empty value in %r" % (name, values))
    for index, value in enumerate(parts):
        if value in parts[:index]:
            raise AILabError("--sweep %s has the value %r twice" % (name, value))
    return name, parts


def expand_sweeps(command, sweeps, name=None, env=None):
    """The jobs of a sweep, as the command-line client makes them: [{"command", "name", "env"}]
    in nested-loop order, "{NAME}" replaced in the arguments, env values and name; the name is
    the given one (or the program's file name) followed by the combination, unless the given name
    shows every value. Refuses a sweep named twice, one whose {NAME} is nowhere, a value-less
    one and more than MAX_SWEEP_JOBS combinations."""
    command = [str(part) for part in command]
    if not command or not command[0]:
        raise AILabError("the command is empty")
    env = dict(env or {})
    seen = set()
    count = 1
    for sweep_name, values in sweeps:
        values = [str(value) for value in values]
        if sweep_name in seen:
            raise AILabError("--sweep %s is given twice: give its values once, %s=A,B" % (sweep_name, sweep_name))
        seen.add(sweep_name)
        if not values:
            raise AILabError("--sweep %s has no values: %s=A,B" % (sweep_name, sweep_name))
        key = "{%s}" % sweep_name
        places = list(command) + [str(value) for value in env.values()] + [name or ""]
        if not any(key in place for place in places):
            raise AILabError("--sweep %s: %s is in neither the command nor an --env value nor --name, so every job "
                             "would be the same (write %s where the value goes)" % (sweep_name, key, key))
        count *= len(values)
        if count > MAX_SWEEP_JOBS:
            raise AILabError("the sweeps make more than %d jobs (the most one submit takes)" % MAX_SWEEP_JOBS)
    sweeps = [(sweep_name, [str(value) for value in values]) for sweep_name, values in sweeps]

    def substitute(text, choice):
        for (sweep_name, _), value in zip(sweeps, choice):
            text = text.replace("{%s}" % sweep_name, value)
        return text

    jobs = []
    for choice in itertools.product(*[values for _, values in sweeps]):
        combination = "".join(" %s=%s" % (sweep_name, value) for (sweep_name, _), value in zip(sweeps, choice))
        shown = bool(name) and all("{%s}" % sweep_name in name for sweep_name, _ in sweeps)
        base = substitute(name, choice) if name else os.path.basename(command[0])
        jobs.append({
            "command": [substitute(part, choice) for part in command],
            "env": {key: substitute(str(value), choice) for key, value in env.items()},
            "name": base if shown else base + combination,
        })
    return jobs


def _parse_env(items):
    env = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise AILabError("--env %r: expected NAME=VALUE" % item)
        env[name] = value
    return env


def _parse_gpu_ids(text):
    try:
        return [int(part) for part in text.split(",") if part.strip() != ""]
    except ValueError:
        raise AILabError("--gpu-ids %r: expected ids like 0,2" % text)


def _age(seconds_since_epoch):
    if not seconds_since_epoch:
        return "-"
    delta = max(0, time.time() - float(seconds_since_epoch))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if delta >= size:
            return "%d%s ago" % (delta // size, unit)
    return "%ds ago" % delta


def _print_jobs(jobs):
    rows = [("ID", "STATE", "USER", "GPUS", "SUBMITTED", "NAME", "COMMAND / STATUS")]
    for job in jobs:
        state = job.get("state") or "?"
        if state == "queued" and job.get("waiting_for"):
            state = "queued (%s)" % job["waiting_for"]
        status = ""
        if state in ("done", "failed", "cancelled") or job.get("state") in ENDED_STATES:
            status = "exit %s" % job.get("exit_code") if job.get("exit_code") is not None else ""
            if job.get("signal"):
                status = "signal %s" % job["signal"]
            if job.get("reason") and job.get("state") != "done":
                status = (status + ": " if status else "") + job["reason"]
        command = job.get("command") or []
        command_text = " ".join(command) if isinstance(command, list) else str(command)
        if job.get("shell"):
            command_text = job["shell"]
        gpus = job.get("gpus") or []
        rows.append(
            (
                str(job.get("id")),
                state,
                str(job.get("user") or ""),
                ",".join(str(gpu) for gpu in gpus) or "-",
                _age(job.get("submitted_at")),
                str(job.get("name") or ""),
                (command_text + ("  [" + status + "]" if status else ""))[:100],
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])


def _read_password(password_stdin):
    if password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    return getpass.getpass("Password: ")


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="ailab",
        description="AI Lab job host client: sync code, queue jobs on free GPUs, follow their output.",
    )
    commands = parser.add_subparsers(dest="command_name", metavar="COMMAND")
    commands.required = True

    login_parser = commands.add_parser("login", help="log in to a server and store the token")
    login_parser.add_argument("url", help="the server, like https://gpu-box:12345")
    login_parser.add_argument("--user", help="user name (asked when missing)")
    login_parser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login_parser.add_argument("--insecure", action="store_true", help="accept any TLS certificate")
    login_parser.add_argument("--fingerprint", help="pin the server certificate's SHA-256 (from its log)")

    submit_parser = commands.add_parser("submit", help="sync the folder and queue a job: submit [options] -- COMMAND…")
    submit_parser.add_argument("--server", help="server URL (default: the last login's)")
    submit_parser.add_argument("--name")
    submit_parser.add_argument("--gpus", type=int, help="GPU count; 0 is a CPU job")
    submit_parser.add_argument("--gpu-ids", help="exact GPUs, like 0,2")
    submit_parser.add_argument("--group")
    submit_parser.add_argument("--priority", type=int)
    submit_parser.add_argument("--after", type=int, action="append", metavar="ID", help="run after this job succeeds")
    submit_parser.add_argument("--env", action="append", metavar="K=V")
    submit_parser.add_argument("--time", help="time limit, like 2h or 90m")
    where = submit_parser.add_mutually_exclusive_group()
    where.add_argument("--project", help="a project that lives on the server (no sync)")
    where.add_argument("--dir", default=".", help="the folder to sync (default: the current one)")
    submit_parser.add_argument("--follow", "-f", action="store_true", help="stream the output until the job ends")
    submit_parser.add_argument("--sweep", action="append", metavar="NAME=V1,V2",
                               help="one job per value (repeatable: one per combination); {NAME} in the command, "
                                    "--env values and --name takes each value")
    submit_parser.add_argument("job_command", nargs=argparse.REMAINDER, metavar="-- COMMAND")

    jobs_parser = commands.add_parser("jobs", help="list queued and running jobs (--all: with history)")
    jobs_parser.add_argument("--server")
    jobs_parser.add_argument("--all", action="store_true", help="also ended jobs (the newest 100)")
    jobs_parser.add_argument("--json", action="store_true", help="print the server's JSON")

    logs_parser = commands.add_parser("logs", help="print a job's output")
    logs_parser.add_argument("--server")
    logs_parser.add_argument("-f", "--follow", action="store_true", help="keep streaming until the job ends")
    logs_parser.add_argument("id", type=int)

    cancel_parser = commands.add_parser("cancel", help="cancel jobs")
    cancel_parser.add_argument("--server")
    cancel_parser.add_argument("ids", type=int, nargs="+", metavar="ID")

    restart_parser = commands.add_parser("restart", help="queue a job again (same code snapshot)")
    restart_parser.add_argument("--server")
    restart_parser.add_argument("id", type=int)
    return parser


def _run(arguments):
    name = arguments.command_name
    if name == "login":
        url = normalize_url(arguments.url)
        user = arguments.user
        if not user:
            if arguments.password_stdin or not sys.stdin.isatty():
                raise AILabError("--user is needed with --password-stdin")
            user = input("User: ").strip()
        password = _read_password(arguments.password_stdin)
        if not password:
            raise AILabError("the password is empty")
        client = login(url, user, password, insecure=arguments.insecure, fingerprint=arguments.fingerprint)
        client.close()
        expires = ""
        entry = load_credentials()["servers"].get(url, {})
        if isinstance(entry.get("expires_at"), (int, float)):
            expires = " until %s" % datetime.datetime.fromtimestamp(entry["expires_at"]).strftime("%Y-%m-%d %H:%M")
        _stderr("Logged in to %s as %s%s (token in %s)" % (url, client.user, expires, credentials_path()))
        return 0

    with Client(arguments.server) as client:
        return _run_with(client, arguments)


def _submit_sweep(client, arguments, command, time_limit):
    if arguments.follow:
        raise AILabError("--follow follows one job and --sweep makes several: follow one with ailab logs -f ID")
    sweeps = [parse_sweep(text) for text in arguments.sweep]
    jobs = client.submit_sweep(
        command,
        sweeps,
        dir=None if arguments.project else arguments.dir,
        project=arguments.project,
        name=arguments.name,
        env=_parse_env(arguments.env),
        gpus=arguments.gpus,
        gpu_ids=_parse_gpu_ids(arguments.gpu_ids) if arguments.gpu_ids else None,
        group=arguments.group,
        priority=arguments.priority,
        after=arguments.after,
        time_limit=time_limit,
        progress=_stderr,
    )
    for job in jobs:
        print(job["id"])
        _stderr("job %s: %s" % (job["id"], job["name"]))
    sys.stdout.flush()
    span = str(jobs[0]["id"]) if len(jobs) == 1 else "%s–%s" % (jobs[0]["id"], jobs[-1]["id"])
    _stderr("%d job%s submitted (%s); output: ailab logs -f ID" % (len(jobs), "" if len(jobs) == 1 else "s", span))
    return 0


def _run_with(client, arguments):
    name = arguments.command_name
    if name == "submit":
        command = list(arguments.job_command)
        if command and command[0] == "--":
            command = command[1:]
        if not command:
            raise AILabError("no command: ailab submit [options] -- COMMAND ARGS…")
        time_limit = None
        if arguments.time:
            try:
                time_limit = parse_duration(arguments.time)
            except ValueError as error:
                raise AILabError("--time: %s" % error)
        if arguments.sweep:
            return _submit_sweep(client, arguments, command, time_limit)
        job = client.submit(
            command=command,
            dir=None if arguments.project else arguments.dir,
            project=arguments.project,
            name=arguments.name,
            gpus=arguments.gpus,
            gpu_ids=_parse_gpu_ids(arguments.gpu_ids) if arguments.gpu_ids else None,
            group=arguments.group,
            priority=arguments.priority,
            after=arguments.after,
            env=_parse_env(arguments.env),
            time_limit=time_limit,
            progress=_stderr,
        )
        print(job["id"])
        sys.stdout.flush()
        if job.get("reason") and job.get("state") == "queued":
            _stderr("job %s: %s" % (job["id"], job["reason"]))
        if arguments.follow:
            return _follow(client, job["id"])
        return 0
    if name == "jobs":
        if arguments.all:
            jobs = client.jobs(limit=100)
        else:
            jobs = client.jobs(state=["queued", "running"], limit=1000)
        if arguments.json:
            print(json.dumps(jobs, indent=2))
        elif jobs:
            _print_jobs(jobs)
        else:
            _stderr("no %sjobs" % ("" if arguments.all else "queued or running "))
        return 0
    if name == "logs":
        if arguments.follow:
            return _follow(client, arguments.id)
        for chunk in client.logs(arguments.id):
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        return 0
    if name == "cancel":
        status = 0
        for job_id in arguments.ids:
            try:
                job = client.cancel(job_id)
                state = job.get("state")
                if state == "running":  # SIGTERM went to its process group; SIGKILL follows the grace
                    state = "cancelling (SIGTERM sent)"
                _stderr("job %d: %s" % (job_id, state))
            except AILabError as error:
                _stderr("ailab: job %d: %s" % (job_id, error))
                status = 1
        return status
    if name == "restart":
        job = client.restart(arguments.id)
        print(job["id"])
        return 0
    raise AILabError("unknown command %s" % name)


def main(argv=None):
    """The command line; returns the exit status (0, 1 for errors, 2 for usage, the job's own
    status with --follow, 130 after detaching with Ctrl-C)."""
    parser = _build_parser()
    arguments = parser.parse_args(argv)
    try:
        return _run(arguments)
    except AILabError as error:
        _stderr("ailab: %s" % error)
        return 1
    except KeyboardInterrupt:
        _stderr("ailab: interrupted")
        return 130
    except BrokenPipeError:
        # `ailab logs 12 | head`: the reader left; say nothing more.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
