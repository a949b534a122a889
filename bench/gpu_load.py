#!/usr/bin/env python3
"""Keeps every visible GPU busy for a while (bf16 matrix products with PyTorch), so that
bench/gpu_check.sh sees utilisation, memory and a compute process to compare with nvidia-smi.
usage: gpu_load.py SECONDS"""
import sys
import time

import torch

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
tensors = [(torch.randn(8192, 8192, device=d, dtype=torch.bfloat16),
            torch.randn(8192, 8192, device=d, dtype=torch.bfloat16)) for d in devices]
print(f"gpu_load: {len(devices)} GPU(s) for {seconds:.0f} s", flush=True)
end = time.time() + seconds
while time.time() < end:
    for a, b in tensors:
        a @ b
    for d in devices:
        torch.cuda.synchronize(d)
