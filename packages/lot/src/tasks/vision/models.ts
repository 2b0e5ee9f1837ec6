// Vision models: the reference's PreResNet (pre-activation ResNet for CIFAR,
// structure and parameter names of the classic bearpaw/pytorch-classification
// PreResNet that the LoT reference uses) and a small CNN for quick runs.
//
// PreResNet-d (docs/METHOD.md#preresnet): widths 16/32/64; a 3×3 stem convolution; three stages of
// pre-activation blocks (BN-ReLU-conv), the first block of stages 2 and 3 with
// stride 2 and a 1×1 convolution shortcut ("downsample.0") where the shape changes;
// a BN-ReLU-average-pool head and a linear classifier. Depth < 44: BasicBlock,
// n = (d−2)/6 blocks per stage. Depth ≥ 44: Bottleneck (×4 expansion),
// n = ⌊(d−2)/9⌋ blocks per stage (docs/METHOD.md's d = 9n+2; 44 is not of that form and
// gets ⌊42/9⌋ = 4, as Python's `//` gives). The option `blockRule: 'classic'`
// instead uses n = (d−2)/6 for Bottleneck too (the older bearpaw rule; 0.87M
// parameters for PreResNet-56 instead of 0.59M).
// Initialization: convolutions N(0, √(2/(k²·out_channels))), BatchNorm weight 1 and
// bias 0, the classifier PyTorch's default Linear initialization.
import * as torch from '@lot/torch';
import type { Tensor } from '@lot/torch';
import { VISION_MODELS } from './names.js';

export { isVisionModelName, VISION_MODELS, type VisionModelName } from './names.js';

const nn = torch.nn;
const F = torch.nn.functional;
type Module = torch.nn.Module;

export interface VisionModelOptions {
  numClasses: number;
  /** Input channels: 1 for Fashion-MNIST, 3 for CIFAR. */
  inChannels?: number;
  /** How Bottleneck depths (≥ 44) map to blocks per stage: 'lot' (docs/METHOD.md#preresnet, ⌊(d−2)/9⌋, default) or 'classic' ((d−2)/6). */
  blockRule?: 'lot' | 'classic';
}

/**
 * Drops our handle on an intermediate activation as soon as the next layer has consumed it,
 * as Python's reference counting does: autograd keeps what backward needs, the rest is freed
 * at once instead of at the end of the enclosing scope (lower peak memory, warm allocator).
 */
const release = (t: Tensor): void => t.dispose();

function conv(inC: number, outC: number, k: number, stride = 1): torch.nn.Conv2d {
  const c = new nn.Conv2d(inC, outC, k, { stride, padding: k === 3 ? 1 : 0, bias: false });
  const std = Math.sqrt(2 / (k * k * outC));
  torch.noGrad(() => {
    c.weight.normal_(0, std);
  });
  return c;
}

/** Pre-activation basic block: BN-ReLU-conv3×3(stride)-BN-ReLU-conv3×3, plus the (projected) input. */
export class PreActBasicBlock extends nn.Module {
  static readonly expansion = 1;
  declare bn1: torch.nn.BatchNorm2d;
  declare conv1: torch.nn.Conv2d;
  declare bn2: torch.nn.BatchNorm2d;
  declare conv2: torch.nn.Conv2d;
  declare downsample: torch.nn.Sequential | undefined;
  constructor(inplanes: number, planes: number, stride = 1, downsample: torch.nn.Sequential | null = null) {
    super();
    this.registerModule('bn1', new nn.BatchNorm2d(inplanes));
    this.registerModule('conv1', conv(inplanes, planes, 3, stride));
    this.registerModule('bn2', new nn.BatchNorm2d(planes));
    this.registerModule('conv2', conv(planes, planes, 3));
    if (downsample) this.registerModule('downsample', downsample);
  }
  forward(x: Tensor): Tensor {
    const a1 = this.bn1.forward(x).relu_();
    const c1 = this.conv1.forward(a1);
    release(a1);
    const a2 = this.bn2.forward(c1).relu_();
    release(c1);
    const out = this.conv2.forward(a2);
    release(a2);
    if (!this.downsample) return out.add_(x);
    const residual = this.downsample.forward(x);
    out.add_(residual);
    release(residual);
    return out;
  }
}

/** Pre-activation bottleneck: BN-ReLU-conv1×1, BN-ReLU-conv3×3(stride), BN-ReLU-conv1×1(×4), plus the (projected) input. */
export class PreActBottleneck extends nn.Module {
  static readonly expansion = 4;
  declare bn1: torch.nn.BatchNorm2d;
  declare conv1: torch.nn.Conv2d;
  declare bn2: torch.nn.BatchNorm2d;
  declare conv2: torch.nn.Conv2d;
  declare bn3: torch.nn.BatchNorm2d;
  declare conv3: torch.nn.Conv2d;
  declare downsample: torch.nn.Sequential | undefined;
  constructor(inplanes: number, planes: number, stride = 1, downsample: torch.nn.Sequential | null = null) {
    super();
    this.registerModule('bn1', new nn.BatchNorm2d(inplanes));
    this.registerModule('conv1', conv(inplanes, planes, 1));
    this.registerModule('bn2', new nn.BatchNorm2d(planes));
    this.registerModule('conv2', conv(planes, planes, 3, stride));
    this.registerModule('bn3', new nn.BatchNorm2d(planes));
    this.registerModule('conv3', conv(planes, planes * 4, 1));
    if (downsample) this.registerModule('downsample', downsample);
  }
  forward(x: Tensor): Tensor {
    let h: Tensor = x;
    for (const [bn, conv] of [
      [this.bn1, this.conv1],
      [this.bn2, this.conv2],
      [this.bn3, this.conv3],
    ] as const) {
      const a = bn.forward(h).relu_();
      if (h !== x) release(h);
      h = conv.forward(a);
      release(a);
    }
    if (!this.downsample) return h.add_(x);
    const residual = this.downsample.forward(x);
    h.add_(residual);
    release(residual);
    return h;
  }
}

type BlockClass = typeof PreActBasicBlock | typeof PreActBottleneck;

/** The blocks per stage and the block type of PreResNet-`depth`. */
export function preResNetLayout(
  depth: number,
  blockRule: 'lot' | 'classic' = 'lot',
): { block: 'basic' | 'bottleneck'; blocksPerStage: number } {
  if (!Number.isInteger(depth) || depth < 8) throw new Error(`PreResNet depth must be an integer >= 8, got ${depth}`);
  if (depth < 44) {
    if ((depth - 2) % 6 !== 0) throw new Error(`PreResNet depth ${depth} below 44 uses BasicBlocks and must be 6n+2 (20, 32, ...)`);
    return { block: 'basic', blocksPerStage: (depth - 2) / 6 };
  }
  if (blockRule === 'classic') {
    if ((depth - 2) % 6 !== 0) throw new Error(`PreResNet depth ${depth} must be 6n+2 under the classic block rule`);
    return { block: 'bottleneck', blocksPerStage: (depth - 2) / 6 };
  }
  return { block: 'bottleneck', blocksPerStage: Math.floor((depth - 2) / 9) };
}

/** The reference PreResNet (see the file comment). Input [N, C, H, W]; output logits [N, numClasses]. */
export class PreResNet extends nn.Module {
  declare conv1: torch.nn.Conv2d;
  declare layer1: torch.nn.Sequential;
  declare layer2: torch.nn.Sequential;
  declare layer3: torch.nn.Sequential;
  declare bn: torch.nn.BatchNorm2d;
  declare fc: torch.nn.Linear;
  readonly depth: number;
  readonly blockType: 'basic' | 'bottleneck';
  readonly blocksPerStage: number;
  private inplanes = 16;

  constructor(depth: number, o: VisionModelOptions) {
    super();
    const inChannels = o.inChannels ?? 3;
    checkPositiveInt('numClasses', o.numClasses);
    checkPositiveInt('inChannels', inChannels);
    const layout = preResNetLayout(depth, o.blockRule);
    this.depth = depth;
    this.blockType = layout.block;
    this.blocksPerStage = layout.blocksPerStage;
    const block: BlockClass = layout.block === 'basic' ? PreActBasicBlock : PreActBottleneck;
    this.registerModule('conv1', conv(inChannels, 16, 3));
    this.registerModule('layer1', this.makeLayer(block, 16, layout.blocksPerStage, 1));
    this.registerModule('layer2', this.makeLayer(block, 32, layout.blocksPerStage, 2));
    this.registerModule('layer3', this.makeLayer(block, 64, layout.blocksPerStage, 2));
    this.registerModule('bn', new nn.BatchNorm2d(64 * block.expansion));
    this.registerModule('fc', new nn.Linear(64 * block.expansion, o.numClasses));
  }

  private makeLayer(block: BlockClass, planes: number, blocks: number, stride: number): torch.nn.Sequential {
    const out = planes * block.expansion;
    const downsample = stride !== 1 || this.inplanes !== out ? new nn.Sequential(conv(this.inplanes, out, 1, stride)) : null;
    const layers: Module[] = [new block(this.inplanes, planes, stride, downsample)];
    this.inplanes = out;
    for (let i = 1; i < blocks; ++i) layers.push(new block(this.inplanes, planes));
    return new nn.Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    let h = this.conv1.forward(x);
    for (const layer of [this.layer1, this.layer2, this.layer3]) {
      for (const block of layer) {
        const next = block.forward(h) as Tensor;
        release(h);
        h = next;
      }
    }
    const a = this.bn.forward(h).relu_();
    release(h);
    // The reference's AvgPool2d(8) over the final 8×8 map of a 32×32 input; here over the whole
    // final map, so 28×28 inputs (7×7 at the end) work too.
    const pooled = F.adaptiveAvgPool2d(a, 1);
    release(a);
    const out = this.fc.forward(pooled.flatten(1));
    release(pooled);
    return out;
  }
  override extraRepr(): string {
    return `depth=${this.depth}, block=${this.blockType}, blocks_per_stage=${this.blocksPerStage}`;
  }
}

/**
 * A small CNN for quick runs: two conv3×3(32, 64)-BN-ReLU-maxpool2 stages, an adaptive
 * average pool to 4×4, then Linear(1024, 128)-ReLU-Linear(128, classes).
 */
export class SmallCNN extends nn.Module {
  declare features: torch.nn.Sequential;
  declare classifier: torch.nn.Sequential;
  constructor(o: VisionModelOptions) {
    super();
    const inChannels = o.inChannels ?? 3;
    checkPositiveInt('numClasses', o.numClasses);
    checkPositiveInt('inChannels', inChannels);
    this.registerModule(
      'features',
      new nn.Sequential(
        conv(inChannels, 32, 3),
        new nn.BatchNorm2d(32),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        conv(32, 64, 3),
        new nn.BatchNorm2d(64),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.AdaptiveAvgPool2d(4),
      ),
    );
    this.registerModule('classifier', new nn.Sequential(new nn.Linear(64 * 16, 128), new nn.ReLU(), new nn.Linear(128, o.numClasses)));
  }
  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features.forward(x).flatten(1));
  }
}

/** A freshly initialized model by name (seed torch first for reproducible weights). */
export function createVisionModel(name: string, o: VisionModelOptions): PreResNet | SmallCNN {
  const key = String(name).toLowerCase();
  if (key === 'smallcnn') return new SmallCNN(o);
  const m = /^preresnet(\d+)$/.exec(key);
  if (m && (VISION_MODELS as readonly string[]).includes(key)) return new PreResNet(Number(m[1]), o);
  throw new Error(`unknown vision model '${name}': use one of ${VISION_MODELS.join(', ')}`);
}

function checkPositiveInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what} must be an integer >= 1, got ${v}`);
}
