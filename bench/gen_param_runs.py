#!/usr/bin/env python3
"""Write a results folder of runs that each have a config.json of 20 params and a short ailab.log.

usage: gen_param_runs.py OUT_DIR RUNS [LINES] [--seed S]

For the overview's browser benchmark (bench/overview_browser_bench.mjs): 10,000 runs in 20
project folders, a mix of running / done / failed, with configs that differ (lr, batch size,
model, seed, a nested optimizer and scheduler, ...) and a few metrics per run.
"""
import argparse
import datetime as dt
import json
import os
import random

MODELS = ["resnet18", "resnet50", "vit-s", "vit-b", "convnext-t"]


def config(rnd, i):
    # 20 keys once flattened: 12 top-level + optimizer.{name,lr,momentum,weight_decay} + scheduler.{name,warmup,gamma} + data.{augment}
    return {
        "lr": rnd.choice([0.1, 0.03, 0.01, 0.003, 0.001, 3e-4, 1e-4]),
        "batch_size": rnd.choice([32, 64, 128, 256]),
        "model": rnd.choice(MODELS),
        "seed": i % 5,
        "epochs": rnd.choice([10, 20, 50]),
        "dropout": round(rnd.uniform(0, 0.5), 2),
        "label_smoothing": rnd.choice([0.0, 0.05, 0.1]),
        "amp": rnd.random() < 0.5,
        "grad_clip": rnd.choice([0.5, 1.0, 5.0]),
        "dataset": rnd.choice(["cifar10", "cifar100", "imagenet-100"]),
        "num_workers": rnd.choice([4, 8, 16]),
        "sweep": f"sweep{i % 40:02d}",
        "optimizer": {
            "name": rnd.choice(["sgd", "adam", "adamw"]),
            "lr_scale": rnd.choice([1, 2, 4]),
            "momentum": rnd.choice([0.8, 0.9, 0.95]),
            "weight_decay": rnd.choice([0.0, 1e-4, 5e-4]),
        },
        "scheduler": {"name": rnd.choice(["cosine", "step", "none"]), "warmup": rnd.choice([0, 500, 1000]), "gamma": 0.1},
        "data": {"augment": rnd.choice(["none", "flip", "randaug"])},
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("runs", type=int)
    p.add_argument("lines", type=int, nargs="?", default=5)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rnd = random.Random(a.seed)
    now = dt.datetime.now()
    for i in range(a.runs):
        d = os.path.join(a.out, f"project_{i % 20:02d}", f"run{i:05d}")
        os.makedirs(d, exist_ok=True)
        kind = rnd.choice(["running", "running", "done", "failed"])
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config(rnd, i), f)
        start = now - dt.timedelta(minutes=rnd.uniform(5, 600))
        with open(os.path.join(d, "ailab.log"), "w") as f:
            for j in range(a.lines):
                t = start + dt.timedelta(seconds=30 * j) if kind != "running" else now - dt.timedelta(seconds=30 * (a.lines - j))
                prog = (j + 1) / (a.lines + 1)
                f.write(json.dumps({
                    "timestamp": t.strftime("%Y-%m-%d %H:%M:%S.%f"), "goal": f"train {j + 1}/{a.lines + 1}",
                    "progress": round(prog, 3), "eta": "0:05:00", "score": round(rnd.random(), 4),
                    "loss": round(2 / (j + 1) + rnd.random() * 0.1, 5), "acc": round(prog * rnd.uniform(0.5, 1), 4),
                    "step": j,
                }) + "\n")
            if kind in ("done", "failed"):
                f.write(json.dumps({"timestamp": (start + dt.timedelta(seconds=30 * a.lines)).strftime("%Y-%m-%d %H:%M:%S.%f"), "goal": kind}) + "\n")


if __name__ == "__main__":
    main()
