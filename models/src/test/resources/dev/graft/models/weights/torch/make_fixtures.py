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
            if k.endswith('running_var'):
                v.copy_(torch.rand_like(v) + 0.05)  # a variance: positive, so the model also exports and runs
            elif v.dtype.is_floating_point:
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

# An export.pkl-like file. fastai cannot be installed here, so this is NOT written by fastai: it pickles stand-in
# classes under fastai's own module and class names, with the attributes fastai's source gives them (Learner.export
# runs torch.save(self) after dls.new_empty() and opt=None; labels live in Categorize.vocab, a CategoryMap whose items
# are a fastcore L; normalisation in the Normalize batch transform's mean and std, shaped [1, 3, 1, 1]).
import functools, pathlib
import numpy as np

def stand_in(module_name, *class_names):
    parts = module_name.split('.')
    for i in range(1, len(parts) + 1):
        name = '.'.join(parts[:i])
        if name not in sys.modules:
            sys.modules[name] = types.ModuleType(name)
            if i > 1:
                setattr(sys.modules['.'.join(parts[:i - 1])], parts[i - 1], sys.modules[name])
    module = sys.modules[module_name]
    made = []
    for class_name in class_names:
        cls = type(class_name, (object,), {'__module__': module_name})
        setattr(module, class_name, cls)
        made.append(cls)
    return made

(L,) = stand_in('fastcore.foundation', 'L')
(Pipeline,) = stand_in('fastcore.transform', 'Pipeline')
Learner, = stand_in('fastai.learner', 'Learner')
DataLoaders, TfmdDL, Datasets, TfmdLists = stand_in('fastai.data.core', 'DataLoaders', 'TfmdDL', 'Datasets', 'TfmdLists')
Categorize, CategoryMap, Normalize, IntToFloatTensor, ToTensor = stand_in(
    'fastai.data.transforms', 'Categorize', 'CategoryMap', 'Normalize', 'IntToFloatTensor', 'ToTensor')
(Resize,) = stand_in('fastai.vision.augment', 'Resize')
(CrossEntropyLossFlat,) = stand_in('fastai.losses', 'CrossEntropyLossFlat')
(TrainEvalCallback, Recorder) = stand_in('fastai.callback.core', 'TrainEvalCallback', 'Recorder')

def obj(cls, **attrs):
    o = cls.__new__(cls)
    o.__dict__.update(attrs)
    return o

def l(*items):
    return obj(L, items=list(items))

vocab = obj(CategoryMap, items=l('cat', 'dog', 'say "hi"', 'café'), o2i={'cat': 0, 'dog': 1, 'say "hi"': 2, 'café': 3})
categorize = obj(Categorize, vocab=vocab, add_na=False, sort=True, split_idx=None, order=1)
normalize = obj(Normalize, mean=torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1),
                std=torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), axes=(0, 2, 3), split_idx=None, order=99)
after_batch = obj(Pipeline, fs=l(obj(IntToFloatTensor, div=255.0, div_mask=1, order=10), normalize), split_idx=None)
after_item = obj(Pipeline, fs=l(obj(Resize, size=(224, 224), method='crop', pad_mode='reflection', order=1),
                                obj(ToTensor, order=5)), split_idx=None)
tls = [obj(TfmdLists, items=l(), tfms=obj(Pipeline, fs=l(), split_idx=None)),
       obj(TfmdLists, items=l(), tfms=obj(Pipeline, fs=l(categorize), split_idx=None))]
dataset = obj(Datasets, tls=tls, n_inp=1)
loaders = [obj(TfmdDL, dataset=dataset, bs=64, shuffle=shuffle, after_item=after_item, after_batch=after_batch,
               device=torch.device('cpu')) for shuffle in (True, False)]
dls = obj(DataLoaders, loaders=loaders, path=pathlib.PurePosixPath('.'), device=torch.device('cpu'))
export_model = randomise(nn.Sequential(
    nn.Sequential(*list(torchvision.models.resnet18().children())[:-2]),
    nn.Sequential(AdaptiveConcatPool2d(), nn.Flatten(), nn.BatchNorm1d(1024), nn.Dropout(0.25),
                  nn.Linear(1024, 512, bias=False), nn.ReLU(inplace=True), nn.BatchNorm1d(512), nn.Dropout(0.5),
                  nn.Linear(512, 4, bias=False))))
learner = obj(Learner, dls=dls, model=export_model, loss_func=obj(CrossEntropyLossFlat, axis=-1, flatten=True),
              opt_func=functools.partial(torch.optim.Adam, betas=(0.9, 0.99)), opt=None, lr=np.float64(0.001),
              splitter=None, path=pathlib.PurePosixPath('.'), model_dir='models', wd=None, wd_bn_bias=False,
              train_bn=True, moms=(0.95, 0.85, 0.95), cbs=l(obj(TrainEvalCallback), obj(Recorder, train_metrics=False)),
              metrics=l(), logger=print)
save(learner, 'export.pkl')
expect('export', export_model.state_dict())

# learn.save with fastai's own optimiser state: {'state': [...], 'hypers': L of dicts}, numpy scalars among the hypers
# (stand-ins under fastcore's name again; the model half is the fastai-style model above)
fastai_opt = {'state': [{'grad_avg': torch.zeros(2), 'step': 1}],
              'hypers': l({'lr': np.float64(0.001), 'mom': 0.9, 'wd': 0.01, 'eps': 1e-05})}
save({'model': sd, 'opt': fastai_opt}, 'fastai.learn-save-fastai-opt.pth')
