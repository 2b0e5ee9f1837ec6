// CIFAR-10/100: binary-version files written here, python-version fixtures made by
// test/fixtures/cifar-python/make_fixtures.py (Python 2 cPickle byte format and Python 3
// protocols 0-5), tar.gz archives; corrupt or truncated files get errors naming the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { list as listTar } from 'tar';
import {
  CIFAR10,
  CIFAR100,
  DatasetError,
  extractTar,
  loadVisionDataset,
  NdArray,
  parseCifarPickle,
  parsePickle,
} from '../src/tasks/vision/datasets/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** test/fixtures/cifar-python of this package, found upwards from the compiled test. */
const fixtures = ((): string => {
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    const p = join(dir, 'test', 'fixtures', 'cifar-python');
    if (existsSync(p)) return p;
  }
  throw new Error(`test/fixtures/cifar-python not found above ${here}`);
})();
const root = mkdtempSync(join(tmpdir(), 'lot-cifar-'));
after(() => rmSync(root, { recursive: true, force: true }));

const P = 3072;

// ---- binary version -------------------------------------------------------------------------
const bpix = (file: number, i: number, j: number): number => (file * 53 + i * 29 + j * 5) % 256;
const blabel = (file: number, i: number, classes: number): number => (file * 13 + i * 7) % classes;

/** A binary-version file of `n` records; CIFAR-100 records carry a coarse label (ignored) before the fine one. */
function binaryFile(file: number, n: number, labelBytes: number, classes: number): Uint8Array {
  const rec = labelBytes + P;
  const out = new Uint8Array(n * rec);
  for (let i = 0; i < n; i++) {
    if (labelBytes === 2) out[i * rec] = 99; // coarse label: must not be used
    out[i * rec + labelBytes - 1] = blabel(file, i, classes);
    for (let j = 0; j < P; j++) out[i * rec + labelBytes + j] = bpix(file, i, j);
  }
  return out;
}

function writeCifar10Binary(dir: string, perFile = 2, testCount = 3): void {
  mkdirSync(dir, { recursive: true });
  for (let f = 1; f <= 5; f++) writeFileSync(join(dir, `data_batch_${f}.bin`), binaryFile(f, perFile, 1, 10));
  writeFileSync(join(dir, 'test_batch.bin'), binaryFile(0, testCount, 1, 10));
  writeFileSync(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\n');
}

function expectImage(images: Uint8Array, at: number, pix: (j: number) => number, what: string): void {
  for (const j of [0, 1, 1023, 1024, 2048, P - 1]) assert.equal(images[at * P + j], pix(j), `${what} pixel ${j}`);
}

describe('CIFAR binary version', () => {
  test('CIFAR-10: five training batches concatenated in order, the test batch', async () => {
    const dir = join(root, 'c10bin');
    writeCifar10Binary(join(dir, 'cifar-10-batches-bin'));
    const d = await loadVisionDataset('cifar10', { dataDir: dir, download: false });
    assert.equal(d.name, 'cifar10');
    assert.equal(d.classes, 10);
    assert.equal(d.source, join(dir, 'cifar-10-batches-bin'));
    assert.deepEqual([d.train.count, d.train.channels, d.train.height, d.train.width], [10, 3, 32, 32]);
    assert.equal(d.train.images.length, 10 * P);
    for (let k = 0; k < 10; k++) {
      const file = 1 + Math.floor(k / 2);
      const i = k % 2;
      assert.equal(d.train.labels[k], blabel(file, i, 10));
      expectImage(d.train.images, k, (j) => bpix(file, i, j), `train ${k}`);
    }
    assert.equal(d.test.count, 3);
    for (let i = 0; i < 3; i++) expectImage(d.test.images, i, (j) => bpix(0, i, j), `test ${i}`);
  });

  test('subset across batch files reads only what it needs', async () => {
    const dir = join(root, 'c10bin');
    const d = await loadVisionDataset('cifar10', {
      dataDir: join(dir, 'cifar-10-batches-bin'),
      download: false,
      subset: { train: 3, test: 2 },
    });
    assert.equal(d.train.count, 3);
    assert.equal(d.train.images.length, 3 * P);
    expectImage(d.train.images, 2, (j) => bpix(2, 0, j), 'train 2');
    assert.equal(d.test.count, 2);
    assert.equal(d.test.labels.length, 2);
  });

  test('CIFAR-100: train.bin/test.bin, fine labels (second label byte)', async () => {
    const dir = join(root, 'c100bin', 'cifar-100-binary');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'train.bin'), binaryFile(1, 6, 2, 100));
    writeFileSync(join(dir, 'test.bin'), binaryFile(2, 4, 2, 100));
    const d = await loadVisionDataset('cifar100', { dataDir: join(root, 'c100bin'), download: false });
    assert.equal(d.classes, 100);
    assert.equal(d.train.count, 6);
    assert.equal(d.test.count, 4);
    for (let i = 0; i < 6; i++) {
      assert.equal(d.train.labels[i], blabel(1, i, 100));
      expectImage(d.train.images, i, (j) => bpix(1, i, j), `train ${i}`);
    }
  });

  test('a truncated batch file gets an error naming it', async () => {
    const dir = join(root, 'c10trunc');
    writeCifar10Binary(dir);
    const p = join(dir, 'data_batch_3.bin');
    writeFileSync(p, readFileSync(p).subarray(0, 3073 + 1000));
    await assert.rejects(loadVisionDataset('cifar10', { dataDir: dir, download: false }), (e: Error) => {
      assert.ok(e instanceof DatasetError);
      assert.ok(e.message.includes(p), e.message);
      assert.match(e.message, /truncated or corrupt: 4073 bytes is not a whole number of 3073-byte cifar10 records/);
      return true;
    });
  });

  test('an out-of-range label is reported with the file', async () => {
    const dir = join(root, 'c10label');
    writeCifar10Binary(dir);
    const p = join(dir, 'test_batch.bin');
    const bytes = readFileSync(p);
    bytes[3073] = 200;
    writeFileSync(p, bytes);
    await assert.rejects(
      loadVisionDataset('cifar10', { dataDir: dir, download: false }),
      (e: Error) => e.message.includes(p) && /record 1 has label 200/.test(e.message),
    );
  });

  test('missing data with download off says what to do', async () => {
    const dir = join(root, 'nothing');
    mkdirSync(dir);
    await assert.rejects(
      loadVisionDataset('cifar100', { dataDir: dir, download: false }),
      /cifar100 not found \(looked in .*nothing.*\): pass --data-dir DIR holding cifar-100-binary\/ or cifar-100-python\//,
    );
  });
});

// ---- python version --------------------------------------------------------------------------
// The same formulas as make_fixtures.py.
const ppix = (count: number, seed: number, i: number, j: number): number => {
  void count;
  const k = i * P + j;
  return (k * 7 + seed * 31 + i * 13) % 256;
};
const label10 = (seed: number, i: number): number => (seed * 3 + i * 7) % 10;
const label100 = (seed: number, i: number): number => (seed * 11 + i * 37) % 100;

describe('CIFAR python version (pickle)', () => {
  test('CIFAR-10 batches in the Python 2 cPickle format of the official files', async () => {
    const d = await loadVisionDataset('cifar10', { dataDir: fixtures, download: false });
    assert.equal(d.source, join(fixtures, 'cifar-10-batches-py'));
    assert.equal(d.train.count, 15);
    for (let k = 0; k < 15; k++) {
      const seed = 1 + Math.floor(k / 3);
      const i = k % 3;
      assert.equal(d.train.labels[k], label10(seed, i), `label ${k}`);
      expectImage(d.train.images, k, (j) => ppix(3, seed, i, j), `train ${k}`);
    }
    assert.equal(d.test.count, 4);
    for (let i = 0; i < 4; i++) {
      assert.equal(d.test.labels[i], label10(0, i));
      expectImage(d.test.images, i, (j) => ppix(4, 0, i, j), `test ${i}`);
    }
  });

  test('CIFAR-100 train/test with fine labels; a single file is a view, not a copy', async () => {
    const d = await loadVisionDataset('cifar100', { dataDir: fixtures, download: false, subset: { train: 4 } });
    assert.equal(d.train.count, 4);
    assert.equal(d.test.count, 3);
    for (let i = 0; i < 4; i++) {
      assert.equal(d.train.labels[i], label100(1, i));
      expectImage(d.train.images, i, (j) => ppix(5, 1, i, j), `train ${i}`);
    }
    for (let i = 0; i < 3; i++) assert.equal(d.test.labels[i], label100(2, i));
    assert.ok(d.train.images.buffer.byteLength > d.train.images.byteLength);
  });

  for (const name of ['protocol0', 'protocol1', 'protocol2', 'protocol4', 'protocol5', 'labels-int64']) {
    test(`a batch pickled by Python 3 (${name})`, () => {
      const path = join(fixtures, 'py3', name);
      const b = parseCifarPickle(readFileSync(path), path, CIFAR10);
      assert.equal(b.count, 2);
      for (let i = 0; i < 2; i++) {
        assert.equal(b.labels[i], label10(9, i));
        expectImage(b.images, i, (j) => ppix(2, 9, i, j), `image ${i}`);
      }
    });
  }

  test('the whole dict: keys, strings, lists, the numpy array', () => {
    const path = join(fixtures, 'cifar-100-python', 'test');
    const v = parsePickle(readFileSync(path), path) as Map<string, unknown>;
    assert.deepEqual([...v.keys()].sort(), ['batch_label', 'coarse_labels', 'data', 'filenames', 'fine_labels']);
    assert.equal(Buffer.from(v.get('batch_label') as Uint8Array).toString(), 'testing batch 1 of 1');
    assert.deepEqual(v.get('coarse_labels'), [2, 3, 4]);
    const a = v.get('data') as NdArray;
    assert.ok(a instanceof NdArray);
    assert.deepEqual(a.shape, [3, P]);
    assert.equal(a.dtype, 'u1');
  });

  test('a truncated or corrupt pickle gets an error naming the file', async () => {
    const dir = join(root, 'pytrunc', 'cifar-10-batches-py');
    cpSync(join(fixtures, 'cifar-10-batches-py'), dir, { recursive: true });
    const p = join(dir, 'data_batch_2');
    writeFileSync(p, readFileSync(p).subarray(0, 5000));
    await assert.rejects(loadVisionDataset('cifar10', { dataDir: dirname(dir), download: false }), (e: Error) => {
      assert.ok(e.message.includes(p), e.message);
      assert.match(e.message, /not a readable pickle \(truncated/);
      return true;
    });
    writeFileSync(p, Buffer.from('this is not a pickle'));
    await assert.rejects(
      loadVisionDataset('cifar10', { dataDir: dirname(dir), download: false }),
      (e: Error) => e.message.includes(p) && /not a readable pickle/.test(e.message),
    );
    // A pickle that would run code is refused, never executed.
    const evil = Buffer.from('\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.', 'latin1');
    assert.throws(() => parsePickle(evil, 'evil.pkl'), /evil\.pkl: not a readable pickle \(the pickle calls os\.system/);
  });

  test('protocol 0 text opcodes of Python 2 (STRING, INT, LONG, FLOAT, LIST, DICT)', () => {
    // What Python 2's pickle.dumps({'s': 'ab\\x00\\n\\'', 'l': [1, 2L, 0.5], 't': True}) writes, keys reordered.
    const text = "(dp0\nS's'\np1\nS'ab\\x00\\n\\''\np2\nsS'l'\np3\n(lp4\nI1\naL2L\naF0.5\nasS't'\np5\nI01\ns.";
    const v = parsePickle(Buffer.from(text, 'latin1'), 'p0.pkl') as Map<string, unknown>;
    assert.deepEqual([...(v.get('s') as Uint8Array)], [97, 98, 0, 10, 39]);
    assert.deepEqual(v.get('l'), [1, 2, 0.5]);
    assert.equal(v.get('t'), true);
  });

  test('a dict without data or labels is reported', () => {
    const noData = Buffer.from('\x80\x02}q\x00U\x06labelsq\x01]q\x02s.', 'latin1');
    assert.throws(() => parseCifarPickle(noData, 'b.pkl', CIFAR10), /b\.pkl: no 'data' numpy array in the pickled dict \(keys: labels\)/);
    assert.throws(
      () => parseCifarPickle(Buffer.from('\x80\x02]q\x00.', 'latin1'), 'c.pkl', CIFAR100),
      /c\.pkl: expected a pickled dict, found a list/,
    );
  });
});

// ---- tar.gz archives -------------------------------------------------------------------------
/** One ustar header (type `flag`) and the padded body of `data`. */
function tarEntry(name: string, data: Uint8Array, flag = '0', linkname = ''): Uint8Array[] {
  const h = new Uint8Array(512);
  const put = (s: string, at: number) => h.set(Buffer.from(s, 'latin1'), at);
  put(name, 0);
  put('0000644\0', 100);
  put('0000000\0', 108);
  put('0000000\0', 116);
  put(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  put('00000000000\0', 136);
  put('        ', 148);
  put(flag, 156);
  put(linkname, 157);
  put('ustar\0', 257);
  put('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return [h, data, new Uint8Array((512 - (data.length % 512)) % 512)];
}

/** A pax extended header body setting `path`. */
function paxPath(path: string): Uint8Array {
  const body = ` path=${path}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len++;
  return Buffer.from(`${len}${body}`, 'utf8');
}

/**
 * A ustar archive of `files` (name → bytes), written here independently of the reader; names
 * over 100 characters get a GNU long-name entry ('L'), or a pax header ('x') with `pax`.
 */
function makeTar(files: Record<string, Uint8Array>, o: { pax?: boolean; extra?: Uint8Array[] } = {}): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const [name, data] of Object.entries(files)) {
    if (name.length > 100) {
      if (o.pax) blocks.push(...tarEntry('PaxHeader/long', paxPath(name), 'x'));
      else blocks.push(...tarEntry('././@LongLink', Buffer.from(`${name}\0`), 'L'));
    }
    blocks.push(...tarEntry(name.slice(0, 100), data));
  }
  blocks.push(...(o.extra ?? []), new Uint8Array(1024));
  return Buffer.concat(blocks);
}

describe('tar.gz archives', () => {
  test('extracts the CIFAR files of a gzipped ustar archive, which then load', async () => {
    const files: Record<string, Uint8Array> = {};
    for (let f = 1; f <= 5; f++) files[`cifar-10-batches-bin/data_batch_${f}.bin`] = binaryFile(f, 1, 1, 10);
    files['cifar-10-batches-bin/test_batch.bin'] = binaryFile(0, 2, 1, 10);
    files['cifar-10-batches-bin/readme.html'] = Buffer.from('<p>hi</p>');
    const archive = join(root, 'c10.tar.gz');
    writeFileSync(archive, gzipSync(makeTar(files)));
    const dest = join(root, 'extracted');
    const written = await extractTar(archive, dest);
    assert.equal(written.length, 7);
    assert.equal(readFileSync(join(dest, 'cifar-10-batches-bin', 'readme.html'), 'utf8'), '<p>hi</p>');
    const d = await loadVisionDataset('cifar10', { dataDir: dest, download: false });
    assert.equal(d.train.count, 5);
    assert.equal(d.test.count, 2);
    expectImage(d.train.images, 4, (j) => bpix(5, 0, j), 'train 4');
  });

  test('long names (GNU and pax headers) are extracted under their full path; links are not', async () => {
    const long = `${'a-very-long-folder-name-'.repeat(5)}x/file.bin`;
    for (const pax of [false, true]) {
      const archive = join(root, `long-${pax ? 'pax' : 'gnu'}.tar.gz`);
      const link = tarEntry('link.bin', new Uint8Array(0), '2', '/etc/passwd');
      writeFileSync(archive, gzipSync(makeTar({ [long]: binaryFile(3, 2, 1, 10), 'small.txt': Buffer.from('x') }, { pax, extra: link })));
      const out = join(root, `long-${pax ? 'pax' : 'gnu'}`);
      const written = await extractTar(archive, out);
      assert.deepEqual(written, [join(out, long), join(out, 'small.txt')]);
      assert.deepEqual(readFileSync(join(out, long)), Buffer.from(binaryFile(3, 2, 1, 10)));
      assert.equal(existsSync(join(out, 'link.bin')), false);
    }
  });

  test('reads archives made by the system tar (GNU long names, folders)', {
    skip: spawnSync('tar', ['--version']).status !== 0 && 'no tar command (the test above covers long names without it)',
  }, async () => {
    const src = join(root, 'systar');
    const long = `${'a-very-long-folder-name-'.repeat(5)}x`;
    mkdirSync(join(src, long), { recursive: true });
    writeFileSync(join(src, long, 'file.bin'), binaryFile(3, 2, 1, 10));
    writeFileSync(join(src, 'small.txt'), 'x');
    const archive = join(root, 'sys.tar.gz');
    assert.equal(spawnSync('tar', ['czf', archive, '-C', src, '.']).status, 0);
    const names: string[] = [];
    await listTar({
      file: archive,
      strict: true,
      onReadEntry: (e) => {
        names.push(`${e.type === 'File' ? 'file' : e.type === 'Directory' ? 'directory' : 'other'}:${e.path}`);
      },
    });
    assert.ok(names.includes(`file:./${long}/file.bin`), names.join(', '));
    assert.ok(names.includes(`directory:./${long}/`), names.join(', '));
    const out = join(root, 'sysout');
    await extractTar(archive, out, (n) => n.endsWith('.bin'));
    assert.deepEqual(readFileSync(join(out, long, 'file.bin')), Buffer.from(binaryFile(3, 2, 1, 10)));
    assert.equal(existsSync(join(out, 'small.txt')), false);
  });

  test('truncated and corrupt archives get errors naming the archive', async () => {
    const tar = makeTar({ 'a.bin': new Uint8Array(5000).fill(7) });
    const cut = join(root, 'cut.tar.gz');
    const gz = gzipSync(tar);
    writeFileSync(cut, gz.subarray(0, gz.length - 20));
    await assert.rejects(extractTar(cut, join(root, 'cut')), (e: Error) => e.message.includes(cut) && /truncated/.test(e.message));
    const cutTar = join(root, 'cut.tar');
    writeFileSync(cutTar, tar.subarray(0, 2048));
    await assert.rejects(
      extractTar(cutTar, join(root, 'cut2')),
      (e: Error) => e.message.includes(cutTar) && /truncated archive: a\.bin is cut short/.test(e.message),
    );
    assert.equal(existsSync(join(root, 'cut2', 'a.bin')), false, 'nothing half-written is left');
    const bad = Buffer.from(tar);
    bad[10] ^= 0xff;
    const badPath = join(root, 'bad.tar');
    writeFileSync(badPath, bad);
    await assert.rejects(
      extractTar(badPath, join(root, 'bad')),
      (e: Error) => e.message.includes(badPath) && /checksum mismatch/.test(e.message),
    );
    const escaping = join(root, 'escape.tar');
    writeFileSync(escaping, makeTar({ '../../evil.txt': Buffer.from('x') }));
    await assert.rejects(extractTar(escaping, join(root, 'esc')), /refusing to extract \.\.\/\.\.\/evil\.txt/);
    const absolute = join(root, 'absolute.tar');
    writeFileSync(absolute, makeTar({ 'fine.txt': Buffer.from('y'), [join(root, 'abs-evil.txt')]: Buffer.from('x') }));
    await assert.rejects(extractTar(absolute, join(root, 'abs')), /refusing to extract \/.*abs-evil\.txt \(path outside the folder\)/);
    assert.equal(existsSync(join(root, 'abs-evil.txt')), false);
    assert.equal(existsSync(join(root, 'abs', 'fine.txt')), false, 'a refused archive writes nothing');
    const missing = join(root, 'no-such.tar.gz');
    await assert.rejects(
      extractTar(missing, join(root, 'none')),
      (e: Error) => e instanceof DatasetError && e.message.startsWith(`${missing}: cannot read: ENOENT`),
    );
  });

  test('an archive in --data-dir is verified against the official checksum before use', async () => {
    const dir = join(root, 'withArchive');
    mkdirSync(dir);
    const archive = join(dir, CIFAR100.binary.archive);
    writeFileSync(archive, gzipSync(makeTar({ 'cifar-100-binary/train.bin': binaryFile(1, 1, 2, 100) })));
    await assert.rejects(
      loadVisionDataset('cifar100', { dataDir: dir, download: false, log: () => {} }),
      (e: Error) => e.message.includes(archive) && /md5 checksum mismatch \(expected 03b5dce01913d631647c71ecec9e9cb8/.test(e.message),
    );
  });
});
