import { expect } from '@esm-bundle/chai';
import {
  MAX_IMAGE_SET_VALUES,
  checkImageSet,
  parseImageAsset,
} from '../../src/data/images/image-set';
import { DatasetSpecError } from '../../src/data/errors';
import {
  ImageFilesError,
  MAX_IMAGE_FILE_PIXELS,
  imageFileSize,
  readImageFiles,
  type NamedBlob,
} from '../../src/export/image-files';
import { crc32, unzip, zip } from '../../src/export/zip';

/** A PNG of width×height drawn by `paint` on an OffscreenCanvas. */
async function png(
  width: number,
  height: number,
  paint: (c: OffscreenCanvasRenderingContext2D) => void,
): Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d')!;
  paint(context);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return new Uint8Array(await blob.arrayBuffer());
}

/** Black left half, white right half. */
const halves = (c: OffscreenCanvasRenderingContext2D) => {
  c.fillStyle = '#000';
  c.fillRect(0, 0, 14, 28);
  c.fillStyle = '#fff';
  c.fillRect(14, 0, 14, 28);
};

function file(name: string, bytes: Uint8Array | string): NamedBlob {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return { name, arrayBuffer: async () => data.slice().buffer };
}

/** A .zip whose entries are deflated (method 8), as archivers write them. */
async function deflatedZip(entries: { path: string; bytes: Uint8Array }[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const { path, bytes } of entries) {
    const stream = new Blob([bytes as BlobPart])
      .stream()
      .pipeThrough(new CompressionStream('deflate-raw'));
    const packed = new Uint8Array(await new Response(stream).arrayBuffer());
    const name = new TextEncoder().encode(path);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, 8, true);
    local.setUint32(14, crc32(bytes), true);
    local.setUint32(18, packed.length, true);
    local.setUint32(22, bytes.length, true);
    local.setUint16(26, name.length, true);
    const record = new DataView(new ArrayBuffer(46));
    record.setUint32(0, 0x02014b50, true);
    record.setUint16(10, 8, true);
    record.setUint32(16, crc32(bytes), true);
    record.setUint32(20, packed.length, true);
    record.setUint32(24, bytes.length, true);
    record.setUint16(28, name.length, true);
    record.setUint32(42, offset, true);
    parts.push(new Uint8Array(local.buffer), name, packed);
    central.push(new Uint8Array(record.buffer), name);
    offset += 30 + name.length + packed.length;
  }
  const centralSize = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  const all = [...parts, ...central, new Uint8Array(end.buffer)];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function refusal(promise: Promise<unknown>): Promise<ImageFilesError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ImageFilesError);
    return error as ImageFilesError;
  }
  throw new Error('expected an ImageFilesError');
}

describe('a user image set from files', () => {
  it('PNG files become grey or RGB images of the asked size (known pixels)', async () => {
    const a = await png(28, 28, halves);
    const red = await png(40, 20, (c) => {
      c.fillStyle = 'rgb(255, 0, 0)';
      c.fillRect(0, 0, 40, 20);
    });
    const grey = await readImageFiles([file('a.png', a), file('red.png', red)]);
    expect(grey.images).to.include({ count: 2, channels: 1, height: 28, width: 28 });
    expect(grey.problems).to.deep.equal([]);
    expect(grey.names).to.deep.equal(['a.png', 'red.png']);
    const row = [...grey.images.pixels.subarray(5 * 28, 6 * 28)];
    expect(row).to.deep.equal([...Array(14).fill(0), ...Array(14).fill(255)]);
    // Rec. 601 luma of pure red: round(0.299 · 255) = 76, everywhere (the centre square of 40×20).
    expect(new Set(grey.images.pixels.subarray(784))).to.deep.equal(new Set([76]));

    const rgb = await readImageFiles([file('a.png', a), file('red.png', red)], {
      size: 14,
      channels: 3,
      invert: true,
    });
    expect(rgb.images).to.include({ count: 2, channels: 3, height: 14, width: 14 });
    const second = rgb.images.pixels.subarray(3 * 196);
    // Inverted: R plane 255 − 255 = 0, G and B planes 255.
    expect(new Set(second.subarray(0, 196))).to.deep.equal(new Set([0]));
    expect(new Set(second.subarray(196))).to.deep.equal(new Set([255]));
    // The halves image, halved: left columns 255 (inverted black), right columns 0, in every plane.
    const first = rgb.images.pixels.subarray(0, 3 * 196);
    for (let c = 0; c < 3; c++) {
      const r = first.subarray(c * 196 + 3 * 14, c * 196 + 4 * 14);
      expect([...r.subarray(0, 6)]).to.deep.equal(Array(6).fill(255));
      expect([...r.subarray(8)]).to.deep.equal(Array(6).fill(0));
    }
  });

  it('JPEG files: the size from the header, the pixels decoded', async () => {
    const canvas = new OffscreenCanvas(30, 17);
    const context = canvas.getContext('2d')!;
    context.fillStyle = 'rgb(200, 200, 200)';
    context.fillRect(0, 0, 30, 17);
    const jpeg = new Uint8Array(
      await (await canvas.convertToBlob({ type: 'image/jpeg' })).arrayBuffer(),
    );
    expect(imageFileSize(jpeg)).to.deep.equal([30, 17]);
    const a = await png(28, 28, halves);
    expect(imageFileSize(a)).to.deep.equal([28, 28]);
    const result = await readImageFiles([file('grey.jpg', jpeg), file('a.png', a)], { size: 7 });
    const values = [...result.images.pixels.subarray(0, 49)];
    // JPEG is lossy: a flat 200 grey comes back within a few levels.
    expect(Math.min(...values)).to.be.at.least(196);
    expect(Math.max(...values)).to.be.at.most(204);
  });

  it('a damaged shipped asset says what is wrong and how to remake it', () => {
    expect(() => parseImageAsset(new Uint8Array(10), 'mnist-14')).to.throw(
      /'mnist-14' is damaged: 10 bytes, shorter than its 32-byte header.*npm run build/,
    );
    const bytes = new Uint8Array(32 + 4 + 2 * 4);
    bytes.set([0x46, 0x46, 0x49, 0x4d, 1]);
    const view = new DataView(bytes.buffer);
    view.setUint32(8, 2, true);
    view.setUint32(12, 1, true);
    view.setUint16(16, 1, true);
    view.setUint16(18, 2, true);
    view.setUint16(20, 2, true);
    const asset = parseImageAsset(bytes, 'tiny');
    expect(asset.train).to.equal(1);
    expect(asset.set).to.include({ count: 2, channels: 1, height: 2, width: 2 });
    expect(() => parseImageAsset(bytes.subarray(0, 40), 'tiny')).to.throw(
      /40 bytes, expected 44 for 2 images of 1×2×2/,
    );
    bytes[0] = 0;
    expect(() => parseImageAsset(bytes, 'tiny')).to.throw(/does not start with 'FFIM'/);
  });

  it('a deflated .zip of images with junk: the images are read, each bad entry gets a message', async () => {
    const a = await png(28, 28, halves);
    const b = await png(8, 8, (c) => {
      c.fillStyle = '#808080';
      c.fillRect(0, 0, 8, 8);
    });
    const archive = await deflatedZip([
      { path: 'digits/a.png', bytes: a },
      { path: 'digits/notes.txt', bytes: new TextEncoder().encode('hello, these are digits') },
      { path: 'digits/broken.png', bytes: a.slice(0, 60) },
      { path: '__MACOSX/digits/._a.png', bytes: new Uint8Array([0, 5, 22, 7]) },
      { path: 'digits/b.png', bytes: b },
    ]);
    // The zip writer's stored entries read back byte for byte.
    const stored = await unzip(
      zip([
        { path: 'x/a.png', bytes: a },
        { path: 'b.png', bytes: b },
      ]),
    );
    expect(stored.problems).to.deep.equal([]);
    expect(stored.files.map((f) => f.path)).to.deep.equal(['x/a.png', 'b.png']);
    expect([...stored.files[1]!.bytes]).to.deep.equal([...b]);

    const listed = await unzip(archive);
    expect(listed.files.map((f) => f.path)).to.have.length(5);
    expect([...listed.files[0]!.bytes]).to.deep.equal([...a]);

    const result = await readImageFiles([file('set.zip', archive), file('c.png', b)]);
    expect(result.names).to.deep.equal(['set.zip/digits/a.png', 'set.zip/digits/b.png', 'c.png']);
    expect(result.images.count).to.equal(3);
    // c.png sits in no folder: the set is unlabelled.
    expect(result.classNames).to.deep.equal([]);
    expect(result.images.labels).to.equal(undefined);
    expect(result.problems).to.have.length(2);
    expect(result.problems[0]).to.match(
      /^set\.zip\/digits\/notes\.txt: not a PNG or JPEG image \(it starts with 'hell'\)/,
    );
    expect(result.problems[1]).to.match(
      /^set\.zip\/digits\/broken\.png: looks like a PNG but could not be decoded/,
    );

    // A damaged entry (one byte of deflated data changed) is a message, not a crash.
    const damaged = archive.slice();
    damaged[30 + 'digits/a.png'.length + 40]! ^= 0xff;
    const checked = await unzip(damaged);
    expect(checked.problems.join()).to.match(
      /digits\/a\.png: (its compressed data is damaged|damaged \(size or CRC-32)/,
    );
  });

  it('a folder per class (inside a .zip, or a dropped folder) labels the images', async () => {
    const a = await png(8, 8, halves);
    const archive = zip([
      { path: 'shapes/10/a.png', bytes: a },
      { path: 'shapes/9/b.png', bytes: a },
      { path: 'shapes/10/c.png', bytes: a },
      { path: 'shapes/2/d.png', bytes: a },
    ]);
    const zipped = await readImageFiles([file('set.zip', archive)], { size: 8 });
    // Natural order: 2 before 9 before 10.
    expect(zipped.classNames).to.deep.equal(['shapes/2', 'shapes/9', 'shapes/10']);
    expect([...zipped.images.labels!]).to.deep.equal([2, 1, 2, 0]);

    const dropped = await readImageFiles(
      [
        { ...file('x.png', a), webkitRelativePath: 'pets/cat/x.png' },
        { ...file('y.png', a), webkitRelativePath: 'pets/dog/y.png' },
        { ...file('z.png', a), webkitRelativePath: 'pets/cat/z.png' },
      ],
      { size: 8 },
    );
    expect(dropped.classNames).to.deep.equal(['pets/cat', 'pets/dog']);
    expect([...dropped.images.labels!]).to.deep.equal([0, 1, 0]);

    // One folder is no classification: unlabelled.
    const one = await readImageFiles(
      [
        file(
          'one.zip',
          zip([
            { path: 'all/a.png', bytes: a },
            { path: 'all/b.png', bytes: a },
          ]),
        ),
      ],
      { size: 8 },
    );
    expect(one.classNames).to.deep.equal([]);
    expect(one.images.labels).to.equal(undefined);
  });

  it('refuses a set of one image, files that are not images, junk zips and too many pixels', async () => {
    const a = await png(28, 28, halves);
    const one = await refusal(readImageFiles([file('a.png', a), file('cat.txt', 'meow')]));
    expect(one.message).to.match(/at least 2 images, got 1/);
    expect(one.problems).to.deep.equal([
      "cat.txt: not a PNG or JPEG image (it starts with 'meow'); skipped.",
    ]);

    const none = await refusal(
      readImageFiles([file('junk.zip', 'PK\u0003\u0004 but nothing else'), file('empty.png', '')]),
    );
    expect(none.message).to.match(
      /No image could be read: give PNG or JPEG files, or a \.zip of them/,
    );
    expect(none.problems[0]).to.match(
      /^junk\.zip: This is not a \.zip file: it has no end-of-central-directory record/,
    );
    expect(none.problems[1]).to.equal('empty.png: not a PNG or JPEG image (it is empty); skipped.');

    // A photo too large to decode is refused from its header (10 000 × 10 000 PNG, never decoded).
    const huge = new Uint8Array(33);
    huge.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    new DataView(huge.buffer).setUint32(16, 10000);
    new DataView(huge.buffer).setUint32(20, 10000);
    const big = await refusal(readImageFiles([file('a.png', a), file('huge.png', huge)]));
    expect(big.problems).to.deep.equal([
      `huge.png: 10000×10000 pixels, more than the ${MAX_IMAGE_FILE_PIXELS} an image may have; scale it down first.`,
    ]);

    // Past the cap on pixel values, files are counted, not read.
    const many = await refusal(
      readImageFiles([file('1.png', a), file('2.png', a), file('3.png', a), file('4.png', a)], {
        maxValues: 2 * 784,
      }),
    );
    expect(many.message).to.match(
      /Too many images: a set holds at most 1568 pixel values, i\.e\. 2 images of 1×28×28; 2 more were given/,
    );
    expect(() =>
      checkImageSet({
        count: 100_000,
        channels: 1,
        height: 28,
        width: 28,
        pixels: new Uint8Array(0),
      }),
    )
      .to.throw(DatasetSpecError)
      .with.property('message')
      .that.matches(
        new RegExp(`78400000 pixel values .* the limit is ${MAX_IMAGE_SET_VALUES} \\(64 MiB\\)`),
      );
  });
});
