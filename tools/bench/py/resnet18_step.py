# PyTorch eager peer of the `train` bench: one torchvision resnet18 SGD step (batch 8, 3x224x224,
# cross-entropy, every gradient), timed after warm-up. Prints one JSON line: {"ms": [...]}.
import json, sys, time

import torch
import torchvision

threads, steps, warmup = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torchvision.models.resnet18()
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.randn(8, 3, 224, 224)
y = torch.randint(0, 1000, (8,))


def step():
    opt.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()


t0 = time.perf_counter()
step()
first = (time.perf_counter() - t0) * 1000
for _ in range(warmup - 1):
    step()
times = []
for _ in range(steps):
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"ms": times, "first": first, "params": sum(p.numel() for p in model.parameters())}))
