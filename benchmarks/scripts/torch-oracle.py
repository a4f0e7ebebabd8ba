#!/usr/bin/python3
"""PyTorch's own float32 error next to ONNX Runtime's, for a folder written by ExportErrorProbe.

Usage: /usr/bin/python3 benchmarks/scripts/torch-oracle.py DIR ARCH [IMAGES]
Builds torchvision's ARCH body with fastai's default head (the layout Graft writes: concat pool, flatten,
BatchNorm1d, dropout, Linear, ReLU, BatchNorm1d, dropout, Linear), loads DIR/weights.safetensors strictly, runs
DIR/inputs.safetensors' images in float32 and float64 and prints, per forward, the largest difference from the float64
forward in probabilities, logits and centred logits (the logit error less its mean over the classes), over the first
IMAGES images (default 2, the export proof's batch) and over all.
"""
import json
import struct
import sys

import torch
import torchvision
from torch import nn


def read(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v['shape'])
    return out


class ConcatPool(nn.Module):
    def forward(self, x):
        return torch.cat([nn.functional.adaptive_max_pool2d(x, 1), nn.functional.adaptive_avg_pool2d(x, 1)], 1)


def main():
    folder, arch = sys.argv[1], sys.argv[2]
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    w = read(folder + '/weights.safetensors')
    t = read(folder + '/inputs.safetensors')
    m = getattr(torchvision.models, arch)()
    missing, unexpected = m.load_state_dict({k: v for k, v in w.items() if not k.startswith('head.')}, strict=False)
    assert not unexpected, unexpected
    assert all(k.split('.')[0] in ('fc', 'classifier') for k in missing), missing
    body = nn.Sequential(*list(m.children())[:-1])
    hw = {k[5:]: v for k, v in w.items() if k.startswith('head.')}
    n_in, mid, classes = hw['2.weight'].shape[0], hw['4.weight'].shape[0], hw['8.weight'].shape[0]
    head = nn.Sequential(ConcatPool(), nn.Flatten(), nn.BatchNorm1d(n_in), nn.Dropout(0.25),
                         nn.Linear(n_in, mid, bias='4.bias' in hw), nn.ReLU(), nn.BatchNorm1d(mid), nn.Dropout(0.5),
                         nn.Linear(mid, classes, bias='8.bias' in hw))
    head.load_state_dict(hw, strict=True)
    model = nn.Sequential(body, head).eval()
    x = t['x']
    with torch.no_grad():
        f32 = model(x).double()
        f64 = model.double()(x.double())
    p64 = f64.softmax(1)

    def figures(z):
        d = z - f64
        c = d - d.mean(1, keepdim=True)
        p = (z.softmax(1) - p64).abs()
        return [(p[:k].max().item(), d[:k].abs().max().item(), c[:k].abs().max().item())
                for k in (first, len(z))]

    print(f'{arch}: largest difference from torch float64 over the first {first} images / all {len(x)}')
    print(f"{'forward':<22} {'prob':>19} {'logit':>19} {'centred logit':>19}")
    for name, z in (('torch float32', f32), ('ONNX Runtime', t['ort'].double()), ('DJL float32', t['djl'].double())):
        (p2, l2, c2), (pa, la, ca) = figures(z)
        print(f'{name:<22} {p2:9.3g}/{pa:9.3g} {l2:9.3g}/{la:9.3g} {c2:9.3g}/{ca:9.3g}')


if __name__ == '__main__':
    main()
