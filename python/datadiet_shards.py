"""Read datadiet datasets from Python with tarfile + NumPy, and feed them to PyTorch.

A dataset is ``manifest.json`` plus WebDataset tar shards; one sample is one stereo sequence whose
members share a key (``seq-00000042.json``, ``seq-00000042.left.rgb.npy``, ...). This module
needs only the standard library and NumPy; ``ShardDataset`` is a ``torch.utils.data.IterableDataset``
when PyTorch is installed (a plain iterable otherwise), and splits the shards across
DataLoader workers and distributed ranks so that every shard is read by exactly one of them.

    python3 datadiet_shards.py DATA_DIR            # one JSON line per sample: key, label, shapes
"""

import io
import json
import os
import random
import sys
import tarfile

import numpy as np

try:  # PyTorch is optional: without it the dataset is a plain iterable.
    import torch
    from torch.utils.data import IterableDataset as _Base
    from torch.utils.data import get_worker_info
except ImportError:  # pragma: no cover - exercised where torch is absent
    torch = None
    _Base = object

    def get_worker_info():
        return None


def read_manifest(root):
    with open(os.path.join(root, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def shard_paths(root, manifest=None):
    """Shard files in manifest order. A shard's ``file`` is a path relative to manifest.json
    (``shards/shard-000000.tar``, format >= 1.2) or, in older datasets, a bare file name that
    lives under ``shards/``: both are accepted."""
    manifest = manifest if manifest is not None else read_manifest(root)
    out = []
    for s in manifest.get("shards", []):
        name = s["file"] if isinstance(s, dict) else str(s)
        candidates = [os.path.join(root, name)]
        if os.path.dirname(name) == "":
            candidates.append(os.path.join(root, "shards", name))
        found = next((p for p in candidates if os.path.isfile(p)), None)
        if found is None:
            raise FileNotFoundError(
                "shard %r of %s not found (looked at %s); is the dataset complete? "
                "(`datadiet verify %s`)" % (name, root, ", ".join(candidates), root)
            )
        out.append(found)
    return out


def iter_shard(path, members=None):
    """Samples of one tar shard, streamed (never the whole shard in memory): dicts with
    ``__key__``, ``json`` (the sample JSON) and one NumPy array per ``.npy`` member, named by
    its suffix (``left.rgb``, ``right.depth``, ``motion``, ...). ``members`` limits which suffixes
    are decoded (others are skipped unread)."""
    key, sample = None, None
    with tarfile.open(path, mode="r|") as tar:
        for info in tar:
            if not info.isfile():
                continue
            base = os.path.basename(info.name)
            k, _, suffix = base.partition(".")
            if k != key:
                if sample is not None:
                    yield sample
                key, sample = k, {"__key__": k}
            name = suffix[:-4] if suffix.endswith(".npy") else suffix
            if members is not None and name not in members and suffix != "json":
                continue
            data = tar.extractfile(info).read()
            if suffix == "json":
                sample["json"] = json.loads(data.decode("utf-8"))
            elif suffix.endswith(".npy"):
                sample[name] = np.load(io.BytesIO(data), allow_pickle=False)
            else:
                sample[name] = data
    if sample is not None:
        yield sample


def middle_frame_label(sample):
    """``datadiet evaluate``'s probe item: the middle left-eye frame (t = (T-1)//2) as float32
    [3, H, W] in [0, 1], and the category of the object covering most of that frame's left
    ``seg`` (the first object without seg). Label -1 when the sequence has no object."""
    rgb = sample["left.rgb"]
    t = (rgb.shape[0] - 1) // 2
    image = np.ascontiguousarray(rgb[t].transpose(2, 0, 1), dtype=np.float32) / 255.0
    objects = sample.get("json", {}).get("objects", [])
    if not objects:
        return image, -1
    best = objects[0]
    seg = sample.get("left.seg")
    if len(objects) > 1 and seg is not None:
        ids, counts = np.unique(seg[t][seg[t] != 0], return_counts=True)
        by_id = dict(zip(ids.tolist(), counts.tolist()))
        best_count = 0
        for o in objects:
            c = by_id.get(o["id"], 0)
            if c > best_count:
                best, best_count = o, c
    return image, int(best["category_index"])


def _rank_and_world(rank, world_size):
    if rank is not None and world_size is not None:
        return rank, world_size
    if torch is not None and torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


class ShardDataset(_Base):
    """Samples of a datadiet dataset, each shard read by exactly one (rank, DataLoader worker).

    Global worker g = rank * num_workers + worker_id of G = world_size * num_workers reads shards
    i with i % G == g (after an optional seeded shuffle of the shard order, the same on every
    rank: ``seed`` and ``set_epoch``). With fewer shards than G some workers get none: generate
    with more, smaller shards (``--sequences-per-shard``). ``transform`` maps each sample dict
    (e.g. ``middle_frame_label``)."""

    def __init__(self, root, members=None, transform=None, shuffle_shards=False, seed=0,
                 rank=None, world_size=None):
        super().__init__()
        self.root = root
        self.manifest = read_manifest(root)
        self.shards = shard_paths(root, self.manifest)
        self.members = set(members) if members is not None else None
        self.transform = transform
        self.shuffle_shards = shuffle_shards
        self.seed = seed
        self.epoch = 0
        self.rank, self.world_size = _rank_and_world(rank, world_size)

    def set_epoch(self, epoch):
        self.epoch = epoch

    def my_shards(self):
        order = list(range(len(self.shards)))
        if self.shuffle_shards:
            random.Random(self.seed * 1_000_003 + self.epoch).shuffle(order)
        info = get_worker_info()
        workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
        total = self.world_size * workers
        g = self.rank * workers + worker
        return [self.shards[i] for j, i in enumerate(order) if j % total == g]

    def __iter__(self):
        for path in self.my_shards():
            for sample in iter_shard(path, self.members):
                yield self.transform(sample) if self.transform else sample


def main(argv):
    root = argv[1]
    for s in ShardDataset(root, members={"left.rgb", "left.seg"}):
        _, label = middle_frame_label(s)
        print(json.dumps({"key": s["__key__"], "label": label,
                          "shape": list(s["left.rgb"].shape)}))


if __name__ == "__main__":
    main(sys.argv)
