#!/usr/bin/env python3
"""Read a datadiet dataset with nothing but the standard library and NumPy.

    python3 examples/read_ground_truth.py DATASET_DIR [--sample N]

Shows how to use the manifest (shard paths, camera, conventions) and the ground-truth masks of
one sample: `valid` (which pixels show a surface; the sky test), `occlusion` (which points are
still visible one frame later) and `flow`. It prints a JSON summary; the checks it makes are the
ones a user should make before trusting flow or depth:
  * sky pixels (valid == 0) hold depth == depth_far and seg == 0;
  * warping frame t+1 back by the flow reproduces frame t where occlusion == 0, and not where the
    point is hidden (occlusion == 1);
  * a pixel back-projected with K and depth lands in front of the camera.
Layers a dataset lacks are skipped (spec `layers`; `valid` and `occlusion` need format >= 1.2).
"""

import io
import json
import os
import sys
import tarfile

import numpy as np


def shard_path(root, record):
    # Format >= 1.2 lists `shards/shard-000000.tar` (relative to manifest.json); older
    # datasets list the bare name, which lives in shards/.
    name = record["file"]
    return os.path.join(root, name if "/" in name else os.path.join("shards", name))


def read_samples(path):
    """Yields {member: bytes} per sample; members of one sample are consecutive in the tar."""
    with tarfile.open(path) as tar:
        key, members = None, {}
        for info in tar:
            if not info.isfile():
                continue
            k, name = info.name.split(".", 1)
            if key is not None and k != key:
                yield key, members
                members = {}
            key = k
            members[name] = tar.extractfile(info).read()
        if key is not None:
            yield key, members


def load(members, name):
    return np.load(io.BytesIO(members[name])) if name in members else None


def bilinear(img, x, y):
    """img [H,W,C] sampled at float coordinates (x, y); NaN outside."""
    h, w = img.shape[:2]
    x0 = np.floor(x).astype(int)
    y0 = np.floor(y).astype(int)
    ok = (x0 >= 0) & (y0 >= 0) & (x0 + 1 < w) & (y0 + 1 < h)
    x0c, y0c = np.clip(x0, 0, w - 2), np.clip(y0, 0, h - 2)
    a, b = (x - x0)[..., None], (y - y0)[..., None]
    v = ((1 - b) * ((1 - a) * img[y0c, x0c] + a * img[y0c, x0c + 1])
         + b * ((1 - a) * img[y0c + 1, x0c] + a * img[y0c + 1, x0c + 1]))
    v[~ok] = np.nan
    return v


def main(argv):
    root = argv[1]
    want = int(argv[argv.index("--sample") + 1]) if "--sample" in argv else 0
    manifest = json.load(open(os.path.join(root, "manifest.json")))
    far = manifest["depth_far"]
    summary = {"format_version": manifest["format_version"]}

    # Intrinsics and baseline are constant per dataset (format >= 1.2 states them once).
    camera = manifest.get("camera")
    for record in manifest["shards"]:
        for key, members in read_samples(shard_path(root, record)):
            meta = json.loads(members["json"])
            if meta["index"] == want:
                break
        else:
            continue
        break
    else:
        raise SystemExit(f"sample {want} not found")
    K = np.array(camera["K_matrix"]) if camera else np.array(
        [[meta["K"]["fx"], 0, meta["K"]["cx"]], [0, meta["K"]["fy"], meta["K"]["cy"]], [0, 0, 1]])
    summary.update(key=key, T=meta["T"], H=meta["H"], W=meta["W"], baseline_m=meta["baseline_m"])

    rgb = load(members, "left.rgb.npy")
    depth = load(members, "left.depth.npy")
    seg = load(members, "left.seg.npy")
    valid = load(members, "left.valid.npy")
    occlusion = load(members, "left.occlusion.npy")
    flow = load(members, "left.flow.npy")

    if valid is not None:
        sky = valid == 0
        summary["sky_fraction"] = float(sky.mean())
        if depth is not None:
            summary["sky_depth_is_far"] = bool(np.all(depth[sky] == np.float32(far)))
            # Why valid and not depth: the far ground may lie slightly beyond depth_far.
            summary["surface_pixels_beyond_far"] = int((depth[~sky] >= np.float32(far)).sum())
        if seg is not None:
            summary["sky_seg_is_background"] = bool(np.all(seg[sky] == 0))

    if depth is not None and valid is not None:
        # Back-project the centre pixel of frame 0 into the camera frame (OpenCV axes, metres).
        v, u = meta["H"] // 2, meta["W"] // 2
        if valid[0, v, u]:
            point = depth[0, v, u] * np.linalg.inv(K) @ np.array([u, v, 1.0])
            summary["centre_point_camera_m"] = [round(float(c), 4) for c in point]

    if rgb is not None and flow is not None and occlusion is not None and valid is not None:
        T, H, W = depth.shape if depth is not None else rgb.shape[:3]
        ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
        errors = {0: [], 1: []}
        counts = {int(c): int((occlusion[:-1] == c).sum()) for c in (0, 1, 2)}
        for t in range(T - 1):
            warped = bilinear(rgb[t + 1].astype(np.float64), xs + flow[t, ..., 0], ys + flow[t, ..., 1])
            err = np.abs(warped - rgb[t]).mean(axis=-1)
            for code in (0, 1):
                m = (occlusion[t] == code) & (valid[t] == 1) & ~np.isnan(err)
                errors[code].extend(err[m].tolist())
        summary["occlusion_counts"] = counts
        summary["warp_error_visible"] = float(np.mean(errors[0])) if errors[0] else None
        summary["warp_error_hidden"] = float(np.mean(errors[1])) if errors[1] else None

    print(json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv)
