// torch.nn: modules, containers, layers, init, and the functional API.
//
//   class Net extends torch.nn.Module {
//     declare fc: torch.nn.Linear;
//     constructor() { super(); this.registerModule('fc', new torch.nn.Linear(4, 2)); }
//     forward(x: Tensor) { return this.fc.forward(x).relu(); }
//   }
//   const net = new Net();
//   torch.save(net.stateDict(), 'net.pt');          // PyTorch's names; opens in Python
//   net.loadStateDict(torch.load('net.pt') as Record<string, Tensor>);
//
// Parameters are kept out of every tidy scope; run forward/backward inside
// torch.tidy (or a DisposeScope) so that intermediates are freed each step.
export * as functional from './functional.js';
export * as init from './init.js';
export { Module } from './module.js';
export type { LoadResult } from './module.js';
export * from './container.js';
export * from './linear.js';
export * from './normalization.js';
export * from './layers.js';
export * from './rnn.js';
export * from './transformer.js';
