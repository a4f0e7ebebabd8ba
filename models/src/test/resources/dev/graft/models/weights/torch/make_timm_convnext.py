# Writes torchvision's convnext_tiny (random weights, seeded) under torchvision's names and, renamed, under timm's and
# under fastai's for a learner over a timm model, for the Java loader's timm-names test. Usage:
#   python3 make_timm_convnext.py OUT_DIR
# The renaming follows timm's module tree (timm/models/convnext.py): stem = features.0, stage s = features.(2s+1) with
# its blocks under `blocks`, the downsampling before stage s >= 1 = stages.s.downsample (features.2s), a block's
# block.0/2/3/5 = conv_dw/norm/mlp.fc1/mlp.fc2, layer_scale = gamma (shape [C], not [C, 1, 1]), classifier.0/2 =
# head.norm/head.fc. It is written out here, apart from Graft's Java table, so that the test compares two readings.
import json, os, struct, sys
import torch, torchvision

out = sys.argv[1]
torch.manual_seed(0)
m = torchvision.models.convnext_tiny()
with torch.no_grad():
    for v in m.state_dict().values():
        v.copy_(torch.randn_like(v))
tv = m.state_dict()

BLOCK = {'0': 'conv_dw', '2': 'norm', '3': 'mlp.fc1', '5': 'mlp.fc2'}

def timm_name(k):
    p = k.split('.')
    if p[0] == 'classifier':
        return {'0': 'head.norm', '2': 'head.fc'}[p[1]] + '.' + p[2]
    i = int(p[1])
    if i == 0:
        return 'stem.' + '.'.join(p[2:])
    if i % 2 == 0:
        return 'stages.%d.downsample.%s' % (i // 2, '.'.join(p[2:]))
    s, b = (i - 1) // 2, p[2]
    if p[3] == 'layer_scale':
        return 'stages.%d.blocks.%s.gamma' % (s, b)
    return 'stages.%d.blocks.%s.%s.%s' % (s, b, BLOCK[p[4]], p[5])

timm = {}
for k, v in tv.items():
    timm[timm_name(k)] = v.reshape(-1) if k.endswith('layer_scale') else v
assert len(timm) == len(tv)

# timm's conv_mlp form: the MLP as 1x1 convolutions, [out, in, 1, 1]
conv_mlp = {k: (v.reshape(*v.shape, 1, 1) if '.mlp.fc' in k and k.endswith('weight') else v) for k, v in timm.items()}

# fastai's vision_learner(dls, 'convnext_tiny'): timm.create_model(num_classes=0) inside TimmBody (attribute `model`),
# so the body is 0.model.<timm name>, head.fc is gone and head.norm stays (unused by forward_features); then fastai's
# head for 2 x 768 features and 3 classes, 1.<i>
head = torch.nn.Sequential(torch.nn.Identity(), torch.nn.Flatten(), torch.nn.BatchNorm1d(1536), torch.nn.Dropout(0.25),
                           torch.nn.Linear(1536, 512, bias=False), torch.nn.ReLU(), torch.nn.BatchNorm1d(512),
                           torch.nn.Dropout(0.5), torch.nn.Linear(512, 3, bias=False))
fastai = {'0.model.' + k: v for k, v in timm.items() if not k.startswith('head.fc')}
fastai.update({'1.' + k: v for k, v in head.state_dict().items()})

def safetensors(name, tensors):
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        b = t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(os.path.join(out, name), 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)

safetensors('convnext_tiny.torchvision.safetensors', tv)
safetensors('convnext_tiny.timm.safetensors', timm)
torch.save(timm, os.path.join(out, 'convnext_tiny.timm.pth'))
safetensors('convnext_tiny.timm-conv-mlp.safetensors', conv_mlp)
torch.save({'model': fastai}, os.path.join(out, 'convnext_tiny.fastai-timm.pth'))  # learn.save(..., with_opt=False)
