// torch.nn: the functional API now; modules join it in nn/modules.
export * as functional from './functional.js';
