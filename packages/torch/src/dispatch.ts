// Calling operators from TypeScript: typed wrappers use `callTensor` with a
// cached id; `ops` reaches every ATen operator by name, e.g.
// torch.ops.aten.add.Tensor(a, b) or torch.ops.aten.relu.default(x).
import { type Handle, native } from './native.js';
import { opId } from './op-registry.js';
import { Tensor, wrap } from './tensor.js';

/** Calls an operator that returns one tensor. */
export function callTensor(id: number, ...args: unknown[]): Tensor {
  return wrap(native.callOp(id, ...args));
}

/** Calls an operator that returns a list or tuple of tensors. */
export function callTensors(id: number, ...args: unknown[]): Tensor[] {
  return (native.callOp(id, ...args) as Handle[]).map(wrap);
}

export const handles = (tensors: readonly Tensor[]): Handle[] => tensors.map((t) => t.handle);

function toNativeArg(value: unknown): unknown {
  if (value instanceof Tensor) return value.handle;
  if (Array.isArray(value)) return value.map(toNativeArg);
  return value;
}

function fromNative(value: unknown, inputs: Map<unknown, Tensor>): unknown {
  if (Array.isArray(value)) return value.map((v) => fromNative(v, inputs));
  // Tensor handles are Externals: objects without a prototype. In-place ops
  // hand back the caller's own handle, which maps back to the caller's tensor.
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === null) {
    return inputs.get(value) ?? wrap(value as Handle);
  }
  return value;
}

/** Calls any operator by qualified name with JavaScript arguments (tensors, numbers, arrays, strings). */
export function callOperator(qualified: string, ...args: unknown[]): unknown {
  const inputs = new Map<unknown, Tensor>();
  for (const a of args) if (a instanceof Tensor) inputs.set(a.handle, a);
  const result = native.callOp(opId(qualified), ...args.map(toNativeArg));
  return fromNative(result, inputs);
}

type OverloadTable = Record<string, (...args: unknown[]) => any>;

/** torch.ops.<namespace>.<name>.<overload>(...args); the overload 'default' is the unnamed one. */
export const ops: Record<string, Record<string, OverloadTable>> = new Proxy(
  {},
  {
    get(_, namespace: string) {
      return new Proxy(
        {},
        {
          get(__, name: string) {
            return new Proxy(
              {},
              {
                get(___, overload: string) {
                  const qualified = `${namespace}::${name}${overload === 'default' ? '' : `.${overload}`}`;
                  return (...args: unknown[]) => callOperator(qualified, ...args);
                },
              },
            );
          },
        },
      );
    },
  },
);
