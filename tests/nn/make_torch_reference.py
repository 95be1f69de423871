#!/usr/bin/env python3
"""Writes the PyTorch reference that tests/nn/test_torch_agreement.c checks
the engine against (as llm.c's test_gpt2 does), into tests/nn/data/:

  torch_small.json              the network: every layer of the `small`
                                preset, its hidden widths halved (so the
                                weights and gradients fit in a few MB), at the
                                reference's input size; a frozen copy, so
                                retuning the preset does not break the test
  torch_small_init.safetensors  its initial weights (a ddistill checkpoint)
  torch_small_ref.safetensors   what PyTorch computed from them:
    input                       [N, 3, H, W], standard normal
    target.<output>             per output, uniform in [0, 1)
    output.<output>             training-mode forward of the initial weights
    grad.<parameter>            gradient of the loss, every parameter
    grad.input                  gradient of the loss with respect to the input
    running.<bn>.running_mean   batch norm running statistics after that
    running.<bn>.running_var    one training forward
    losses                      [10]: the loss before each of 10 SGD steps,
                                same input and targets every step

The loss is   L = sum over outputs o of mean((o - target_o)^2),
so dL/do = 2 (o - target_o) / numel(o). SGD is torch.optim.SGD(lr, momentum,
weight_decay), weight decay on every parameter (batch norm's too).
Metadata records these settings and the PyTorch version.

Run it with the peer venv, from the repository root:
  /opt/ddistill-peer/bin/python tests/nn/make_torch_reference.py
"""
import argparse
import copy
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from torch_net import DdNet, load_network, save_safetensors  # noqa: E402


def exact_fp32():
    """Plain IEEE float32 everywhere, deterministic reductions."""
    torch.backends.mkldnn.enabled = False
    torch.set_float32_matmul_precision("highest")
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def randomize_batchnorm(model, gen):
    """Default BN is gamma=1, beta=0, mean 0, var 1: perturb them so their
    gradients and the running-average update are really tested."""
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            c = module.num_features
            with torch.no_grad():
                module.weight.copy_(0.5 + torch.rand(c, generator=gen))
                module.bias.copy_(0.1 * torch.randn(c, generator=gen))
                module.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                module.running_var.copy_(0.5 + torch.rand(c, generator=gen))


def narrow(spec, divisor):
    """Divides the output channels of every convolution but the heads' last
    ones (those the network outputs, directly or through a sigmoid), so the
    graph stays the same and only its hidden widths shrink."""
    if divisor == 1:
        return
    ends = set(spec["outputs"])
    for layer in spec["layers"]:
        if layer["name"] in ends and layer["op"] == "sigmoid":
            ends.update(layer["inputs"])
    for layer in spec["layers"]:
        if layer["op"] == "conv2d" and layer["name"] not in ends:
            if layer["out_channels"] % divisor:
                raise ValueError(f"layer '{layer['name']}': {layer['out_channels']} channels "
                                 f"do not divide by {divisor}")
            layer["out_channels"] //= divisor
    spec["name"] = f"{spec['name']}_width_div{divisor}"


def loss_of(outputs, targets):
    return sum(torch.mean((o - t) ** 2) for o, t in zip(outputs, targets))


def max_rel(a, b):
    return (a - b).abs().max().item() / max(b.abs().max().item(), 1e-30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    parser.add_argument("--network", default=os.path.join(root, "lib/nn/presets/small.json"))
    parser.add_argument("--out", default=os.path.join(root, "tests/nn/data"))
    parser.add_argument("--prefix", default="torch_small")
    parser.add_argument("--width-div", type=int, default=2,
                        help="divide the hidden widths by this (1: the preset as it is)")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=20180)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()

    exact_fp32()
    spec = load_network(args.network)
    narrow(spec, args.width_div)
    spec["input"]["height"] = args.size
    spec["input"]["width"] = args.size
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = DdNet(spec)
    randomize_batchnorm(model, gen)
    model.train()

    init_state = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(args.batch, spec["input"]["channels"], args.size, args.size, generator=gen)
    with torch.no_grad():
        shapes = [o.shape for o in copy.deepcopy(model)(x)]
    targets = [torch.rand(s, generator=gen) for s in shapes]

    # One training forward and backward from the initial weights.
    xg = x.clone().requires_grad_(True)
    outputs = model(xg)
    loss = loss_of(outputs, targets)
    loss.backward()
    ref = {"input": x}
    for name, t in zip(spec["outputs"], targets):
        ref[f"target.{name}"] = t
    for name, o in zip(spec["outputs"], outputs):
        ref[f"output.{name}"] = o.detach()
    for name, p in model.named_parameters():
        ref[f"grad.{name}"] = p.grad.detach().clone()
    ref["grad.input"] = xg.grad.detach()
    for name, t in model.state_dict().items():
        if name.endswith(".running_mean") or name.endswith(".running_var"):
            ref[f"running.{name}"] = t.clone()

    # How far float32 is from float64 on this network: the headroom below the
    # C test's tolerance (1e-4).
    model64 = DdNet(spec).double()
    model64.load_state_dict(init_state)
    model64.train()
    x64 = x.double().requires_grad_(True)
    loss_of(model64(x64), [t.double() for t in targets]).backward()
    worst = max(max_rel(xg.grad.double(), x64.grad),
                max(max_rel(p.grad.double(), p64.grad)
                    for p, p64 in zip(model.parameters(), model64.parameters())))

    # Ten SGD steps from the initial weights.
    model.load_state_dict(init_state)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                          weight_decay=args.weight_decay)
    losses = []
    for _ in range(args.steps):
        opt.zero_grad()
        step_loss = loss_of(model(x), targets)
        step_loss.backward()
        opt.step()
        losses.append(step_loss.item())
    ref["losses"] = torch.tensor(losses, dtype=torch.float32)

    os.makedirs(args.out, exist_ok=True)
    net_path = os.path.join(args.out, f"{args.prefix}.json")
    with open(net_path, "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    save_safetensors(os.path.join(args.out, f"{args.prefix}_init.safetensors"), init_state,
                     {"step": "0", "network": spec["name"]})
    meta = {"network": spec["name"], "batch": args.batch, "size": args.size,
            "seed": args.seed, "lr": args.lr, "momentum": args.momentum,
            "weight_decay": args.weight_decay, "steps": args.steps,
            "loss": "sum over outputs of mean((out - target)^2)",
            "torch_version": torch.__version__}
    save_safetensors(os.path.join(args.out, f"{args.prefix}_ref.safetensors"), ref, meta)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{spec['name']}: {n_params} parameters, batch {args.batch} at {args.size}x{args.size}, "
          f"torch {torch.__version__}")
    print(f"losses: {' '.join(f'{v:.6f}' for v in losses)}")
    print(f"float32 vs float64 gradients, worst max-relative error: {worst:.3g}")


if __name__ == "__main__":
    main()
