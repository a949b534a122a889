#!/usr/bin/env python3
"""A result cache for clang-tidy, keyed by what clang-tidy reads (like ccache for the compiler).

usage: tidy_cache.py pending BUILD PATTERN   prints the files of BUILD/compile_commands.json that
                                             match PATTERN and are not known to be clean
       tidy_cache.py clean BUILD FILE...     records those files as clean (after clang-tidy passed)

A file's key is the SHA-256 of clang-tidy's version, .clang-tidy, and the file preprocessed with
its own compile command, comments kept (-E -C): every header it includes, macros expanded, NOLINT
comments included. The clone's own folder is replaced by a placeholder first, so a clone in
another folder (CI's) finds the same keys. Only clean results are kept, in
$XDG_CACHE_HOME/ailab/clang-tidy (default ~/.cache): a file with findings is always checked again.
"""
import concurrent.futures, hashlib, json, os, re, shlex, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "ailab", "clang-tidy")


def entries(build, pattern):
    with open(os.path.join(build, "compile_commands.json")) as f:
        return [e for e in json.load(f) if re.search(pattern, e["file"])]


def preprocess_command(entry):
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if arg in ("-c", "-MD", "-MMD"):
            continue
        out.append(arg)
    return out + ["-E", "-C"]


def key(entry, salt):
    result = subprocess.run(preprocess_command(entry), cwd=entry["directory"], capture_output=True)
    if result.returncode != 0:
        return None  # let clang-tidy report it
    text = result.stdout.replace(ROOT.encode(), b"@ROOT@").replace(entry["directory"].encode(), b"@BUILD@")
    return hashlib.sha256(salt + text).hexdigest()


def salt():
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True).stdout
    with open(os.path.join(ROOT, ".clang-tidy"), "rb") as f:
        return version + f.read()


def keys(build, files_or_pattern):
    chosen = entries(build, files_or_pattern)
    s = salt()
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        return list(zip(chosen, pool.map(lambda e: key(e, s), chosen)))


def main():
    command, build = sys.argv[1], sys.argv[2]
    os.makedirs(CACHE, exist_ok=True)
    if command == "pending":
        for entry, k in keys(build, sys.argv[3]):
            if k is None or not os.path.exists(os.path.join(CACHE, k)):
                print(entry["file"])
    elif command == "clean":
        files = set(os.path.abspath(f) for f in sys.argv[3:])
        pattern = "^(" + "|".join(re.escape(f) for f in files) + ")$" if files else "^$"
        for entry, k in keys(build, pattern):
            if k is not None:
                open(os.path.join(CACHE, k), "w").close()
    else:
        sys.exit("usage: tidy_cache.py pending|clean BUILD ...")


if __name__ == "__main__":
    main()
