// PyTorch-like printing: tensor([[1.0000, 2.0000], ...], dtype=float64, requires_grad=True)
import type { Tensor } from './tensor.js';

const SUMMARIZE_ABOVE = 1000;
const EDGE_ITEMS = 3;

const LINE_WIDTH = 80;

// As torch/_tensor_str.py's _Formatter: floats print as '1.' when every finite
// value is an integer, in scientific notation when max/min > 1000, max > 1e8 or
// (non-integers) min < 1e-4, else with 4 decimals; all padded to one width.
function makeFormatter(values: number[], floating: boolean, isBool: boolean): { text: (v: number) => string; width: number } {
  if (!floating) {
    const text = (v: number) => (isBool ? (v ? 'True' : 'False') : String(v));
    return { text, width: Math.max(1, ...values.map((v) => text(v).length)) };
  }
  const finite = values.filter((v) => Number.isFinite(v) && v !== 0);
  const abs = finite.map(Math.abs);
  const lo = Math.min(...abs);
  const hi = Math.max(...abs);
  const intMode = finite.every((v) => v === Math.ceil(v));
  const sciMode = finite.length > 0 && (hi / lo > 1000 || hi > 1e8 || (!intMode && lo < 1e-4));
  const sci = (v: number) => halfEven(v, 4, true).replace(/e([+-])(\d)$/, 'e$10$2');
  const text = (v: number): string => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    const sign = Object.is(v, -0) ? '-' : '';
    if (sciMode) return sign + sci(v);
    return sign + (intMode ? `${v.toFixed(0)}.` : halfEven(v, 4, false));
  };
  const width = finite.length === 0 ? 1 : Math.max(1, ...finite.map((v) => text(v).length));
  return { text, width };
}

// Python's format rounds an exact tie to even ('%.4f' % 0.03125 is '0.0312');
// toFixed and toExponential round it away from zero. The 25 extra digits are
// exact, and only a true tie reads 5 followed by zeros there.
function halfEven(v: number, digits: number, scientific: boolean): string {
  const rounded = scientific ? v.toExponential(digits) : v.toFixed(digits);
  const [long, exponent] = (scientific ? v.toExponential(digits + 25) : v.toFixed(digits + 25)).split('e');
  if (!/^50*$/.test(long.slice(-25))) return rounded;
  const truncated = long.slice(0, -25);
  if (Number(truncated[truncated.length - 1]) % 2 === 1) return rounded;
  return exponent === undefined ? truncated : `${truncated}e${exponent}`;
}

// The elements that printing shows (edge items of every dimension), as get_summarized_data.
function summarized(values: number[], shape: number[]): number[] {
  const out: number[] = [];
  const sizes: number[] = [];
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; --d) {
    sizes[d] = acc;
    acc *= shape[d];
  }
  const walk = (d: number, offset: number) => {
    if (d === shape.length) {
      out.push(values[offset]);
      return;
    }
    const n = shape[d];
    const idx = n > 2 * EDGE_ITEMS ? [0, 1, 2, n - 3, n - 2, n - 1] : [...Array(n).keys()];
    for (const i of idx) walk(d + 1, offset + i * sizes[d]);
  };
  walk(0, 0);
  return out;
}

export function formatTensor(t: Tensor): string {
  const dtype = t.dtype;
  const shape = t.shape;
  const floating = dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
  const flat = t.data();
  const values: number[] = Array.from(flat as ArrayLike<number | bigint>, (v) => Number(v));
  const summarize = values.length > SUMMARIZE_ABOVE;
  const { text, width } = makeFormatter(summarize ? summarized(values, shape) : values, floating, dtype === 'bool');
  const pad = (s: string) => s.padStart(width);

  const strides: number[] = [];
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; --d) {
    strides[d] = acc;
    acc *= shape[d];
  }
  const indent = ' '.repeat('tensor('.length);
  const render = (d: number, offset: number): string => {
    if (shape.length === 0) return pad(text(values[0]));
    const n = shape[d];
    const indices =
      summarize && n > 2 * EDGE_ITEMS
        ? [...Array(EDGE_ITEMS).keys(), -1, ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i)]
        : [...Array(n).keys()];
    if (d === shape.length - 1) {
      const items = indices.map((i) => (i < 0 ? ' ...' : pad(text(values[offset + i]))));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent.length - d) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${indent}${' '.repeat(d + 1)}`)}]`;
    }
    const sep = `,${'\n'.repeat(shape.length - 1 - d)}${indent}${' '.repeat(d + 1)}`;
    return `[${indices.map((i) => (i < 0 ? '...' : render(d + 1, offset + i * strides[d]))).join(sep)}]`;
  };
  const parts: string[] = [];
  if (values.length === 0 && shape.length !== 1) parts.push(`size=(${shape.join(', ')})`);
  if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool') parts.push(`dtype=torch.${dtype}`);
  if (t.device !== 'cpu') parts.push(`device='${t.device}'`);
  const gradFn = t.gradFn;
  if (gradFn) parts.push(`grad_fn=<${gradFn}>`);
  else if (t.requiresGrad) parts.push('requires_grad=True');
  // A suffix goes on a new line when it would pass the line width, as _add_suffixes.
  let out = `tensor(${values.length === 0 ? '[]' : render(0, 0)}`;
  let lastLine = out.length - out.lastIndexOf('\n') + 1;
  for (const part of parts) {
    if (lastLine + part.length + 2 > LINE_WIDTH) {
      out += `,\n${indent}${part}`;
      lastLine = indent.length + part.length;
    } else {
      out += `, ${part}`;
      lastLine += part.length + 2;
    }
  }
  return `${out})`;
}
