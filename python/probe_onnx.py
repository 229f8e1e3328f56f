"""Linear-probe accuracy of an ONNX model on a datadiet dataset, the way ``datadiet evaluate``
reads models out: the middle left-eye frame of each sequence, labelled by the object covering most
of it; the model's features (the node ``datadiet export`` names, or ``--features``) pooled over
space; a closed-form ridge probe on standardised features (centred one-hot targets, strength
alpha * n_fit, float64), top-1 on held-out sequences.

    python3 probe_onnx.py --model sfa.onnx --data data/probe [--held-out-every 3] [--alpha 0.01]

Without --alpha, alpha is chosen by 5-fold stratified cross-validation inside the fit part over
datadiet's grid. Without --held-out-every, a seeded stratified 30 % is held out. Runs on
onnxruntime, onnx.reference or a NumPy interpreter (datadiet_onnx.py), whichever is present.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from datadiet_onnx import load  # noqa: E402
from datadiet_shards import ShardDataset, middle_frame_label, read_manifest  # noqa: E402

ALPHA_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100]
IMAGENET = {"range": 1, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
            "channel_order": "rgb"}


def resize(x, size):
    """[N, 3, H, W] to size: k x k block means for an integer shrink (as datadiet), else
    bilinear with half-pixel centres."""
    n, c, h, w = x.shape
    th, tw = size
    if (h, w) == (th, tw):
        return x
    if h % th == 0 and w % tw == 0 and h // th == w // tw:
        k = h // th
        return x.reshape(n, c, th, k, tw, k).mean(axis=(3, 5))

    def axis(src, dst):
        pos = np.clip((np.arange(dst) + 0.5) * src / dst - 0.5, 0, src - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, src - 1)
        return lo, hi, pos - lo

    lo, hi, f = axis(h, th)
    x = x[:, :, lo] * (1 - f)[:, None] + x[:, :, hi] * f[:, None]
    lo, hi, f = axis(w, tw)
    return x[..., lo] * (1 - f) + x[..., hi] * f


def features_of(model, images, feature, batch=16):
    pre = model.meta_json("datadiet.preprocessing", None) or dict(IMAGENET, input_size=[224, 224])
    inputs = model.meta_json("datadiet.image_inputs", None) or model.inputs[:1]
    mean = np.array(pre["mean"], dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.array(pre["std"], dtype=np.float32).reshape(1, 3, 1, 1)
    out = []
    for i in range(0, len(images), batch):
        x = resize(np.stack(images[i : i + batch]), pre["input_size"]) * pre.get("range", 1)
        if pre.get("channel_order") == "bgr":
            x = x[:, ::-1]
        x = ((x - mean) / std).astype(np.float32)
        y = model.run({name: x for name in inputs})[feature]
        if y.ndim == 4:
            y = y.mean(axis=(2, 3))
        elif y.ndim == 3:
            y = y.mean(axis=1)
        out.append(y.reshape(len(y), -1))
    return np.concatenate(out).astype(np.float64)


def fit_probe(F, labels, classes, alpha):
    mean = F.mean(0)
    scale = F.std(0)
    scale[scale == 0] = 1
    X = (F - mean) / scale
    n = len(X)
    onehot = np.eye(classes)[labels]
    freq = onehot.mean(0)
    Y = onehot - freq
    W = np.linalg.solve(X.T @ X + alpha * n * np.eye(X.shape[1]), X.T @ Y)
    bias = np.where(onehot.sum(0) > 0, freq, -1e3)
    return lambda G: ((G - mean) / scale) @ W + bias


def stratified_folds(labels, k, rng):
    folds = [[] for _ in range(k)]
    for c in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == c))
        for j, r in enumerate(rows):
            folds[j % k].append(r)
    return [np.array(sorted(f), dtype=int) for f in folds]


def choose_alpha(F, labels, classes, rng, k=5):
    k = min(k, len(F) // 2)
    if k < 2:
        return 1e-2
    folds = stratified_folds(labels, k, rng)
    best = None
    for a in ALPHA_GRID:
        correct, sq = 0, 0.0
        for f in folds:
            fit = np.setdiff1d(np.arange(len(F)), f)
            logits = fit_probe(F[fit], labels[fit], classes, a)(F[f])
            correct += int((logits.argmax(1) == labels[f]).sum())
            sq += float(((logits - np.eye(classes)[labels[f]]) ** 2).sum())
        if best is None or (correct, -sq) > (best[1], -best[2]):
            best = (a, correct, sq)
    return best[0]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="an .onnx file (e.g. from `datadiet export`)")
    p.add_argument("--data", required=True, help="a datadiet dataset folder (manifest.json)")
    p.add_argument("--features", help="value to probe (default: the export's datadiet.features)")
    p.add_argument("--held-out-every", type=int, help="hold out sequences i with i %% K == K-1")
    p.add_argument("--alpha", type=float, help="ridge strength (default: inner 5-fold CV)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-samples", type=int)
    p.add_argument("--backend", choices=["onnxruntime", "reference", "numpy"])
    p.add_argument("--save-features", help="write the features (float64 .npy) here")
    a = p.parse_args(argv)

    model = load(a.model, a.backend)
    feature = a.features or model.metadata.get("datadiet.features") or model.outputs[0]
    classes = len(read_manifest(a.data).get("categories", [])) or None
    images, labels, keys = [], [], []
    for s in ShardDataset(a.data, members={"left.rgb", "left.seg"}):
        image, label = middle_frame_label(s)
        if label < 0:
            continue
        images.append(image)
        labels.append(label)
        keys.append(s["__key__"])
        if a.max_samples and len(images) >= a.max_samples:
            break
    labels = np.array(labels, dtype=int)
    classes = classes or int(labels.max()) + 1
    F = features_of(model, images, feature)
    if a.save_features:
        np.save(a.save_features, F)
    rng = np.random.RandomState(a.seed)
    n = len(F)
    if a.held_out_every:
        k = a.held_out_every
        held = np.array([i % k == k - 1 for i in range(n)])
    else:
        held = np.zeros(n, dtype=bool)
        for c in np.unique(labels):
            rows = rng.permutation(np.flatnonzero(labels == c))
            held[rows[: int(round(0.3 * len(rows))) if len(rows) > 1 else 0]] = True
    fit = np.flatnonzero(~held)
    test = np.flatnonzero(held)
    alpha = a.alpha if a.alpha is not None else choose_alpha(F[fit], labels[fit], classes, rng)
    logits = fit_probe(F[fit], labels[fit], classes, alpha)(F[test])
    pred = logits.argmax(1)
    top1 = float((pred == labels[test]).mean())
    print(json.dumps({
        "model": a.model, "backend": model.backend, "features": feature, "dim": F.shape[1],
        "images": n, "fit": len(fit), "held_out": len(test), "alpha": alpha,
        "classes": classes, "top1": top1, "chance": 1.0 / classes,
        "held_out_predictions": [
            {"key": keys[r], "label": int(labels[r]), "prediction": int(p)}
            for r, p in zip(test, pred)
        ],
    }))


if __name__ == "__main__":
    main()
