"""Run an ONNX model from Python: onnxruntime when installed, else onnx.reference (onnx >= 1.13),
else a small NumPy interpreter of the operators ``datadiet export`` writes (enough for every
objective, PredNet's step included). The interpreter needs only NumPy and the onnx package.

    model = load("sfa.onnx"); print(model.backend, model.metadata["datadiet.layers"])
    out = model.run({"image": x})          # x: float32 [N, 3, H, W] in [0, 1]; out: name -> array
"""

import json

import numpy as np


def _attrs(node):
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    n, c, h, wd = x.shape
    co, ci, kh, kw = w.shape
    if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("Conv with groups or dilations")
    sh, sw = a.get("strides", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    ho = (h + pt + pb - kh) // sh + 1
    wo = (wd + pl + pr - kw) // sw + 1
    cols = np.empty((n, ci, kh, kw, ho, wo), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i : i + sh * ho : sh, j : j + sw * wo : sw]
    y = np.einsum("nckluv,ockl->nouv", cols, w.astype(np.float64))
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def _maxpool(x, a):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    if any(a.get("pads", [0, 0, 0, 0])):
        raise NotImplementedError("MaxPool with pads")
    n, c, h, w = x.shape
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.full((n, c, ho, wo), -np.inf, dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, x[:, :, i : i + sh * ho : sh, j : j + sw * wo : sw])
    return out


def _resize_nearest(x, scales, a):
    if a.get("mode", b"nearest") not in (b"nearest", "nearest"):
        raise NotImplementedError("Resize other than nearest")
    n, c, h, w = x.shape
    ho, wo = int(h * scales[2]), int(w * scales[3])
    # asymmetric coordinates, floor: source index = floor(dst / scale)
    ri = np.minimum((np.arange(ho) / scales[2]).astype(int), h - 1)
    ci = np.minimum((np.arange(wo) / scales[3]).astype(int), w - 1)
    return x[:, :, ri][:, :, :, ci]


def _run_node(op, ins, a):
    if op == "Conv":
        return [_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
    if op == "Relu":
        return [np.maximum(ins[0], 0)]
    if op in ("Add", "Sub", "Mul", "Div"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
        return [f(ins[0], ins[1]).astype(np.float32)]
    if op in ("Min", "Max"):
        f = np.minimum if op == "Min" else np.maximum
        out = ins[0]
        for t in ins[1:]:
            out = f(out, t)
        return [out]
    if op == "Tanh":
        return [np.tanh(ins[0])]
    if op == "HardSigmoid":
        return [np.clip(a.get("alpha", 0.2) * ins[0] + a.get("beta", 0.5), 0, 1).astype(np.float32)]
    if op == "GlobalAveragePool":
        return [ins[0].mean(axis=(2, 3), keepdims=True)]
    if op == "Flatten":
        ax = a.get("axis", 1)
        return [ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)]
    if op == "Gemm":
        x, w = ins[0], ins[1]
        x = x.T if a.get("transA", 0) else x
        w = w.T if a.get("transB", 0) else w
        y = a.get("alpha", 1.0) * (x.astype(np.float64) @ w.astype(np.float64))
        if len(ins) > 2:
            y = y + a.get("beta", 1.0) * ins[2]
        return [y.astype(np.float32)]
    if op == "MatMul":
        return [(ins[0].astype(np.float64) @ ins[1].astype(np.float64)).astype(np.float32)]
    if op == "Concat":
        return [np.concatenate(ins, axis=a["axis"])]
    if op == "Split":
        sizes = ins[1] if len(ins) > 1 else a["split"]
        return np.split(ins[0], np.cumsum(sizes)[:-1], axis=a.get("axis", 0))
    if op == "MaxPool":
        return [_maxpool(ins[0], a)]
    if op == "Resize":
        return [_resize_nearest(ins[0], ins[2], a)]
    raise NotImplementedError("operator %s" % op)


class _NumpyRuntime:
    def __init__(self, model):
        from onnx import numpy_helper

        self.graph = model.graph
        self.consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}

    def run(self, feeds):
        values = dict(self.consts)
        values.update({k: np.asarray(v, dtype=np.float32) for k, v in feeds.items()})
        for node in self.graph.node:
            ins = [values[i] if i else None for i in node.input]
            outs = _run_node(node.op_type, ins, _attrs(node))
            values.update(zip(node.output, outs))
        return {o.name: values[o.name] for o in self.graph.output}


class Model:
    """An ONNX model with ``run(feeds) -> {output name: array}``, its ``metadata`` (dict of str),
    ``inputs``/``outputs`` (names) and the ``backend`` that runs it."""

    def __init__(self, path, backend=None):
        import onnx

        proto = onnx.load(path)
        self.metadata = {p.key: p.value for p in proto.metadata_props}
        inits = {t.name for t in proto.graph.initializer}
        self.inputs = [i.name for i in proto.graph.input if i.name not in inits]
        self.outputs = [o.name for o in proto.graph.output]
        self.backend, self._run = self._pick(path, proto, backend)

    @staticmethod
    def _pick(path, proto, backend):
        if backend in (None, "onnxruntime"):
            try:
                import onnxruntime as ort

                s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
                return "onnxruntime", lambda feeds: dict(
                    zip([o.name for o in s.get_outputs()], s.run(None, feeds))
                )
            except ImportError:
                if backend == "onnxruntime":
                    raise
        if backend in (None, "reference"):
            try:
                from onnx.reference import ReferenceEvaluator

                r = ReferenceEvaluator(proto)
                names = [o.name for o in proto.graph.output]
                return "onnx.reference", lambda feeds: dict(zip(names, r.run(None, feeds)))
            except ImportError:
                if backend == "reference":
                    raise
        rt = _NumpyRuntime(proto)
        return "numpy", rt.run

    def run(self, feeds):
        return self._run({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in feeds.items()})

    def meta_json(self, key, default=None):
        v = self.metadata.get(key)
        return json.loads(v) if v is not None else default


def load(path, backend=None):
    return Model(path, backend)
