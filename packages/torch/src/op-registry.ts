// Operator ids: resolves 'aten::name.overload' through the native bridge once
// and caches the id, so a call costs one array lookup on the C++ side.
import { native } from './native.js';

const ids = new Map<string, number>();

/** The bridge id of an operator given as 'aten::name' or 'aten::name.overload'. */
export function opId(qualified: string): number {
  let id = ids.get(qualified);
  if (id === undefined) {
    const [name, overload = ''] = splitQualified(qualified);
    id = native.resolveOp(name, overload);
    ids.set(qualified, id);
  }
  return id;
}

function splitQualified(qualified: string): [string, string] {
  const sep = qualified.indexOf('::');
  const dot = qualified.indexOf('.', sep < 0 ? 0 : sep + 2);
  return dot < 0 ? [qualified, ''] : [qualified.slice(0, dot), qualified.slice(dot + 1)];
}

/** The schema of an operator, e.g. 'aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor'. */
export function schemaOf(qualified: string): string {
  return native.opSchema(opId(qualified));
}

/** Every operator registered with libtorch's dispatcher, as 'namespace::name.overload'. */
export function listOperators(): string[] {
  return native.listOps();
}

/** A getter for an operator's id that resolves on first use (hot paths call it each time). */
export function lazyOp(qualified: string): () => number {
  let id = -1;
  return () => (id >= 0 ? id : (id = opId(qualified)));
}
