"""Test-time oracle for PilOracleTest: writes images of every kind with PIL (the decoder fastai trains with) into
argv[1], then PIL's own decoding of each (EXIF orientation applied, convert("RGB"), and its luma convert("L")) beside
it as NAME.rgb and NAME.l: a "W H" line, then the raw bytes."""
import sys, os, random
from PIL import Image, ImageOps
out = sys.argv[1]
random.seed(7)
W, H = 61, 47
rgb = Image.new('RGB', (W, H))
px = []
for y in range(H):
    for x in range(W):
        if random.random() < 0.15:
            px.append((random.randrange(256), random.randrange(256), random.randrange(256)))
        else:
            px.append(((x * 255) // W, (y * 255) // H, ((x + y) * 127) // (W + H)))
rgb.putdata(px)
def save(im, name, **kw):
    im.save(os.path.join(out, name), **kw)
save(rgb, 'rgb.png')
rgba = rgb.copy(); rgba.putalpha(Image.linear_gradient('L').resize((W, H))); save(rgba, 'rgba.png')
save(rgb.convert('L'), 'grey.png')
la = rgb.convert('LA'); save(la, 'grey-alpha.png')
save(rgb.convert('P', palette=Image.ADAPTIVE, colors=37), 'palette.png')
save(rgb.convert('1'), 'bilevel.png')
save(rgb.convert('P', palette=Image.ADAPTIVE, colors=64), 'palette.gif')
save(rgb, 'rgb.bmp')
save(rgb, 'rgb.jpg', quality=90)
save(rgb.convert('L'), 'grey.jpg', quality=90)
save(rgb.convert('CMYK'), 'cmyk.jpg', quality=90)
for o in range(1, 9):
    exif = Image.Exif(); exif[0x0112] = o
    save(rgb, 'exif%d.jpg' % o, quality=90, exif=exif)
for name in sorted(os.listdir(out)):
    if '.' not in name or name.endswith(('.rgb', '.l')):
        continue
    im = ImageOps.exif_transpose(Image.open(os.path.join(out, name)))
    c = im.convert('RGB')
    with open(os.path.join(out, name + '.rgb'), 'wb') as f:
        f.write(b'%d %d\n' % c.size + c.tobytes())
    with open(os.path.join(out, name + '.l'), 'wb') as f:
        f.write(b'%d %d\n' % c.size + c.convert('L').tobytes())
