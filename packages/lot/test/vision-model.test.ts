// Vision models: PreResNet structure, parameter names and counts as the reference
// (PyTorch), output shapes, initialization; the small CNN; the name lookup.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@lot/torch';
import { createVisionModel, PreResNet, preResNetLayout, VISION_MODELS } from '../src/tasks/vision/models.js';
import { useOneThread } from './lot-helpers.js';

useOneThread();

const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../test/fixtures/vision-model-preresnet.json', import.meta.url)), 'utf8'),
) as Record<string, { numClasses: number; inChannels: number; parameters: number; stateDict: [string, number[]][] }>;

describe('PreResNet', () => {
  for (const name of ['preresnet20', 'preresnet56']) {
    test(`${name}: state dict names, order and shapes match PyTorch's reference model`, () => {
      const want = fixture[name];
      const m = createVisionModel(name, { numClasses: want.numClasses, inChannels: want.inChannels });
      const got = Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]);
      assert.deepEqual(got, want.stateDict);
      assert.equal(m.numParameters(), want.parameters);
    });
  }

  test('parameter counts (computed with PyTorch for the same structure)', () => {
    const counts: [string, number, number][] = [
      ['preresnet20', 10, 272282],
      ['preresnet20', 100, 278132],
      ['preresnet32', 10, 466714],
      ['preresnet44', 10, 404954],
      ['preresnet56', 10, 590426],
      ['preresnet56', 100, 613556],
      ['preresnet110', 10, 1146842],
    ];
    for (const [name, numClasses, n] of counts)
      assert.equal(createVisionModel(name, { numClasses }).numParameters(), n, `${name}/${numClasses}`);
    // the classic bearpaw rule: (d−2)/6 bottlenecks per stage
    assert.equal(new PreResNet(56, { numClasses: 10, blockRule: 'classic' }).numParameters(), 868634);
    // one input channel: the stem has 16·1·9 weights instead of 16·3·9
    assert.equal(createVisionModel('preresnet20', { numClasses: 10, inChannels: 1 }).numParameters(), 272282 - 288);
  });

  test('block layout: BasicBlock (d−2)/6 below 44, Bottleneck ⌊(d−2)/9⌋ from 44', () => {
    assert.deepEqual(preResNetLayout(20), { block: 'basic', blocksPerStage: 3 });
    assert.deepEqual(preResNetLayout(32), { block: 'basic', blocksPerStage: 5 });
    assert.deepEqual(preResNetLayout(44), { block: 'bottleneck', blocksPerStage: 4 });
    assert.deepEqual(preResNetLayout(56), { block: 'bottleneck', blocksPerStage: 6 });
    assert.deepEqual(preResNetLayout(110), { block: 'bottleneck', blocksPerStage: 12 });
    assert.deepEqual(preResNetLayout(56, 'classic'), { block: 'bottleneck', blocksPerStage: 9 });
    assert.throws(() => preResNetLayout(21), /must be 6n\+2/);
  });

  test('output shapes for CIFAR (3×32×32) and Fashion-MNIST (1×28×28) inputs, in train and eval mode', () => {
    torch.tidy(() => {
      const cifar = createVisionModel('preresnet20', { numClasses: 100, inChannels: 3 });
      assert.deepEqual(cifar.forward(torch.randn([2, 3, 32, 32])).shape, [2, 100]);
      const fmnist = createVisionModel('preresnet56', { numClasses: 10, inChannels: 1 });
      assert.deepEqual(fmnist.forward(torch.randn([3, 1, 28, 28])).shape, [3, 10]);
      fmnist.eval();
      assert.deepEqual(fmnist.forward(torch.randn([1, 1, 28, 28])).shape, [1, 10]);
    });
  });

  test('initialization: convolutions N(0, √(2/(k²·out))), BatchNorm weight 1 and bias 0', () => {
    torch.manualSeed(0);
    const m = createVisionModel('preresnet56', { numClasses: 10 });
    const sd = m.stateDict();
    const std = (name: string) => torch.tidy(() => sd[name].std().item());
    const close = (a: number, b: number, rel: number) => assert.ok(Math.abs(a - b) < rel * b, `${a} vs ${b}`);
    close(std('layer3.0.conv2.weight'), Math.sqrt(2 / (9 * 64)), 0.05); // 64·64·9 weights
    close(std('layer3.1.conv3.weight'), Math.sqrt(2 / (1 * 256)), 0.05);
    close(std('layer2.0.downsample.0.weight'), Math.sqrt(2 / 128), 0.05);
    torch.tidy(() => {
      assert.equal(sd['layer2.3.bn2.weight'].eq(1).all().item(), 1);
      assert.equal(sd['bn.bias'].eq(0).all().item(), 1);
      assert.ok(Math.abs(sd['conv1.weight'].mean().item()) < 0.05);
    });
  });

  test('gradients reach every parameter', () => {
    torch.tidy(() => {
      const m = createVisionModel('preresnet20', { numClasses: 10 });
      const y = torch.tensor([1, 2], { dtype: 'int64' });
      torch.nn.functional.crossEntropy(m.forward(torch.randn([2, 3, 32, 32])), y).backward();
      for (const [n, p] of m.namedParameters()) assert.ok(p.grad !== null, `${n} got no gradient`);
    });
  });
});

describe('SmallCNN and the name lookup', () => {
  test('smallcnn: shapes for both input kinds', () => {
    torch.tidy(() => {
      const m = createVisionModel('smallcnn', { numClasses: 10, inChannels: 1 });
      assert.deepEqual(m.forward(torch.randn([5, 1, 28, 28])).shape, [5, 10]);
      const c = createVisionModel('SmallCNN', { numClasses: 7, inChannels: 3 });
      assert.deepEqual(c.forward(torch.randn([2, 3, 32, 32])).shape, [2, 7]);
      assert.ok(m.numParameters() < 200_000);
    });
  });

  test('every listed name builds; an unknown name lists the valid ones', () => {
    for (const name of VISION_MODELS) assert.ok(createVisionModel(name, { numClasses: 10 }).numParameters() > 0);
    assert.throws(
      () => createVisionModel('resnet18', { numClasses: 10 }),
      /unknown vision model 'resnet18': use one of preresnet20, preresnet32, preresnet44, preresnet56, preresnet110, smallcnn/,
    );
    assert.throws(() => createVisionModel('preresnet26', { numClasses: 10 }), /unknown vision model/);
    assert.throws(() => createVisionModel('preresnet20', { numClasses: 0 }), /numClasses must be an integer >= 1/);
  });
});
