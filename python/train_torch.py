"""Train a small PyTorch classifier on a datadiet dataset's shards: ShardDataset (tar + NumPy)
through a DataLoader with workers, each worker (and each rank under torchrun) reading its own
shards. A starting point for your own PyTorch training loop, not a benchmark.

    python3 train_torch.py --data data/corr --epochs 2 --workers 2
    torchrun --nproc_per_node 2 train_torch.py --data data/corr      # shards split by rank too
"""

import argparse
import json
import os
import sys

import torch
from torch import nn
from torch.utils.data import DataLoader

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from datadiet_shards import ShardDataset, middle_frame_label, read_manifest  # noqa: E402


def labelled(sample):
    image, label = middle_frame_label(sample)
    return torch.from_numpy(image), label


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    torch.manual_seed(a.seed)
    classes = len(read_manifest(a.data)["categories"])
    ds = ShardDataset(a.data, members={"left.rgb", "left.seg"}, transform=labelled,
                      shuffle_shards=True, seed=a.seed)
    loader = DataLoader(ds, batch_size=a.batch, num_workers=a.workers)
    net = nn.Sequential(
        nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, classes),
    )
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    seen = 0
    for epoch in range(a.epochs):
        ds.set_epoch(epoch)
        total, n = 0.0, 0
        for x, y in loader:
            keep = y >= 0  # sequences without an object carry label -1
            if not keep.any():
                continue
            loss = nn.functional.cross_entropy(net(x[keep]), y[keep])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * int(keep.sum())
            n += int(keep.sum())
        seen += n
        print(json.dumps({"epoch": epoch, "images": n, "loss": total / max(n, 1)}), flush=True)
    return seen


if __name__ == "__main__":
    main()
