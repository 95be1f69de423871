#!/usr/bin/env python3
"""Writes the network presets tiny.json, small.json and base.json beside
this script: CenterNet-style person detectors (centre heatmap, box size,
centre offset, 17 keypoint heatmaps, keypoint offsets from the centre, all
at stride 4) on residual backbones of three sizes.

The JSON files are what ddistill reads; this script is how they were made,
kept so a change to an architecture is a change to a few lines here. Run it
with any Python 3 (standard library only) and commit its output.
Parameter counts and FLOPs are printed for the file's input size
(FLOPs: convolutions only, a multiply-add counted as 2, as lib/nn counts).
"""
import json
import os

KEYPOINTS = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]
# 0-based keypoint channels that swap under a horizontal flip.
FLIP_PAIRS = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]]
# COCO's person skeleton, 1-based as in COCO's categories.
SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13],
            [6, 7], [6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3],
            [2, 4], [3, 5], [4, 6], [5, 7]]
# name, output channels, activation of the output
HEADS = [
    ("center", 1, "sigmoid"),
    ("size", 2, None),
    ("offset", 2, None),
    ("keypoint_heatmap", len(KEYPOINTS), "sigmoid"),
    ("keypoint_offset", 2 * len(KEYPOINTS), None),
]


class Builder:
    def __init__(self, channels, height, width=None):
        self.layers = []
        self.shape = {"input": (channels, height, width or height)}
        self.params = 0
        self.flops = 0

    def add(self, name, op, inputs, **attrs):
        layer = {"name": name, "op": op, "inputs": inputs}
        layer.update(attrs)
        self.layers.append(layer)
        c, h, w = self.shape[inputs[0]]
        if op == "conv2d":
            k, s, p = attrs["kernel"], attrs.get("stride", 1), attrs.get("padding", 0)
            out = attrs["out_channels"]
            h, w = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            self.params += out * c * k * k + (out if attrs.get("bias", True) else 0)
            self.flops += 2 * out * c * k * k * h * w
            c = out
        elif op == "batchnorm":
            self.params += 2 * c
        elif op == "maxpool":
            k, s, p = attrs["kernel"], attrs["stride"], attrs.get("padding", 0)
            h, w = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif op.startswith("upsample"):
            h, w = 2 * h, 2 * w
        elif op == "concat":
            c = sum(self.shape[i][0] for i in inputs)
        self.shape[name] = (c, h, w)
        return name

    def conv_bn(self, name, x, out, kernel, stride=1, relu=True, bn="bn", conv="conv"):
        """conv (no bias) + batch norm (+ ReLU); returns the last layer."""
        x = self.add(f"{name}.{conv}", "conv2d", [x], out_channels=out, kernel=kernel,
                     stride=stride, padding=kernel // 2, bias=False)
        x = self.add(f"{name}.{bn}", "batchnorm", [x])
        if relu:
            x = self.add(f"{name}.relu", "relu", [x])
        return x

    def basic_block(self, name, x, out, stride):
        """ResNet's basic block with torchvision's module names."""
        shortcut = x
        y = self.add(f"{name}.conv1", "conv2d", [x], out_channels=out, kernel=3,
                     stride=stride, padding=1, bias=False)
        y = self.add(f"{name}.bn1", "batchnorm", [y])
        y = self.add(f"{name}.relu1", "relu", [y])
        y = self.add(f"{name}.conv2", "conv2d", [y], out_channels=out, kernel=3,
                     padding=1, bias=False)
        y = self.add(f"{name}.bn2", "batchnorm", [y])
        if stride != 1 or self.shape[x][0] != out:
            shortcut = self.add(f"{name}.downsample.0", "conv2d", [x], out_channels=out,
                                kernel=1, stride=stride, bias=False)
            shortcut = self.add(f"{name}.downsample.1", "batchnorm", [shortcut])
        y = self.add(f"{name}.add", "add", [y, shortcut])
        return self.add(f"{name}.relu2", "relu", [y])

    def heads(self, x, head_channels):
        """One small branch per head; returns the output layer names."""
        outputs = {}
        for name, channels, activation in HEADS:
            y = x
            if head_channels:
                y = self.add(f"heads.{name}.conv", "conv2d", [y], out_channels=head_channels,
                             kernel=3, padding=1)
                y = self.add(f"heads.{name}.relu", "relu", [y])
            y = self.add(f"heads.{name}.out", "conv2d", [y], out_channels=channels, kernel=1)
            if activation:
                y = self.add(f"heads.{name}.{activation}", activation, [y])
            outputs[name] = {"output": y, "logits": f"heads.{name}.out",
                             "channels": channels, "activation": activation}
        return outputs


def up_merge(b, name, deep, lateral, out, mode, kernel=3):
    """Upsamples `deep` 2x and merges the lateral feature: `add` projects the
    lateral to the upsampled channels with a 1x1 conv; `concat` stacks them.
    A conv + BN + ReLU to `out` channels smooths the result."""
    up = b.add(f"{name}.up", "upsample_" + mode[1], [deep])
    if mode[0] == "add":
        lat = b.add(f"{name}.lateral", "conv2d", [lateral], out_channels=b.shape[up][0],
                    kernel=1, bias=False)
        merged = b.add(f"{name}.merge", "add", [up, lat])
    else:
        merged = b.add(f"{name}.merge", "concat", [up, lateral])
    return b.conv_bn(f"{name}.smooth", merged, out, kernel)


def tiny():
    b = Builder(3, 64)
    x = b.conv_bn("backbone.stem", "input", 8, 3, stride=2)            # 32
    s4 = b.conv_bn("backbone.down1", x, 12, 3, stride=2)               # 16
    x = b.conv_bn("backbone.down2", s4, 16, 3, stride=2)               # 8
    y = b.conv_bn("backbone.res.a", x, 8, 1)
    y = b.conv_bn("backbone.res.b", y, 16, 3, relu=False)
    x = b.add("backbone.res.add", "add", [y, x])
    x = b.add("backbone.res.relu", "relu", [x])
    x = up_merge(b, "neck.up1", x, s4, 16, ("concat", "nearest"), 1)   # 16: stride 4
    return b, b.heads(x, 0)


def small():
    # 160x192: the benchmarks' 192x144 frames at their own scale (the
    # height rounded up to a multiple of the stride-32 stage). Their faces
    # are a few pixels across and the eyes are drawn sub-pixel; at 96x128
    # (2/3 scale) the face's keypoints stayed about 3 frame pixels off,
    # more than OKS allows a face (bench/RESULTS.md, "Detector", run 10).
    # Heads 32 wide instead of 48 pay back a seventh of the cost.
    b = Builder(3, 160, 192)
    x = b.conv_bn("backbone.stem1", "input", 24, 3, stride=2)          # 2
    x = b.conv_bn("backbone.stem2", x, 32, 3, stride=2)                # 4
    s4 = b.basic_block("backbone.layer1.0", x, 32, 1)
    s8 = b.basic_block("backbone.layer2.0", s4, 64, 2)                 # 8
    s8 = b.basic_block("backbone.layer2.1", s8, 64, 1)
    s16 = b.basic_block("backbone.layer3.0", s8, 128, 2)               # 16
    s16 = b.basic_block("backbone.layer3.1", s16, 128, 1)
    s32 = b.basic_block("backbone.layer4.0", s16, 192, 2)              # 32
    x = up_merge(b, "neck.up1", s32, s16, 128, ("add", "bilinear"))   # 16
    x = up_merge(b, "neck.up2", x, s8, 64, ("add", "bilinear"))       # 8
    x = up_merge(b, "neck.up3", x, s4, 48, ("concat", "bilinear"))    # 4
    return b, b.heads(x, 32)


def base():
    b = Builder(3, 512)
    x = b.add("backbone.conv1", "conv2d", ["input"], out_channels=64, kernel=7, stride=2,
              padding=3, bias=False)
    x = b.add("backbone.bn1", "batchnorm", [x])
    x = b.add("backbone.relu", "relu", [x])
    x = b.add("backbone.maxpool", "maxpool", [x], kernel=3, stride=2, padding=1)
    feats = []
    for stage, channels in enumerate([64, 128, 256, 512], start=1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            x = b.basic_block(f"backbone.layer{stage}.{block}", x, channels, stride)
        feats.append(x)
    x = up_merge(b, "neck.up1", x, feats[2], 256, ("add", "bilinear"))
    x = up_merge(b, "neck.up2", x, feats[1], 128, ("add", "bilinear"))
    x = up_merge(b, "neck.up3", x, feats[0], 64, ("add", "bilinear"))
    return b, b.heads(x, 64)


def write(name, make, path):
    b, heads = make()
    c, h, w = b.shape["input"]
    doc = {
        "name": name,
        "input": {"channels": c, "height": h, "width": w},
        "layers": b.layers,
        "outputs": [heads[n]["output"] for n, _, _ in HEADS],
        "output_stride": h // b.shape[heads["center"]["output"]][1],
        "classes": ["person"],
        "heads": heads,
        "keypoints": KEYPOINTS,
        "flip_pairs": FLIP_PAIRS,
        "skeleton": SKELETON,
    }
    # One layer per line: diffs of an architecture stay readable.
    text = json.dumps(doc, indent=2)
    layers = ",\n    ".join(json.dumps(layer) for layer in b.layers)
    start = text.index('"layers": [')
    end = text.index('"outputs":')
    text = text[:start] + '"layers": [\n    ' + layers + "\n  ],\n  " + text[end:]
    with open(path, "w") as f:
        f.write(text + "\n")
    print(f"{name}: {len(b.layers)} layers, {b.params} parameters, "
          f"{b.flops} FLOPs ({b.flops / 1e9:.3f} G) per {h}x{w} image")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, make in [("tiny", tiny), ("small", small), ("base", base)]:
        write(name, make, os.path.join(here, name + ".json"))


if __name__ == "__main__":
    main()
