#!/usr/bin/env python3
"""Writes a small demo results folder for AI Lab and keeps three simulated runs writing.

usage: demo_runs.py OUT_DIR [--seconds N]

First it writes finished runs, one per state (done at 100 %, failed at epoch 4 with its loss
climbing, dead at 60 % without a last word, one that died in warm-up, flagged "aborted_early"),
and a sweep of 2 learning rates x 3 seeds, with timestamps in the past. Every run has a
config.json whose params differ (lr, batch size, model, seed). Then three runs train "live", one line a second
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


def write_config(folder, **params):
    """config.json: the hyperparameters the overview, filter and Compare show (flattened there)."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as out:
        json.dump(params, out, indent=2)


def write_history(folder, start, lines, epochs, end_goal=None, warmup_only=False, stop_after=None,
                  lr=0.001, seed=0, diverge_at=None, final_score=0.95):
    """A finished run's log with timestamps from `start`, one line a minute.

    - `stop_after`: the run stops writing after that many of its `lines` (dead: never progress 1.0);
    - `diverge_at`: from that fraction on the loss climbs, and the run ends `failed` where it is;
    - `end_goal` "done" ends at progress 1.0 with `final_score`.
    """
    os.makedirs(folder, exist_ok=True)
    noise = random.Random(seed * 1000 + int(lr * 1e6))
    t = start
    last_progress = 0.0
    with open(os.path.join(folder, "ailab.log"), "w") as out:
        for i in range(stop_after or lines):
            t = start + dt.timedelta(minutes=i)
            line = {"timestamp": t.strftime("%Y-%m-%d %H:%M:%S.%f")}
            if warmup_only:
                line.update(goal="warmup", progress=0.0)
            else:
                progress = (i + 1) / lines
                last_progress = progress
                epoch = min(epochs, int(progress * epochs) + 1)
                loss = 2.0 * math.exp(-3 * progress * (1 + 100 * lr)) + noise.random() * 0.05
                if diverge_at is not None and progress > diverge_at:
                    loss = max(loss, 0.4) * math.exp(25 * (progress - diverge_at))
                score = 0.5 + (final_score - 0.5) * progress ** 0.7 + (noise.random() - 0.5) * 0.01
                line.update(goal="%s %d/%d" % ("val" if i % 10 == 9 else "train", epoch, epochs),
                            progress=round(progress, 4), eta=str(dt.timedelta(minutes=lines - i - 1)),
                            score=round(score, 4), step=i, loss=round(loss, 5),
                            lr=round(lr * (1 - 0.9 * progress), 7))
                if i % 10 == 9:
                    line["val_loss"] = round(loss * 1.15, 5)
                    line["val_acc"] = round(score - 0.02, 4)
            out.write(json.dumps(line) + "\n")
            if diverge_at is not None and not warmup_only and last_progress > diverge_at + 0.1:
                break
        if end_goal:
            end = {"timestamp": (t + dt.timedelta(seconds=30)).strftime("%Y-%m-%d %H:%M:%S.%f"), "goal": end_goal}
            if end_goal == "done":
                end.update(progress=1.0, eta="0:00:00", score=final_score)
            else:
                end.update(progress=round(last_progress, 4), error="loss diverged (nan at step %d)" % (i + 1))
            out.write(json.dumps(end) + "\n")


class LiveRun:
    MODELS = ["resnet18", "resnet50", "vit-s"]

    def __init__(self, out, index, epochs=5, steps_per_epoch=60):
        name = "%s_live%02d" % (dt.datetime.now().strftime("%Y-%m-%d_%H.%M.%S"), index)
        folder = os.path.join(out, "live", name)
        self.lr = [0.001, 0.0003, 0.003][index % 3]
        write_config(folder, model=self.MODELS[index % 3], seed=index, batch_size=[64, 128, 256][index % 3],
                     optimizer={"name": "adamw", "lr": self.lr, "weight_decay": 0.05}, epochs=epochs)
        self.log = RunLog(folder, epochs=epochs)
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
            self.log.train(epoch, progress=progress, step=self.step, loss=loss, lr=self.lr * (1 - progress) + 1e-5)
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
    # One run per state, each looking like what it is.
    base = dict(model="resnet50", batch_size=128, seed=0, optimizer={"name": "adamw", "weight_decay": 0.05})
    write_history(os.path.join(history, "baseline_done"), now - dt.timedelta(days=2), 120, 10, "done",
                  lr=0.001, final_score=0.93)
    write_config(os.path.join(history, "baseline_done"), **dict(base, lr=0.001, epochs=10))
    # A failed run stops where it failed: epoch 4 of 10, loss climbing, no ETA.
    write_history(os.path.join(history, "lr_sweep_0.1_failed"), now - dt.timedelta(days=1), 120, 10, "failed",
                  lr=0.1, diverge_at=0.25)
    write_config(os.path.join(history, "lr_sweep_0.1_failed"), **dict(base, lr=0.1, epochs=10))
    # Dead: stopped writing at 60 % hours ago, without a last word.
    write_history(os.path.join(history, "big_model_dead"), now - dt.timedelta(hours=8), 90, 10, stop_after=55,
                  lr=0.0005)
    write_config(os.path.join(history, "big_model_dead"), **dict(base, model="vit-l", batch_size=32, lr=0.0005,
                                                                  epochs=10))
    write_history(os.path.join(history, "oom_in_warmup"), now - dt.timedelta(hours=5), 3, 10, warmup_only=True)
    write_config(os.path.join(history, "oom_in_warmup"), **dict(base, model="vit-l", batch_size=512, lr=0.001,
                                                                 epochs=10))
    # A sweep: 2 learning rates x 3 seeds (group by lr in Compare, the seeds become a band).
    for lr in (0.001, 0.003):
        for seed in range(3):
            folder = os.path.join(args.out, "sweeps", "lr%s_seed%d" % (lr, seed))
            write_history(folder, now - dt.timedelta(hours=30 - seed), 100, 5, "done", lr=lr, seed=seed,
                          final_score=0.9 + (0.02 if lr == 0.003 else 0.0) + seed * 0.004)
            write_config(folder, **dict(base, model="resnet18", lr=lr, seed=seed, epochs=5))
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
