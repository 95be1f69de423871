"""A ddistill network JSON (docs/network-format.md) as a PyTorch module, and
safetensors read/write with only the standard library, so the reference
generator and the benchmark run with any PyTorch, safetensors installed or not.

The module nests sub-modules by the layers' dotted names (layer `stem.conv`
is the module `stem.conv`), so its state_dict names are the checkpoint names
ddistill reads and writes.
"""
import array
import json
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn


def _pair(value, what, layer):
    """An attribute that is an integer or [h, w], as a (h, w) tuple."""
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return tuple(value)
    raise ValueError(f"layer '{layer}': '{what}' must be an integer or [h, w], got {value!r}")


def load_network(path):
    with open(path) as f:
        return json.load(f)


class DdNet(nn.Module):
    """Runs the layers of a network JSON in their listed order.

    forward(x) returns the tensors of the network's "outputs", in order.
    Only conv2d and batchnorm hold parameters, so only they are modules;
    the other ops are functions applied in forward().
    """

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.layers = spec["layers"]
        self.outputs = spec["outputs"]
        channels = {"input": spec["input"]["channels"]}
        for layer in self.layers:
            name, op = layer["name"], layer["op"]
            for src in layer["inputs"]:
                if src not in channels:
                    raise ValueError(f"layer '{name}': input '{src}' is not defined before it")
            in_c = channels[layer["inputs"][0]]
            if op == "conv2d":
                module = nn.Conv2d(
                    in_c, layer["out_channels"],
                    kernel_size=_pair(layer["kernel"], "kernel", name),
                    stride=_pair(layer.get("stride", 1), "stride", name),
                    padding=_pair(layer.get("padding", 0), "padding", name),
                    dilation=_pair(layer.get("dilation", 1), "dilation", name),
                    groups=layer.get("groups", 1),
                    bias=layer.get("bias", True))
                self._add_nested(name, module)
                channels[name] = layer["out_channels"]
            elif op == "batchnorm":
                module = nn.BatchNorm2d(in_c, eps=layer.get("eps", 1e-5),
                                        momentum=layer.get("momentum", 0.1))
                self._add_nested(name, module)
                channels[name] = in_c
            elif op == "concat":
                channels[name] = sum(channels[src] for src in layer["inputs"])
            elif op in ("relu", "maxpool", "upsample_nearest", "upsample_bilinear",
                        "add", "sigmoid"):
                channels[name] = in_c
            else:
                raise ValueError(f"layer '{name}': unknown op '{op}'")

    def _add_nested(self, dotted, module):
        parent = self
        parts = dotted.split(".")
        for part in parts[:-1]:
            child = getattr(parent, part, None)
            if not isinstance(child, nn.Module):
                child = nn.Module()
                parent.add_module(part, child)
            parent = child
        parent.add_module(parts[-1], module)

    def _module(self, dotted):
        return self.get_submodule(dotted)

    def forward(self, x):
        values = {"input": x}
        for layer in self.layers:
            name, op = layer["name"], layer["op"]
            args = [values[src] for src in layer["inputs"]]
            if op in ("conv2d", "batchnorm"):
                y = self._module(name)(args[0])
            elif op == "relu":
                y = F.relu(args[0])
            elif op == "maxpool":
                y = F.max_pool2d(args[0], _pair(layer["kernel"], "kernel", name),
                                 stride=_pair(layer.get("stride", 1), "stride", name),
                                 padding=_pair(layer.get("padding", 0), "padding", name))
            elif op == "upsample_nearest":
                y = F.interpolate(args[0], scale_factor=2, mode="nearest")
            elif op == "upsample_bilinear":
                y = F.interpolate(args[0], scale_factor=2, mode="bilinear",
                                  align_corners=False)
            elif op == "concat":
                y = torch.cat(args, dim=1)
            elif op == "add":
                y = args[0]
                for other in args[1:]:
                    y = y + other
            elif op == "sigmoid":
                y = torch.sigmoid(args[0])
            values[name] = y
        return [values[name] for name in self.outputs]


# safetensors: an 8-byte little-endian header length, a JSON header
# {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
# then the raw little-endian tensor bytes.
_DTYPES = {torch.float32: ("F32", "f"), torch.int64: ("I64", "q")}
_FROM_CODE = {"F32": torch.float32, "I64": torch.int64}


def _tensor_bytes(t):
    code = _DTYPES[t.dtype][1]
    values = t.detach().cpu().contiguous().reshape(-1).tolist()
    return array.array(code, values).tobytes()


def save_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} (float32 or int64) and string metadata."""
    if sys.byteorder != "little":
        raise RuntimeError("safetensors are little-endian; this writer assumes a little-endian host")
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        if t.dtype not in _DTYPES:
            raise ValueError(f"tensor '{name}': dtype {t.dtype} not supported (float32, int64)")
        blob = _tensor_bytes(t)
        header[name] = {"dtype": _DTYPES[t.dtype][0], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_safetensors(path):
    """Returns ({name: tensor}, metadata) from a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    body = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = _FROM_CODE[info["dtype"]]
        if not 0 <= begin <= end <= len(body):
            raise ValueError(f"{path}: tensor '{name}' data [{begin}, {end}) out of range")
        if begin == end:
            tensors[name] = torch.empty(info["shape"], dtype=dtype)
            continue
        flat = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype)
        tensors[name] = flat.reshape(info["shape"]).clone()
    return tensors, metadata
