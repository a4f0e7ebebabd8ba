"""PyTorch peer for TrainingThroughput: resnet18 + fastai's default head, 64 px, batch 32, train mode, AdamW, CPU.

Model only (random tensors, no data loading), so it is an upper bound for what the trainer can reach through
PyTorch on the same machine. Debian's python3-torch and python3-torchvision are enough; never a Graft dependency.

    /usr/bin/python3 benchmarks/peer/torch_training_peer.py [threads=2] [steps=20] [full|head]

`head` trains the head alone, as TrainingThroughput's head-only phase does: the body frozen with its BatchNorm (eval
mode, no gradient), so its forward runs under no_grad and only the head's parameters are stepped.
"""
import sys
import time

import torch
import torch.nn as nn
import torchvision

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
mode = sys.argv[3] if len(sys.argv) > 3 else "full"
if mode not in ("full", "head"):
    sys.exit(f"mode is full or head, not {mode}")
torch.set_num_threads(threads)


class ConcatPool(nn.Module):
    """fastai's AdaptiveConcatPool2d: max, then average."""

    def forward(self, x):
        return torch.cat([nn.functional.adaptive_max_pool2d(x, 1), nn.functional.adaptive_avg_pool2d(x, 1)], 1)


body = nn.Sequential(*list(torchvision.models.resnet18().children())[:-2])
head = nn.Sequential(ConcatPool(), nn.Flatten(), nn.BatchNorm1d(1024), nn.Dropout(0.25),
                     nn.Linear(1024, 512, bias=False), nn.ReLU(inplace=True), nn.BatchNorm1d(512), nn.Dropout(0.5),
                     nn.Linear(512, 3, bias=False))
model = nn.Sequential(body, head).train()
if mode == "head":
    body.eval()
    body.requires_grad_(False)


def forward(x):
    if mode == "head":
        with torch.no_grad():
            features = body(x)
        return head(features)
    return model(x)


trained = model.parameters() if mode == "full" else head.parameters()
opt = torch.optim.AdamW(trained, lr=1e-3, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)
x = torch.randn(32, 3, 64, 64)
y = torch.randint(0, 3, (32,))
loss_fn = nn.CrossEntropyLoss()
spent = [0.0, 0.0, 0.0]
for i in range(steps + 3):
    a = time.perf_counter()
    opt.zero_grad()
    loss = loss_fn(forward(x), y)
    b = time.perf_counter()
    loss.backward()
    c = time.perf_counter()
    opt.step()
    d = time.perf_counter()
    if i >= 3:  # warm-up steps are not counted
        spent[0] += b - a
        spent[1] += c - b
        spent[2] += d - c
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {mode}: {steps * 32 / sum(spent):.1f} images/s "
      f"(forward {spent[0] / steps * 1000:.1f}, backward {spent[1] / steps * 1000:.1f}, "
      f"optimiser {spent[2] / steps * 1000:.1f} ms a step)")
