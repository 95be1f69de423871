#!/usr/bin/env python3
"""The PyTorch peer of `ddistill bench engine`: the same network (from its
JSON), batch and image size, timed the same way, printed as one JSON object
with the same keys plus `torch_version` and the settings chosen.

Each mode is tried at several settings (NCHW or channels-last memory, eager or
torch.compile) and the fastest is kept, unless --infer-setting/--train-setting
name one:
  inference: eval mode under torch.inference_mode(); compiled with inductor's
             freezing, so batch norm is folded into the convolutions as the
             engine's inference graph does;
  training:  train mode forward, loss, backward and an SGD step (momentum 0.9,
             weight decay 1e-4), the loss being sum over outputs of mean(o^2).
Timing: `warmup` iterations, then `repeats` timed runs of `iters` iterations;
the median run gives images/s. GFLOP/s use the FLOPs per image of one forward
(--flops-per-image, the engine's count, or else the convolutions' own
2*MACs), training counted as 3x a forward.

  /opt/ddistill-peer/bin/python bench/torch_small.py --preset small --batch 16 --size 128
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_net import DdNet, load_network  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def conv_flops_per_image(model, spec, size):
    """2 * multiply-adds of every convolution for one image (a meta-device
    trace, so nothing is computed)."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        kh, kw = module.kernel_size
        cin = module.in_channels // module.groups
        total += 2 * output[0].numel() * cin * kh * kw

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, spec["input"]["channels"], size, size))
    for h in handles:
        h.remove()
    return total


def time_runs(step, warmup, repeats, iters, fastest=False):
    """Seconds per iteration: the median of `repeats` timed runs (with
    `fastest`, the fastest run: for a peak)."""
    for _ in range(warmup):
        step()
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iters):
            step()
        runs.append((time.perf_counter() - start) / iters)
    return min(runs) if fastest else statistics.median(runs)


def make_model(spec, channels_last):
    torch.manual_seed(0)
    model = DdNet(spec)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


def make_input(spec, batch, size, channels_last):
    x = torch.randn(batch, spec["input"]["channels"], size, size)
    return x.to(memory_format=torch.channels_last) if channels_last else x


def inference_step(spec, args, channels_last, compiled):
    model = make_model(spec, channels_last).eval()
    x = make_input(spec, args.batch, args.size, channels_last)
    if compiled:
        model = torch.compile(model)

    def step():
        with torch.inference_mode():
            model(x)
    return step


def training_step(spec, args, channels_last, compiled):
    model = make_model(spec, channels_last).train()
    x = make_input(spec, args.batch, args.size, channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9, weight_decay=1e-4)
    forward = torch.compile(model) if compiled else model

    def step():
        opt.zero_grad(set_to_none=True)
        loss = sum(torch.mean(o * o) for o in forward(x))
        loss.backward()
        opt.step()
    return step


SETTINGS = ["eager-nchw", "eager-channels_last", "compile-nchw", "compile-channels_last"]


def best_setting(name, make_step, choice, spec, args, log):
    """(images/s, setting) of the fastest of the settings `choice` allows."""
    candidates = SETTINGS if choice == "best" else [choice]
    best = None
    for setting in candidates:
        compiled = setting.startswith("compile")
        torch._dynamo.reset()
        step = make_step(spec, args, setting.endswith("channels_last"), compiled)
        # The first calls of a compiled module compile it: more warm-up.
        warmup = args.warmup + (2 if compiled else 0)
        img_per_s = args.batch / time_runs(step, warmup, args.repeats, args.iters)
        log(f"{name}: {setting}: {img_per_s:.2f} images/s")
        if best is None or img_per_s > best[0]:
            best = (img_per_s, setting)
    return best


def peak_gflops(args):
    """The same large convolution the engine measures its peak on."""
    conv = torch.nn.Conv2d(256, 256, 3, padding=1, bias=False).eval()
    x = torch.randn(args.peak_batch, 256, 56, 56)
    flops = 2 * args.peak_batch * 256 * 256 * 9 * 56 * 56

    def step():
        with torch.inference_mode():
            conv(x)
    return flops / time_runs(step, 1, args.repeats, 1, fastest=True) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="small")
    parser.add_argument("--network", help="a network JSON (default: the preset's)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--iters", type=int, default=5, help="iterations per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the median is kept")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--peak-batch", type=int, default=2)
    parser.add_argument("--flops-per-image", type=float,
                        help="FLOPs of one forward per image (default: the convolutions' 2*MACs)")
    parser.add_argument("--infer-setting", choices=["best"] + SETTINGS, default="best",
                        help="inference setting; best: try them all, keep the fastest")
    parser.add_argument("--train-setting", choices=["best"] + SETTINGS, default="best",
                        help="training setting; best: try them all, keep the fastest")
    parser.add_argument("--quiet", action="store_true", help="no per-setting lines on stderr")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    # Inductor folds constants (batch norm into convolutions) in graphs that
    # need no gradient; training graphs are unaffected.
    import torch._inductor.config as inductor_config
    inductor_config.freezing = True
    path = args.network or os.path.join(ROOT, "lib/nn/presets", f"{args.preset}.json")
    spec = load_network(path)
    spec["input"]["height"] = spec["input"]["width"] = args.size

    def log(line):
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    probe = DdNet(spec)
    flops = args.flops_per_image or conv_flops_per_image(probe, spec, args.size)
    params = sum(p.numel() for p in probe.parameters())
    infer, infer_setting = best_setting("inference", inference_step, args.infer_setting,
                                        spec, args, log)
    train, train_setting = best_setting("training", training_step, args.train_setting,
                                        spec, args, log)
    peak = peak_gflops(args)
    result = {
        "engine": "pytorch",
        "torch_version": torch.__version__,
        "network": spec["name"],
        "batch": args.batch,
        "size": args.size,
        "threads": torch.get_num_threads(),
        "params": params,
        "flops_per_image": flops,
        "train_img_per_s": train,
        "infer_img_per_s": infer,
        "train_gflops": train * 3 * flops / 1e9,
        "infer_gflops": infer * flops / 1e9,
        "peak_gflops": peak,
        "train_setting": train_setting,
        "infer_setting": infer_setting,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
