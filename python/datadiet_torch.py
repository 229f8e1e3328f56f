"""An ONNX file written by ``datadiet export`` as a ``torch.nn.Module`` (no onnx2torch needed):
the initializers become parameters, each node a torch op, so the model trains, runs on a GPU and
gives input gradients (saliency) in PyTorch. Every value named in the export's ``datadiet.layers``
passes through an ``nn.Identity`` submodule of that name, so forward hooks, Brain-Score's
``PytorchWrapper(layers=...)`` and torchvision's feature extractors find the layers by name.

    net = to_torch("sfa.onnx")               # net.layers: ['relu0', ..., 'pooled', 'embedding']
    out = net(image)                         # dict: output name -> tensor (image [N, 3, H, W] in [0, 1])
"""

import json

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _attrs(node):
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def _op(op, ins, a):
    if op == "Conv":
        if a.get("group", 1) != 1:
            raise NotImplementedError("grouped Conv")
        pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
        x = F.pad(ins[0], (pl, pr, pt, pb))
        return [F.conv2d(x, ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", 1),
                         dilation=a.get("dilations", 1))]
    if op == "Relu":
        return [F.relu(ins[0])]
    if op in ("Add", "Sub", "Mul", "Div"):
        return [{"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op](*ins)]
    if op in ("Min", "Max"):
        f = torch.minimum if op == "Min" else torch.maximum
        out = ins[0]
        for t in ins[1:]:
            out = f(out, t)
        return [out]
    if op == "Tanh":
        return [torch.tanh(ins[0])]
    if op == "HardSigmoid":
        return [torch.clamp(a.get("alpha", 0.2) * ins[0] + a.get("beta", 0.5), 0, 1)]
    if op == "GlobalAveragePool":
        return [ins[0].mean(dim=(2, 3), keepdim=True)]
    if op == "Flatten":
        return [torch.flatten(ins[0], a.get("axis", 1))]
    if op == "Gemm":
        x = ins[0].t() if a.get("transA", 0) else ins[0]
        w = ins[1].t() if a.get("transB", 0) else ins[1]
        y = a.get("alpha", 1.0) * (x @ w)
        return [y + a.get("beta", 1.0) * ins[2] if len(ins) > 2 else y]
    if op == "MatMul":
        return [ins[0] @ ins[1]]
    if op == "Concat":
        return [torch.cat(ins, dim=a["axis"])]
    if op == "Split":
        sizes = ins[1].tolist() if len(ins) > 1 else a["split"]
        return list(torch.split(ins[0], sizes, dim=a.get("axis", 0)))
    if op == "MaxPool":
        return [F.max_pool2d(ins[0], a["kernel_shape"], a.get("strides", 1))]
    if op == "Resize":
        if _s(a.get("mode", "nearest")) != "nearest":
            raise NotImplementedError("Resize other than nearest")
        s = ins[2].tolist()
        return [F.interpolate(ins[0], scale_factor=(s[2], s[3]), mode="nearest")]
    raise NotImplementedError("operator %s" % op)


class OnnxModule(nn.Module):
    def __init__(self, path):
        super().__init__()
        import onnx
        from onnx import numpy_helper

        proto = onnx.load(path)
        self.metadata = {p.key: p.value for p in proto.metadata_props}
        self.layers = json.loads(self.metadata.get("datadiet.layers", "[]"))
        self.weights = nn.ParameterDict()
        self.constants = {}
        self.names = {}
        for i, t in enumerate(proto.graph.initializer):
            arr = numpy_helper.to_array(t)
            if arr.dtype == np.float32:
                key = "w%d" % i
                self.weights[key] = nn.Parameter(torch.from_numpy(arr.copy()))
                self.names[t.name] = key
            else:
                self.constants[t.name] = torch.from_numpy(arr.astype(np.int64))
        inits = {t.name for t in proto.graph.initializer}
        self.inputs = [i.name for i in proto.graph.input if i.name not in inits]
        self.outputs = [o.name for o in proto.graph.output]
        self.nodes = [(n.op_type, list(n.input), list(n.output), _attrs(n)) for n in proto.graph.node]
        # Named pass-through modules: hooks and layer lists address values by these names.
        self.taps = nn.ModuleDict({name: nn.Identity() for name in self.layers})

    def forward(self, *args, **kwargs):
        values = dict(zip(self.inputs, args))
        values.update(kwargs)
        for name, key in self.names.items():
            values[name] = self.weights[key]
        values.update(self.constants)
        for op, ins, outs, a in self.nodes:
            res = _op(op, [values[i] if i else None for i in ins], a)
            for o, v in zip(outs, res):
                values[o] = self.taps[o](v) if o in self.taps else v
        return {o: values[o] for o in self.outputs}


def to_torch(path):
    return OnnxModule(path)
