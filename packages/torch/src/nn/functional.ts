// torch.nn.functional
export * from '../ops/nn.js';
export { softmax, logSoftmax, tanh, sigmoid } from '../ops/math.js';
export { pad, oneHot } from '../ops/shape.js';
