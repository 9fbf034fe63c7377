import type { ContenderKey } from './contenders.js';
import type { Summary } from './report.js';

const ROW = 26;
const LABEL_WIDTH = 440;
const PANEL_WIDTH = 230;
const GAP = 90;
const TOP = 44;

/** One load level's results. */
export interface ChartPanel {
  connections: number;
  summaries: readonly Summary[];
  fixedRate: number;
}

/**
 * A self-contained SVG with, per load level, two bar charts side by side: median req/s (longer is
 * better) and p99 latency at the fixed rate (shorter is better), one row per contender. The req/s
 * scale is set by the contenders that do real work; the floor, an order of magnitude faster, gets a cut bar.
 */
export function barChartSvg(panels: readonly ChartPanel[]): string {
  const width = LABEL_WIDTH + 2 * PANEL_WIDTH + GAP + 70;
  let height = 0;
  const groups = panels.map((panel) => {
    const group = `<g transform="translate(0 ${height})">\n${panelRows(panel).join('\n')}\n</g>`;
    height += panelHeight(panel);
    return group;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...groups,
    '</svg>',
  ].join('\n');
}

const panelHeight = ({ summaries }: ChartPanel) => TOP + summaries.length * ROW + 12;

function panelRows(panel: ChartPanel): string[] {
  const { summaries, fixedRate, connections } = panel;
  const height = panelHeight(panel);
  const maxRate = Math.max(...summaries.filter((s) => s.key !== 'floor').map((s) => s.median)) * 1.1;
  const maxP99 = Math.max(...summaries.map((s) => s.fixedRateP99), 1);
  const p99Left = LABEL_WIDTH + PANEL_WIDTH + GAP;
  const rows = summaries.map((s, i) => {
    const y = TOP + i * ROW;
    const cut = s.median > maxRate;
    const rateWidth = Math.min(s.median / maxRate, 1) * PANEL_WIDTH;
    const p99Width = (s.fixedRateP99 / maxP99) * PANEL_WIDTH;
    return [
      `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" text-anchor="end">${escape(s.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${rateWidth.toFixed(1)}" height="${ROW - 8}" fill="${colour(s.key)}"/>`,
      `<text x="${(LABEL_WIDTH + rateWidth + 4).toFixed(1)}" y="${y + 15}">${Math.round(s.median).toLocaleString('en-US')}${cut ? ' »' : ''}</text>`,
      `<rect x="${p99Left}" y="${y + 3}" width="${p99Width.toFixed(1)}" height="${ROW - 8}" fill="${colour(s.key)}" fill-opacity="0.6"/>`,
      `<text x="${(p99Left + p99Width + 4).toFixed(1)}" y="${y + 15}">${Math.round(s.fixedRateP99)} ms</text>`,
    ].join('');
  });
  return [
    `<text x="8" y="18" font-weight="bold">${connections} connections</text>`,
    `<text x="${LABEL_WIDTH}" y="18" font-weight="bold">req/s, median (longer is better)</text>`,
    `<text x="${p99Left}" y="18" font-weight="bold">p99 at ${Math.round(fixedRate).toLocaleString('en-US')} req/s (shorter is better)</text>`,
    `<line x1="${LABEL_WIDTH}" y1="${TOP - 4}" x2="${LABEL_WIDTH}" y2="${height - 8}" stroke="#999"/>`,
    `<line x1="${p99Left}" y1="${TOP - 4}" x2="${p99Left}" y2="${height - 8}" stroke="#999"/>`,
    ...rows,
  ];
}

const COLOURS: Record<ContenderKey, string> = {
  floor: '#9e9e9e',
  'rest-peer': '#e07b39',
  apollo: '#c9a227',
  yoga: '#d64f8f',
  mercurius: '#8a5cc2',
  admin: '#3f6fd1',
  'admin-dpop': '#2b8fb3',
  'admin-document': '#5a54c9',
  public: '#7fa3e8',
  'admin-uncached': '#1f3f80',
  'admin-rate-limited': '#5a4fcf',
  rest: '#4caf7d',
  'admin-metrics': '#5a86e0',
  'admin-traced': '#7398e6',
};

function colour(key: ContenderKey): string {
  return COLOURS[key];
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
