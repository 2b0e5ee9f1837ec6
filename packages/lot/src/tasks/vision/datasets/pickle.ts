// A small, safe reader for Python pickles of plain data and numpy arrays: enough for the
// CIFAR "python version" batches (a dict of bytes keys holding a uint8 numpy array, label
// lists, file names), whether written by Python 2's cPickle (protocol 2, str → BINSTRING) or
// Python 3 (protocols 2–5). It never runs code: the only callables it knows are the numpy
// array/dtype reconstructors, _codecs.encode and bytearray; anything else is an error.
// Byte strings are views on the input (no copy), so a 30 MB array costs nothing to read.

/** A numpy array: raw bytes plus dtype ('u1', 'i8', …; byte order '<', '>' or '|') and shape. */
export class NdArray {
  shape: number[] = [];
  dtype = 'u1';
  byteOrder = '|';
  fortran = false;
  data: Uint8Array = new Uint8Array(0);

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
}

/** A reference to a Python global (module.name), as pickles name classes and functions. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

class NumpyDtype {
  constructor(
    public str: string,
    public byteOrder = '|',
  ) {}
}

class PickleError extends Error {}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const asText = (v: unknown): string => (v instanceof Uint8Array ? latin1(v) : String(v));

const RECONSTRUCT = new Set(['numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct']);
const FROMBUFFER = new Set(['numpy.core.numeric._frombuffer', 'numpy._core.numeric._frombuffer']);
const DTYPE = new Set(['numpy.dtype']);

function dtypeSize(dtype: string): number {
  const m = /^[a-zA-Z?](\d+)$/.exec(dtype);
  if (m) return Number(m[1]);
  const sizes: Record<string, number> = { b: 1, B: 1, '?': 1 };
  if (dtype in sizes) return sizes[dtype]!;
  throw new PickleError(`numpy dtype '${dtype}' is not supported`);
}

function call(fn: unknown, args: unknown[]): unknown {
  if (!(fn instanceof PickleGlobal)) throw new PickleError(`cannot call ${typeof fn}`);
  const name = fn.toString();
  if (RECONSTRUCT.has(name)) return new NdArray();
  if (DTYPE.has(name)) {
    let s = asText(args[0]);
    let order = '|';
    if (/^[<>|=]/.test(s)) {
      order = s[0]!;
      s = s.slice(1);
    }
    return new NumpyDtype(s, order);
  }
  if (FROMBUFFER.has(name)) {
    // _frombuffer(buffer, dtype, shape, order)
    const a = new NdArray();
    const buf = args[0];
    if (!(buf instanceof Uint8Array)) throw new PickleError('numpy _frombuffer without an in-band buffer');
    const dt = args[1];
    if (!(dt instanceof NumpyDtype)) throw new PickleError('numpy _frombuffer without a dtype');
    a.data = buf;
    a.dtype = dt.str;
    a.byteOrder = dt.byteOrder;
    a.shape = (args[2] as number[]).map(Number);
    a.fortran = asText(args[3]) === 'F';
    return a;
  }
  if (name === '_codecs.encode') {
    // Python 3 pickles bytes at protocol < 3 as _codecs.encode(str, 'latin1').
    const s = String(args[0]);
    const enc = String(args[1] ?? 'utf-8')
      .toLowerCase()
      .replace('_', '-');
    return new Uint8Array(Buffer.from(s, enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1' ? 'latin1' : 'utf8'));
  }
  if (name === 'builtins.bytearray' || name === '__builtin__.bytearray') {
    if (args.length === 0) return new Uint8Array(0);
    if (args[0] instanceof Uint8Array) return args[0];
    return new Uint8Array(Buffer.from(String(args[0]), 'latin1'));
  }
  if (name === 'collections.OrderedDict') return new Map();
  throw new PickleError(`the pickle calls ${name}, which this reader does not support (only plain data and numpy arrays)`);
}

function build(obj: unknown, state: unknown): void {
  if (obj instanceof NdArray) {
    // ndarray.__setstate__: (version, shape, dtype, is_fortran, rawdata) or the 4-tuple without version.
    const st = state as unknown[];
    const s = st.length === 5 ? st.slice(1) : st;
    const [shape, dtype, fortran, raw] = s;
    if (!(dtype instanceof NumpyDtype)) throw new PickleError('numpy array state without a dtype');
    if (!(raw instanceof Uint8Array)) throw new PickleError(`numpy array of dtype ${dtype.str} holds Python objects, not raw bytes`);
    obj.shape = (shape as number[]).map(Number);
    obj.dtype = dtype.str;
    obj.byteOrder = dtype.byteOrder;
    obj.fortran = Boolean(fortran);
    obj.data = raw;
    return;
  }
  if (obj instanceof NumpyDtype) {
    // dtype.__setstate__: (version, byteorder, subdescr, names, fields, elsize, alignment, flags[, metadata])
    const st = state as unknown[];
    if (st.length > 1) obj.byteOrder = asText(st[1]);
    return;
  }
  if (obj instanceof Map && state instanceof Map) {
    for (const [k, v] of state) obj.set(k, v);
    return;
  }
  throw new PickleError('unsupported BUILD (object state) in pickle');
}

/** Decodes a protocol-0 STRING argument: a quoted Python str literal, as bytes. */
function unquote(text: string, at: number): Uint8Array {
  const q = text[0];
  if ((q !== "'" && q !== '"') || text[text.length - 1] !== q || text.length < 2) throw new PickleError(`malformed STRING at offset ${at}`);
  const body = text.slice(1, -1);
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, '0': 0 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const e = body[++i];
    if (e === 'x') {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e !== undefined && /[0-7]/.test(e) && /^[0-7]{1,3}/.test(body.slice(i))) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else if (e !== undefined && e in simple) out.push(simple[e]!);
    else throw new PickleError(`unknown escape \\${e} in STRING at offset ${at}`);
  }
  return Uint8Array.from(out);
}

/**
 * Parses one pickle. Dicts become Maps whose keys are strings (bytes keys decoded as latin-1);
 * Python str → string; bytes (and Python 2 str) → Uint8Array views; lists and tuples → arrays;
 * numpy arrays → NdArray. Throws an Error naming `file` on malformed or truncated input.
 */
export function parsePickle(bytes: Uint8Array, file = 'pickle'): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;

  const need = (n: number): number => {
    if (pos + n > bytes.length) throw new PickleError(`truncated: needs ${n} more bytes at offset ${pos} of ${bytes.length}`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => bytes[need(1)]!;
  const u16 = (): number => view.getUint16(need(2), true);
  const i32 = (): number => view.getInt32(need(4), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const at = need(8);
    const big = view.getBigUint64(at, true);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError(`length ${big} too large at offset ${at}`);
    return Number(big);
  };
  const take = (n: number): Uint8Array => {
    if (n < 0) throw new PickleError(`negative length at offset ${pos}`);
    const at = need(n);
    return bytes.subarray(at, at + n);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError(`truncated: unterminated line at offset ${pos}`);
    const s = latin1(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const utf8 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]!))
      throw new PickleError(`stack underflow at offset ${pos - 1}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new PickleError(`empty stack at offset ${pos - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw new PickleError(`no MARK at offset ${pos - 1}`);
    return stack.splice(m);
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof Map)) throw new PickleError(`SETITEMS on a non-dict at offset ${pos - 1}`);
    for (let i = 0; i + 1 < items.length; i += 2) dict.set(asText(items[i]), items[i + 1]);
  };
  const append = (list: unknown, items: unknown[]): void => {
    if (!Array.isArray(list)) throw new PickleError(`APPENDS on a non-list at offset ${pos - 1}`);
    for (const v of items) list.push(v);
  };
  const longFrom = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  try {
    for (;;) {
      const at = pos;
      const op = u8();
      switch (op) {
        case 0x80: // PROTO
          u8();
          break;
        case 0x95: // FRAME
          u64();
          break;
        case 0x2e: // STOP '.'
          if (stack.length !== 1) throw new PickleError(`STOP with ${stack.length} values on the stack`);
          return stack[0];
        case 0x7d: // EMPTY_DICT '}'
          stack.push(new Map());
          break;
        case 0x5d: // EMPTY_LIST ']'
          stack.push([]);
          break;
        case 0x29: // EMPTY_TUPLE ')'
          stack.push([]);
          break;
        case 0x28: // MARK '('
          marks.push(stack.length);
          break;
        case 0x71: // BINPUT 'q'
          memo.set(u8(), top());
          break;
        case 0x72: // LONG_BINPUT 'r'
          memo.set(u32(), top());
          break;
        case 0x94: // MEMOIZE
          memo.set(memo.size, top());
          break;
        case 0x70: // PUT 'p'
          memo.set(Number(line()), top());
          break;
        case 0x68: // BINGET 'h'
        case 0x6a: // LONG_BINGET 'j'
        case 0x67: {
          // GET 'g'
          const k = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
          if (!memo.has(k)) throw new PickleError(`memo key ${k} missing at offset ${at}`);
          stack.push(memo.get(k));
          break;
        }
        case 0x55: // SHORT_BINSTRING 'U' (Python 2 str: bytes)
          stack.push(take(u8()));
          break;
        case 0x54: // BINSTRING 'T'
          stack.push(take(i32()));
          break;
        case 0x43: // SHORT_BINBYTES 'C'
          stack.push(take(u8()));
          break;
        case 0x42: // BINBYTES 'B'
          stack.push(take(u32()));
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          stack.push(take(u64()));
          break;
        case 0x8c: // SHORT_BINUNICODE
          stack.push(utf8(take(u8())));
          break;
        case 0x58: // BINUNICODE 'X'
          stack.push(utf8(take(u32())));
          break;
        case 0x8d: // BINUNICODE8
          stack.push(utf8(take(u64())));
          break;
        case 0x4b: // BININT1 'K'
          stack.push(u8());
          break;
        case 0x4d: // BININT2 'M'
          stack.push(u16());
          break;
        case 0x4a: // BININT 'J'
          stack.push(i32());
          break;
        case 0x49: {
          // INT 'I' (text; I01/I00 are booleans)
          const s = line();
          stack.push(s === '01' ? true : s === '00' ? false : Number(s));
          break;
        }
        case 0x4c: {
          // LONG 'L' (text, protocol 0: digits then an optional L)
          const t = line().replace(/L$/, '');
          const v = BigInt(t);
          stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
          break;
        }
        case 0x46: // FLOAT 'F' (text)
          stack.push(Number(line()));
          break;
        case 0x53: // STRING 'S' (protocol 0: a quoted Python 2 str literal → bytes)
          stack.push(unquote(line(), at));
          break;
        case 0x56: // UNICODE 'V' (protocol 0: raw-unicode-escape)
          stack.push(
            line().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a: string | undefined, b: string | undefined) =>
              String.fromCodePoint(parseInt((a ?? b)!, 16)),
            ),
          );
          break;
        case 0x8a: // LONG1
          stack.push(longFrom(take(u8())));
          break;
        case 0x8b: // LONG4
          stack.push(longFrom(take(i32())));
          break;
        case 0x47: // BINFLOAT 'G' (big-endian double)
          stack.push(view.getFloat64(need(8), false));
          break;
        case 0x4e: // NONE 'N'
          stack.push(null);
          break;
        case 0x88: // NEWTRUE
          stack.push(true);
          break;
        case 0x89: // NEWFALSE
          stack.push(false);
          break;
        case 0x74: // TUPLE 't'
          stack.push(popMark());
          break;
        case 0x85: // TUPLE1
          stack.push([pop()]);
          break;
        case 0x86: {
          // TUPLE2
          const b = pop();
          stack.push([pop(), b]);
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = pop();
          const b = pop();
          stack.push([pop(), b, c]);
          break;
        }
        case 0x6c: // LIST 'l'
          stack.push(popMark());
          break;
        case 0x64: {
          // DICT 'd'
          const d = new Map<string, unknown>();
          setItems(d, popMark());
          stack.push(d);
          break;
        }
        case 0x63: {
          // GLOBAL 'c'
          const module = line();
          stack.push(new PickleGlobal(module, line()));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = pop();
          stack.push(new PickleGlobal(String(pop()), String(name)));
          break;
        }
        case 0x52: {
          // REDUCE 'R'
          const args = pop();
          stack.push(call(pop(), args as unknown[]));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = pop();
          stack.push(call(pop(), args as unknown[]));
          break;
        }
        case 0x62: {
          // BUILD 'b'
          const state = pop();
          build(top(), state);
          break;
        }
        case 0x73: {
          // SETITEM 's'
          const v = pop();
          const k = pop();
          setItems(top(), [k, v]);
          break;
        }
        case 0x75: {
          // SETITEMS 'u'
          const items = popMark();
          setItems(top(), items);
          break;
        }
        case 0x61: {
          // APPEND 'a'
          const v = pop();
          append(top(), [v]);
          break;
        }
        case 0x65: {
          // APPENDS 'e'
          const items = popMark();
          append(top(), items);
          break;
        }
        case 0x30: // POP '0'
          pop();
          break;
        case 0x31: // POP_MARK '1'
          popMark();
          break;
        case 0x32: // DUP '2'
          stack.push(top());
          break;
        default:
          throw new PickleError(`unsupported opcode 0x${op.toString(16).padStart(2, '0')} at offset ${at}`);
      }
    }
  } catch (e) {
    if (e instanceof PickleError) throw new Error(`${file}: not a readable pickle (${e.message})`);
    throw e;
  }
}

/** The elements of a numpy integer array or a Python list of ints, as an Int32Array. */
export function toInt32Array(value: unknown, what: string): Int32Array {
  if (Array.isArray(value)) {
    const out = new Int32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${what}: element ${i} is not an integer`);
      out[i] = v;
    }
    return out;
  }
  if (value instanceof NdArray) {
    const n = value.size;
    const size = dtypeSize(value.dtype);
    if (value.data.length !== n * size) throw new Error(`${what}: numpy array of ${n} × ${value.dtype} holds ${value.data.length} bytes`);
    if (size > 1 && value.byteOrder === '>') throw new Error(`${what}: big-endian numpy arrays are not supported`);
    const kind = value.dtype[0];
    const dv = new DataView(value.data.buffer, value.data.byteOffset, value.data.byteLength);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * size;
      if (kind === 'u')
        out[i] =
          size === 1
            ? dv.getUint8(o)
            : size === 2
              ? dv.getUint16(o, true)
              : size === 4
                ? dv.getUint32(o, true)
                : Number(dv.getBigUint64(o, true));
      else if (kind === 'i')
        out[i] =
          size === 1
            ? dv.getInt8(o)
            : size === 2
              ? dv.getInt16(o, true)
              : size === 4
                ? dv.getInt32(o, true)
                : Number(dv.getBigInt64(o, true));
      else throw new Error(`${what}: numpy dtype ${value.dtype} is not an integer type`);
    }
    return out;
  }
  throw new Error(`${what}: expected a list or numpy array of integers`);
}
