# Writes PyTorch checkpoints for the Java tests with Debian's python3-torch, and next to each one the values PyTorch
# itself holds (a safetensors file written by hand below, raw little-endian bytes), so the Java reader is compared bit
# for bit against PyTorch. Usage: python3 make_fixtures.py OUT_DIR
import json, os, struct, sys, types
import torch, torch.nn as nn, torchvision

out = sys.argv[1]
torch.manual_seed(0)
NAMES = {torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.bfloat16: 'BF16',
         torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8',
         torch.bool: 'BOOL'}

def raw(t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b''

def expect(name, tensors):
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        b = raw(t)
        header[k] = {'dtype': NAMES[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(os.path.join(out, name + '.expected.safetensors'), 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)

def save(obj, name, **kw):
    torch.save(obj, os.path.join(out, name), **kw)

def randomise(model):
    # random running statistics too, so that no two buffers hold the same bytes by chance
    with torch.no_grad():
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                v.copy_(torch.randn_like(v))
    return model

# torchvision state dicts, zip and legacy, pickle protocols 2 and 4
for arch in ['resnet18', 'mobilenet_v3_small']:
    m = randomise(getattr(torchvision.models, arch)())
    sd = m.state_dict()
    save(sd, arch + '.zip.pth')
    save(sd, arch + '.legacy.pth', _use_new_zipfile_serialization=False)
    save(sd, arch + '.zip-p4.pth', pickle_protocol=4)
    save(sd, arch + '.legacy-p4.pth', _use_new_zipfile_serialization=False, pickle_protocol=4)
    expect(arch, sd)
    if arch == 'resnet18':
        save(m, 'resnet18.whole.pth')
        save(m, 'resnet18.whole-legacy.pth', _use_new_zipfile_serialization=False)
        save({'state_dict': {'module.' + k: v for k, v in sd.items()}}, 'resnet18.module.pth')
        save({'model_state_dict': {'_orig_mod.' + k: v for k, v in sd.items()}}, 'resnet18.orig_mod.pth')
        torch.jit.save(torch.jit.script(nn.Sequential(nn.Linear(2, 3))), os.path.join(out, 'torchscript.pt'))

# a fastai-style model: nn.Sequential(body, head) as fastai's vision_learner builds it for resnet18 and 3 classes
class AdaptiveConcatPool2d(nn.Module):
    def __init__(self):
        super().__init__()
        self.ap, self.mp = nn.AdaptiveAvgPool2d(1), nn.AdaptiveMaxPool2d(1)
    def forward(self, x):
        return torch.cat([self.mp(x), self.ap(x)], 1)

body = nn.Sequential(*list(torchvision.models.resnet18().children())[:-2])
head = nn.Sequential(AdaptiveConcatPool2d(), nn.Flatten(), nn.BatchNorm1d(1024), nn.Dropout(0.25),
                     nn.Linear(1024, 512, bias=False), nn.ReLU(inplace=True), nn.BatchNorm1d(512), nn.Dropout(0.5),
                     nn.Linear(512, 3, bias=False))
model = randomise(nn.Sequential(body, head))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model(torch.randn(2, 3, 64, 64)).sum().backward()
opt.step()
sd = model.state_dict()
save({'model': sd, 'opt': opt.state_dict()}, 'fastai.learn-save.pth')   # learn.save('stage-1')
save(sd, 'fastai.learn-save-no-opt.pth')                                 # learn.save('stage-1', with_opt=False)
save(model, 'fastai.whole.pth')                                          # torch.save(learn.model, ...)
expect('fastai', sd)

# dtypes, views, offsets and shared storages
base = torch.randn(5, 4)
tied = torch.randn(6, 2)
views = {
    'f32': torch.randn(3, 2),
    'f64': torch.randn(3, dtype=torch.float64),
    'f16': torch.randn(2, 3).half(),
    'bf16': torch.randn(2, 3).bfloat16(),
    'i64': torch.tensor([1, -2, 2**40], dtype=torch.int64),
    'i32': torch.tensor([1, -2, 2**30], dtype=torch.int32),
    'i16': torch.tensor([1, -2, 300], dtype=torch.int16),
    'i8': torch.tensor([1, -2, 100], dtype=torch.int8),
    'u8': torch.tensor([1, 2, 250], dtype=torch.uint8),
    'bool': torch.tensor([True, False, True]),
    'transposed': base.t(),
    'offset': base[2:],
    'column': base[:, 1],
    'tied.a': tied,
    'tied.b': tied,
    'tied.row': tied[3],
    'expanded': torch.arange(3.0).expand(4, 3),
    'scalar': torch.tensor(7, dtype=torch.int64),
    'empty': torch.zeros(0, 3),
    'nan': torch.tensor([float('nan'), -0.0, float('inf')]),
}
save(views, 'views.zip.pth')
save(views, 'views.legacy.pth', _use_new_zipfile_serialization=False)
expect('views', views)
