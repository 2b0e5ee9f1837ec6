// PyTorch-like printing: tensor([[1.0000, 2.0000], ...], dtype=float64, requires_grad=True)
import type { Tensor } from './tensor.js';

const SUMMARIZE_ABOVE = 1000;
const EDGE_ITEMS = 3;

function formatNumber(v: number, floating: boolean, fixed: boolean): string {
  if (!floating) return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return fixed ? v.toFixed(4) : v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

export function formatTensor(t: Tensor): string {
  const dtype = t.dtype;
  const shape = t.shape;
  const floating = dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
  const flat = t.data();
  const values: number[] = Array.from(flat as ArrayLike<number | bigint>, (v) => Number(v));
  const summarize = values.length > SUMMARIZE_ABOVE;
  const finite = values.filter((v) => Number.isFinite(v) && v !== 0).map(Math.abs);
  const fixed = finite.length === 0 || (Math.max(...finite) < 1e8 && Math.min(...finite) >= 1e-4);
  const text = (v: number): string => (dtype === 'bool' ? (v ? 'True' : 'False') : formatNumber(v, floating, fixed));
  const width = Math.max(1, ...values.map((v) => text(v).length));
  const pad = (s: string) => s.padStart(width);

  const strides: number[] = [];
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; --d) { strides[d] = acc; acc *= shape[d]; }
  const indent = ' '.repeat('tensor('.length);
  const render = (d: number, offset: number): string => {
    if (shape.length === 0) return text(values[0]);
    const n = shape[d];
    const indices = summarize && n > 2 * EDGE_ITEMS
      ? [...Array(EDGE_ITEMS).keys(), -1, ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i)]
      : [...Array(n).keys()];
    if (d === shape.length - 1) {
      return '[' + indices.map((i) => (i < 0 ? '...' : pad(text(values[offset + i])))).join(', ') + ']';
    }
    const sep = ',' + '\n'.repeat(shape.length - 1 - d) + indent + ' '.repeat(d + 1);
    return '[' + indices.map((i) => (i < 0 ? '...' : render(d + 1, offset + i * strides[d]))).join(sep) + ']';
  };
  const parts = [render(0, 0)];
  if (values.length === 0 && shape.length > 1) parts.push(`size=(${shape.join(', ')})`);
  if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool') parts.push(`dtype=torch.${dtype}`);
  if (t.device !== 'cpu') parts.push(`device='${t.device}'`);
  const gradFn = t.gradFn;
  if (gradFn) parts.push(`grad_fn=<${gradFn}>`);
  else if (t.requiresGrad) parts.push('requires_grad=True');
  return `tensor(${parts.join(', ')})`;
}
