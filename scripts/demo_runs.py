#!/usr/bin/env python3
"""Writes a small demo results folder for AI Lab and keeps three simulated runs writing.

usage: demo_runs.py OUT_DIR [--seconds N]

First it writes finished runs: done, failed, dead, and one that died in warm-up (flagged
"aborted_early"), with timestamps in the past. Then three runs train "live", one line a second
each, through clients/python/ailab_log.py, until killed (or for --seconds). A finished live run is
replaced by a new one, so the dashboard keeps moving.
"""
import argparse
import datetime as dt
import json
import math
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))
from ailab_log import RunLog  # noqa: E402


def write_history(folder, start, lines, epochs, end_goal=None, warmup_only=False, stop_after=None):
    """A finished run's log with timestamps from `start`, one line a minute; a run that died
    stops writing after `stop_after` of its `lines` (so it never reaches progress 1.0)."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "ailab.log"), "w") as out:
        t = start
        for i in range(stop_after or lines):
            t = start + dt.timedelta(minutes=i)
            line = {"timestamp": t.strftime("%Y-%m-%d %H:%M:%S.%f")}
            if warmup_only:
                line.update(goal="warmup", progress=0.0)
            else:
                progress = (i + 1) / lines
                epoch = min(epochs, int(progress * epochs) + 1)
                line.update(goal="%s %d/%d" % ("val" if i % 10 == 9 else "train", epoch, epochs),
                            progress=round(progress, 4), eta=str(dt.timedelta(minutes=lines - i - 1)),
                            score=round(0.5 + 0.45 * progress, 4), step=i,
                            loss=round(2.0 * math.exp(-3 * progress) + random.random() * 0.05, 5), lr=0.001)
            out.write(json.dumps(line) + "\n")
        if end_goal:
            out.write(json.dumps({"timestamp": (t + dt.timedelta(seconds=30)).strftime("%Y-%m-%d %H:%M:%S.%f"),
                                  "goal": end_goal, "progress": 1.0, "eta": "0:00:00"}) + "\n")
    with open(os.path.join(folder, "config.json"), "w") as out:
        json.dump({"lr": 0.001, "epochs": epochs, "model": random.choice(["resnet18", "resnet50", "vit-s"])}, out)


class LiveRun:
    def __init__(self, out, index, epochs=5, steps_per_epoch=60):
        name = "%s_live%02d" % (dt.datetime.now().strftime("%Y-%m-%d_%H.%M.%S"), index)
        self.log = RunLog(os.path.join(out, "live", name), epochs=epochs)
        self.epochs, self.steps_per_epoch, self.step = epochs, steps_per_epoch, 0
        self.noise = random.Random(index)
        self.log.warmup()

    def tick(self):
        """Writes one line; returns False when the run is over."""
        total = self.epochs * self.steps_per_epoch
        if self.step >= total:
            self.log.done(score=round(0.9 + self.noise.random() * 0.05, 4))
            self.log.close()
            return False
        progress = (self.step + 1) / total
        epoch = self.step // self.steps_per_epoch + 1
        loss = 2.0 * math.exp(-4 * progress) + self.noise.random() * 0.05
        if self.step % self.steps_per_epoch == self.steps_per_epoch - 1:
            self.log.val(epoch, progress=progress, step=self.step, score=round(0.5 + 0.4 * progress, 4),
                         val_loss=loss * 1.1)
        else:
            self.log.train(epoch, progress=progress, step=self.step, loss=loss, lr=0.001 * (1 - progress) + 1e-5)
        self.step += 1
        return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0: until killed)")
    args = parser.parse_args()
    random.seed(7)
    now = dt.datetime.now()
    history = os.path.join(args.out, "history")
    write_history(os.path.join(history, "baseline_done"), now - dt.timedelta(days=2), 120, 10, "done")
    write_history(os.path.join(history, "lr_sweep_0.1_failed"), now - dt.timedelta(days=1), 40, 10, "failed")
    write_history(os.path.join(history, "big_model_dead"), now - dt.timedelta(hours=8), 90, 10, stop_after=55)
    write_history(os.path.join(history, "oom_in_warmup"), now - dt.timedelta(hours=5), 3, 10, warmup_only=True)
    print("demo: finished runs written under %s; 3 live runs writing (Ctrl-C stops)" % args.out, flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    runs = [LiveRun(args.out, i, steps_per_epoch=20 + 20 * i) for i in range(3)]
    next_index = 3
    started = time.time()
    try:
        while not args.seconds or time.time() - started < args.seconds:
            for i, run in enumerate(runs):
                if not run.tick():
                    runs[i] = LiveRun(args.out, next_index, steps_per_epoch=20 + 20 * (next_index % 3))
                    next_index += 1
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
