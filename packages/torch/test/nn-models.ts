// The architectures of fixtures/nn/make_nn_fixtures.py, built in the same order
// (so a seeded construction draws the same random numbers as PyTorch's).
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';

const { nn } = torch;

export class BasicBlock extends nn.Module {
  declare conv1: torch.nn.Conv2d;
  declare bn1: torch.nn.BatchNorm2d;
  declare relu: torch.nn.ReLU;
  declare conv2: torch.nn.Conv2d;
  declare bn2: torch.nn.BatchNorm2d;
  declare downsample?: torch.nn.Sequential;
  constructor(inp: number, out: number, stride = 1) {
    super();
    this.registerModule('conv1', new nn.Conv2d(inp, out, 3, { stride, padding: 1, bias: false }));
    this.registerModule('bn1', new nn.BatchNorm2d(out));
    this.registerModule('relu', new nn.ReLU());
    this.registerModule('conv2', new nn.Conv2d(out, out, 3, { stride: 1, padding: 1, bias: false }));
    this.registerModule('bn2', new nn.BatchNorm2d(out));
    if (stride !== 1 || inp !== out) {
      this.registerModule('downsample', new nn.Sequential(new nn.Conv2d(inp, out, 1, { stride, bias: false }), new nn.BatchNorm2d(out)));
    }
  }
  forward(x: Tensor): Tensor {
    let y = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    y = this.bn2.forward(this.conv2.forward(y));
    const s = this.downsample ? this.downsample.forward(x) : x;
    return this.relu.forward(y.add(s));
  }
}

export class ResNet extends nn.Module {
  declare conv1: torch.nn.Conv2d;
  declare bn1: torch.nn.BatchNorm2d;
  declare relu: torch.nn.ReLU;
  declare layer1: torch.nn.Sequential;
  declare layer2: torch.nn.Sequential;
  declare avgpool: torch.nn.AdaptiveAvgPool2d;
  declare fc: torch.nn.Linear;
  constructor() {
    super();
    this.registerModule('conv1', new nn.Conv2d(3, 8, 3, { stride: 1, padding: 1, bias: false }));
    this.registerModule('bn1', new nn.BatchNorm2d(8));
    this.registerModule('relu', new nn.ReLU());
    this.registerModule('layer1', new nn.Sequential(new BasicBlock(8, 8), new BasicBlock(8, 8)));
    this.registerModule('layer2', new nn.Sequential(new BasicBlock(8, 16, 2), new BasicBlock(16, 16)));
    this.registerModule('avgpool', new nn.AdaptiveAvgPool2d(1));
    this.registerModule('fc', new nn.Linear(16, 10));
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fanOut', nonlinearity: 'relu' });
    }
  }
  forward(x: Tensor): Tensor {
    x = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    x = this.layer2.forward(this.layer1.forward(x));
    return this.fc.forward(this.avgpool.forward(x).flatten(1));
  }
}

export class LSTMModel extends nn.Module {
  declare encoder: torch.nn.Embedding;
  declare drop: torch.nn.Dropout;
  declare rnn: torch.nn.LSTM;
  declare birnn: torch.nn.LSTM;
  declare decoder: torch.nn.Linear;
  constructor() {
    super();
    this.registerModule('encoder', new nn.Embedding(50, 16, { paddingIdx: 0 }));
    this.registerModule('drop', new nn.Dropout(0.3));
    this.registerModule('rnn', new nn.LSTM(16, 24, { numLayers: 2, dropout: 0.3, batchFirst: true }));
    this.registerModule('birnn', new nn.LSTM(24, 8, { bidirectional: true }));
    this.registerModule('decoder', new nn.Linear(16, 50));
  }
  forward(x: Tensor, hidden: [Tensor, Tensor]): { out: Tensor; h: Tensor; c: Tensor; h2: Tensor; c2: Tensor } {
    const e = this.drop.forward(this.encoder.forward(x));
    const [o, [h, c]] = this.rnn.forward(e, hidden);
    const [o2, [h2, c2]] = this.birnn.forward(o.transpose(0, 1));
    return { out: this.decoder.forward(this.drop.forward(o2)), h, c, h2, c2 };
  }
}

export function encoder(normFirst: boolean, activation: 'relu' | 'gelu'): torch.nn.TransformerEncoder {
  const layer = new nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, dropout: 0.1, activation, batchFirst: true, normFirst });
  return new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(16) });
}
