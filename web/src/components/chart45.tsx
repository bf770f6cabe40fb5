import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Chart } from '../api.ts';
import { useI18n } from '../i18n.ts';

const HEIGHT_PX = 280;

function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** `#rrggbb` with an alpha, for the min–max band under the mean line. */
function translucent(color: string, alpha: number): string {
  const match = /^#([0-9a-f]{6})$/i.exec(color);
  if (!match) return color;
  const n = parseInt(match[1]!, 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * The 45-day chart: the mean per bucket as a line over the min–max band, with the home's
 * timezone on the time axis. Drag to zoom in, double-click or "Reset zoom" to see it all.
 * `data-ready` and `data-points` say when it is drawn and from how many buckets;
 * `data-render-ms` how long it took from the request (`requestedAt`, performance.now()).
 */
export function Chart45(props: { chart: Chart; format: (value: number) => string; requestedAt: number }) {
  const { t, locale } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [drawn, setDrawn] = useState<{ points: number; renderMs: number } | null>(null);
  const [zoomed, setZoomed] = useState(false);
  const { chart, format } = props;

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const xs = chart.points.map((p) => p.tsMs / 1000);
    const means = chart.points.map((p) => p.mean);
    const lonely = means.flatMap((mean, i) =>
      mean !== null && (means[i - 1] ?? null) === null && (means[i + 1] ?? null) === null ? [i] : [],
    );
    const data: uPlot.AlignedData = [
      xs,
      means,
      chart.points.map((p) => p.min),
      chart.points.map((p) => p.max),
    ];
    const line = cssColor('--chart-line', '#c2410c');
    const grid = cssColor('--chart-grid', '#e5e7eb');
    const text = cssColor('--text-muted', '#6b7280');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const show = (_u: uPlot, value: number | null) => (value === null ? '—' : format(value));
    const edge = { stroke: translucent(line, 0.35), width: 1, points: { show: false }, value: show };
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: HEIGHT_PX,
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), chart.timezone),
      fmtDate: (template) => uPlot.fmtDate(template, localeNames(locale)),
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: true } },
      axes: [
        axis,
        {
          ...axis,
          values: (_u, splits) => splits.map((v) => format(v)),
          // Wide enough for the longest label ("6,581 kWh"): uPlot does not measure them itself.
          size: (_u, values) => (values ? Math.max(4, ...values.map((v) => v.length)) * 7.5 + 18 : 50),
        },
      ],
      series: [
        {},
        {
          label: t('device.mean'),
          stroke: line,
          width: 2,
          value: show,
          // A bucket with empty ones on both sides has no line to it: drawn as a point.
          points: {
            size: 6,
            fill: line,
            filter: (_u, _i, all) => (all || lonely.length === 0 ? null : lonely),
          },
        },
        { ...edge, label: `${t('device.range')} ↓` },
        { ...edge, label: `${t('device.range')} ↑` },
      ],
      bands: [{ series: [3, 2], fill: translucent(line, 0.15) }],
      hooks: {
        setScale: [
          (u, key) => {
            if (key !== 'x' || xs.length === 0) return;
            const { min, max } = u.scales.x!;
            setZoomed(min !== undefined && max !== undefined && (min > xs[0]! || max < xs[xs.length - 1]!));
          },
        ],
      },
    };
    const instance = new uPlot(options, data, element);
    plot.current = instance;
    setZoomed(false);
    setDrawn({ points: chart.points.length, renderMs: Math.round(performance.now() - props.requestedAt) });
    const resize = new ResizeObserver(() => {
      instance.setSize({ width: Math.max(280, element.clientWidth), height: HEIGHT_PX });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      instance.destroy();
      plot.current = null;
      setDrawn(null);
    };
  }, [chart, locale]);

  const resetZoom = () => {
    const instance = plot.current;
    const xs = instance?.data[0];
    if (!instance || !xs || xs.length === 0) return;
    instance.setScale('x', { min: xs[0]!, max: xs[xs.length - 1]! });
  };

  return (
    <figure class="chart-figure">
      <div class="chart-toolbar">
        <p class="hint" id="chart-45d-help">
          {t('device.chartHelp')}
        </p>
        <button type="button" class="button button-small" onClick={resetZoom} disabled={!zoomed}>
          {t('device.resetZoom')}
        </button>
      </div>
      <div
        ref={container}
        class="chart-45d"
        data-testid="chart-45d"
        data-ready={drawn ? 'true' : 'false'}
        data-points={drawn?.points ?? 0}
        data-render-ms={drawn?.renderMs}
        data-interval={chart.interval}
        role="img"
        aria-label={t('device.chart45')}
        aria-describedby="chart-45d-help"
      />
    </figure>
  );
}

/** Month and day names in the person's language for uPlot's axis labels. */
function localeNames(locale: string): uPlot.DateNames {
  const month = (style: 'long' | 'short') =>
    Array.from({ length: 12 }, (_, m) =>
      new Intl.DateTimeFormat(locale, { month: style, timeZone: 'UTC' }).format(Date.UTC(2021, m, 1)),
    );
  // 2021-01-03 was a Sunday: uPlot's week starts on Sunday.
  const day = (style: 'long' | 'short') =>
    Array.from({ length: 7 }, (_, d) =>
      new Intl.DateTimeFormat(locale, { weekday: style, timeZone: 'UTC' }).format(Date.UTC(2021, 0, 3 + d)),
    );
  return { MMMM: month('long'), MMM: month('short'), WWWW: day('long'), WWW: day('short') };
}
