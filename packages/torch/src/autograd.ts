// Autograd beyond Tensor.backward: gradients of outputs with respect to inputs,
// and the grad-mode scopes.
import { native } from './native.js';
import { type Tensor, wrapOrNull } from './tensor.js';

export interface GradOptions {
  gradOutputs?: (Tensor | null)[];
  retainGraph?: boolean;
  createGraph?: boolean;
  allowUnused?: boolean;
}

/** d(sum of outputs · gradOutputs)/d(inputs), as torch.autograd.grad. */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gradOutputs = options.gradOutputs ? options.gradOutputs.map((g) => g?.handle ?? null) : null;
  return native
    .autogradGrad(
      outs.map((t) => t.handle),
      ins.map((t) => t.handle),
      gradOutputs,
      options.retainGraph,
      options.createGraph,
      options.allowUnused,
    )
    .map(wrapOrNull);
}

function withGradEnabled<T>(enabled: boolean, fn: () => T): T {
  const previous = native.setGradEnabled(enabled);
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error('grad-mode scopes need a synchronous function');
    return result;
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs fn with gradient recording off (torch.no_grad). */
export const noGrad = <T>(fn: () => T): T => withGradEnabled(false, fn);
/** Runs fn with gradient recording on (torch.enable_grad). */
export const enableGrad = <T>(fn: () => T): T => withGradEnabled(true, fn);
export const isGradEnabled = (): boolean => native.isGradEnabled();
export const setGradEnabled = (enabled: boolean): boolean => native.setGradEnabled(enabled);
/** Runs fn in libtorch's inference mode: no autograd bookkeeping at all (torch.inference_mode). */
export const inferenceMode = <T>(fn: () => T): T => native.runInferenceMode(fn);
export const isInferenceMode = (): boolean => native.isInferenceMode();
