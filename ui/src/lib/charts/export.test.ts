import { describe, expect, it } from 'vitest';
import { buildSvg, fileNameOf, type SvgSpec } from './export';

const spec: SvgSpec = {
  width: 400,
  height: 200,
  title: 'loss/<train>',
  plot: { left: 60, top: 20, width: 320, height: 140 },
  xTicks: [{ at: 0, label: '0' }, { at: 320, label: '10k' }],
  yTicks: [{ at: 0, label: '1' }, { at: 140, label: '0' }],
  series: [
    { label: 'run a', color: '#ff0000', width: 1.5, runs: [[[0, 140], [160, 70], [320, 0]]] },
    { label: 'raw', color: '#ff000044', width: 1, runs: [[[0, 10]]], quiet: true },
    { label: 'single', color: '#00ff00', width: 1.5, runs: [[[100, 50]]] },
  ],
  bands: [{ color: '#0000ff33', outline: [[0, 10], [320, 10], [320, 30], [0, 30]] }],
  note: '2 values ≤ 0 not shown (log scale)',
  colors: { background: '#fff', text: '#222', grid: '#ddd' },
};

describe('buildSvg', () => {
  const svg = buildSvg(spec);
  it('draws the data as vector paths, not an embedded bitmap', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toContain('<image');
    expect(svg).toContain('d="M0 140 L160 70 L320 0" fill="none" stroke="#ff0000"');
    expect(svg).toContain('<circle cx="100" cy="50"');
    expect(svg).toContain('fill="#0000ff33"');
  });
  it('labels ticks, escapes the title, names visible series in the legend only', () => {
    expect(svg).toContain('>10k</text>');
    expect(svg).toContain('loss/&lt;train&gt;');
    expect(svg).toContain('>run a</text>');
    expect(svg).not.toContain('>raw</text>');
    expect(svg).toContain('not shown (log scale)');
  });
  it('names files after the chart', () => {
    expect(fileNameOf('loss/train', 'svg')).toBe('loss_train.svg');
    expect(fileNameOf('', 'png')).toBe('chart.png');
  });
});
