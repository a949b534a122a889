"""ailab_log: write AI Lab run logs (one JSON object per line) from training code.

One file, standard library only. Copy it next to your training script. Example::

    from ailab_log import RunLog
    log = RunLog("results/mnist/run_001", epochs=10)  # appends to results/mnist/run_001/ailab.log
    for step in range(1000):
        log.train(step // 100 + 1, progress=(step + 1) / 1000, step=step, loss=1 / (step + 1))
    log.done(score=0.93)

Each call appends one line and flushes it, for example::

    {"timestamp": "2024-01-02 10:00:00.123456", "goal": "train 3/10", "progress": 0.25,
     "eta": "0:42:10", "score": 0.91, "step": 1200, "loss": 0.53, "lr": 0.001}

Fields AI Lab understands: timestamp (local time), goal ("train 3/10", "val 3/10", "warmup",
"waiting", "pause", "done", "failed"), progress (0..1 of the whole run), eta ("H:MM:SS"), score,
epoch, step (the x axis of charts), job_id. Every other number is a metric. NaN and infinite
values are written as null (JSON has no NaN), so such a line is still valid.

Run as an AI Lab job (the job host sets AILAB_JOB_ID), a RunLog first writes one line that names
the job, ``{"timestamp": …, "job_id": 12}``, so the run summary carries it and the GUI links the run
to its job. Pass job_id= to name another job, or job_id=False to write no such line.
"""

import datetime as _datetime
import json as _json
import math as _math
import os as _os
import time as _time

__all__ = ["RunLog"]


def _format_eta(seconds):
    seconds = max(0, int(round(seconds)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = "%d:%02d:%02d" % (hours, minutes, secs)
    if days:
        return "%d day%s, %s" % (days, "" if days == 1 else "s", clock)
    return clock


def _clean(value):
    if isinstance(value, float) and not _math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        try:
            return _clean(value.item())
        except (TypeError, ValueError):
            pass
    return value


def _job_id_from_environment():
    text = _os.environ.get("AILAB_JOB_ID", "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


class RunLog:
    """Appends AI Lab log lines to <folder>/ailab.log.

    folder: the run's folder (created if missing). epochs: the total, for "train 3/10" goals.
    file_name: "ailab.log" (default) or "log.txt". append: keep an existing log (default) or
    start a new one. job_id: the AI Lab job this run belongs to; default: $AILAB_JOB_ID (a number
    when it is one), written as the first line of this RunLog; False: none.
    """

    def __init__(self, folder, epochs=None, file_name="ailab.log", append=True, job_id=None):
        _os.makedirs(folder, exist_ok=True)
        self.path = _os.path.join(folder, file_name)
        self.epochs = epochs
        self._file = open(self.path, "a" if append else "w", encoding="utf-8")
        self._start_time = None
        self._start_progress = None
        self.job_id = _job_id_from_environment() if job_id is None else (job_id or None)
        if self.job_id is not None:
            self.log(job_id=self.job_id)

    # -- the general form ------------------------------------------------------------------
    def log(self, goal=None, progress=None, score=None, epoch=None, step=None, eta=None, **metrics):
        """Writes one line. eta: seconds (or "H:MM:SS"); when omitted and progress is given,
        it is estimated from the progress made per second since the first progress value."""
        now = _time.time()
        line = {"timestamp": _datetime.datetime.fromtimestamp(now).strftime("%Y-%m-%d %H:%M:%S.%f")}
        if goal is not None:
            line["goal"] = goal
        if progress is not None:
            progress = min(1.0, max(0.0, float(progress)))
            line["progress"] = round(progress, 6)
            if eta is None:
                eta = self._estimate_eta(now, progress)
        if eta is not None:
            line["eta"] = eta if isinstance(eta, str) else _format_eta(eta)
        if score is not None:
            line["score"] = _clean(score)
        if epoch is not None:
            line["epoch"] = _clean(epoch)
        if step is not None:
            line["step"] = _clean(step)
        for name, value in metrics.items():
            line[name] = _clean(value)
        self._file.write(_json.dumps(line, allow_nan=False) + "\n")
        self._file.flush()
        return line

    def _estimate_eta(self, now, progress):
        if self._start_time is None:
            self._start_time, self._start_progress = now, progress
            return None
        done = progress - self._start_progress
        elapsed = now - self._start_time
        if done <= 0 or elapsed <= 0:
            return None
        return (1.0 - progress) * elapsed / done

    def _goal(self, phase, epoch):
        if epoch is None:
            return phase
        if self.epochs:
            return "%s %d/%d" % (phase, epoch, self.epochs)
        return "%s %d" % (phase, epoch)

    # -- phases ----------------------------------------------------------------------------
    def train(self, epoch=None, progress=None, **fields):
        """A training step: goal "train <epoch>/<epochs>"."""
        return self.log(goal=self._goal("train", epoch), progress=progress, **fields)

    def val(self, epoch=None, progress=None, **fields):
        """A validation step: goal "val <epoch>/<epochs>"."""
        return self.log(goal=self._goal("val", epoch), progress=progress, **fields)

    def warmup(self, **fields):
        return self.log(goal="warmup", **fields)

    def waiting(self, **fields):
        return self.log(goal="waiting", **fields)

    def pause(self, **fields):
        return self.log(goal="pause", **fields)

    def done(self, score=None, **fields):
        """The run finished: goal "done", progress 1."""
        return self.log(goal="done", progress=1.0, eta=0, score=score, **fields)

    def failed(self, **fields):
        """The run failed: goal "failed"."""
        return self.log(goal="failed", eta=0, **fields)

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None and not self._file.closed:
            self.failed()
        self.close()
        return False
