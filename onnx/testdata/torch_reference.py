"""PyTorch reference for datadiet's ONNX import tests.

Builds a torchvision classifier with seeded random weights (batch-norm statistics randomised too,
so folding them into convolutions is exercised), exports it with torch.onnx.export, and writes
PyTorch's logits and the input gradient of each image's chosen logit:

    python3 torch_reference.py --arch resnet18 --size 64 --opset 13 --input x.npy \
        --classes c.npy --out DIR

x.npy is float32 [N, 3, H, W] (already preprocessed); c.npy int32 [N]. DIR receives model.onnx,
logits.npy [N, classes] and grad.npy [N, 3, H, W] = d logits[n, c[n]] / d x[n].
"""

import argparse
import os

import numpy as np
import torch
import torchvision


def build(arch: str, num_classes: int) -> torch.nn.Module:
    model = getattr(torchvision.models, arch)(num_classes=num_classes)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return model.eval()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--arch", required=True)
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--classes-count", type=int, default=1000)
    p.add_argument("--input", required=True)
    p.add_argument("--classes", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = build(a.arch, a.classes_count)
    x = torch.from_numpy(np.load(a.input)).float()
    cls = torch.from_numpy(np.load(a.classes)).long()
    torch.onnx.export(
        model,
        x[:1],
        os.path.join(a.out, "model.onnx"),
        opset_version=a.opset,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    )
    x.requires_grad_(True)
    logits = model(x)
    logits.gather(1, cls[:, None]).sum().backward()
    np.save(os.path.join(a.out, "logits.npy"), logits.detach().numpy().astype(np.float32))
    np.save(os.path.join(a.out, "grad.npy"), x.grad.numpy().astype(np.float32))


if __name__ == "__main__":
    main()
