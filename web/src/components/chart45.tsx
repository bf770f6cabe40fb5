import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Chart } from '../api.ts';
import { useI18n } from '../i18n.ts';

const HEIGHT_PX = 280;
const DAY_S = 24 * 60 * 60;
/** The quick ranges above the chart, in days back from its last bucket (0: everything). */
const RANGES = [7, 14, 0] as const;
/** The narrowest window a pinch can zoom to. */
const MIN_WINDOW_S = 6 * 60 * 60;

/** Keeps an x window inside the data and at least MIN_WINDOW_S wide. */
function clampWindow(min: number, max: number, first: number, last: number): { min: number; max: number } {
  const width = Math.min(Math.max(max - min, MIN_WINDOW_S), last - first);
  const start = Math.min(Math.max(min, first), last - width);
  return { min: start, max: start + width };
}

/**
 * Touch zoom for uPlot: two fingers pinch the time axis around their midpoint, one finger pans
 * (the page still scrolls vertically: `touch-action: pan-y` on the plot area).
 */
function touchZoom(bounds: () => { first: number; last: number } | null): uPlot.Plugin {
  return {
    hooks: {
      init(u) {
        const over = u.over;
        let rect: DOMRect | undefined;
        let start: { x: number; spread: number; value: number; range: number } | null = null;
        let frame = 0;
        let latest: { x: number; spread: number } | null = null;
        const position = (event: TouchEvent) => {
          const [a, b] = [event.touches[0], event.touches[1]];
          const left = rect?.left ?? 0;
          if (!a) return null;
          if (!b) return { x: a.clientX - left, spread: 0 };
          return { x: (a.clientX + b.clientX) / 2 - left, spread: Math.abs(a.clientX - b.clientX) };
        };
        const apply = () => {
          frame = 0;
          const range = bounds();
          if (!start || !latest || !rect || !range) return;
          const factor = start.spread > 0 && latest.spread > 0 ? start.spread / latest.spread : 1;
          const width = start.range * factor;
          const min = start.value - (latest.x / rect.width) * width;
          u.setScale('x', clampWindow(min, min + width, range.first, range.last));
        };
        const begin = (event: TouchEvent) => {
          rect = over.getBoundingClientRect();
          const at = position(event);
          const { min, max } = u.scales.x!;
          if (!at || min === undefined || max === undefined) return;
          // Every finger added or lifted starts the gesture again from where the chart is.
          start = { ...at, value: u.posToVal(at.x, 'x'), range: max - min };
          latest = at;
        };
        const move = (event: TouchEvent) => {
          latest = position(event);
          frame ||= requestAnimationFrame(apply);
        };
        const end = (event: TouchEvent) => {
          if (event.touches.length > 0) begin(event);
          else start = null;
        };
        over.addEventListener('touchstart', begin, { passive: true });
        over.addEventListener('touchmove', move, { passive: true });
        over.addEventListener('touchend', end, { passive: true });
        over.addEventListener('touchcancel', end, { passive: true });
      },
    },
  };
}

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
 * timezone on the time axis. Drag (or pinch on a touch screen, or pick 7 or 14 days) to zoom in;
 * one finger pans; double-click or "Reset zoom" to see it all.
 * `data-ready` and `data-points` say when it is drawn and from how many buckets;
 * `data-render-ms` how long it took from the request (`requestedAt`, performance.now()).
 */
export function Chart45(props: { chart: Chart; format: (value: number) => string; requestedAt: number }) {
  const { t, locale } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [drawn, setDrawn] = useState<{ points: number; renderMs: number } | null>(null);
  const [zoomed, setZoomed] = useState(false);
  /** The x window shown, in seconds: for the tests and the range buttons' state. */
  const [shown, setShown] = useState<{ min: number; max: number } | null>(null);
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
      plugins: [touchZoom(() => (xs.length > 1 ? { first: xs[0]!, last: xs[xs.length - 1]! } : null))],
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
            if (min === undefined || max === undefined) return;
            setZoomed(min > xs[0]! || max < xs[xs.length - 1]!);
            setShown({ min, max });
          },
        ],
      },
    };
    const instance = new uPlot(options, data, element);
    plot.current = instance;
    setZoomed(false);
    setShown(xs.length > 0 ? { min: xs[0]!, max: xs[xs.length - 1]! } : null);
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

  /** Shows the last `days` days up to the last bucket; 0 shows everything. */
  const showDays = (days: number) => {
    const instance = plot.current;
    const xs = instance?.data[0];
    if (!instance || !xs || xs.length === 0) return;
    const [first, last] = [xs[0]!, xs[xs.length - 1]!];
    instance.setScale(
      'x',
      days === 0 ? { min: first, max: last } : clampWindow(last - days * DAY_S, last, first, last),
    );
  };
  const shownDays = shown ? Math.round((shown.max - shown.min) / DAY_S) : null;

  return (
    <figure class="chart-figure">
      <div class="chart-toolbar">
        <p class="hint" id="chart-45d-help">
          {t('device.chartHelp')}
        </p>
        <div class="chart-ranges" role="group" aria-label={t('device.chartRange')}>
          {RANGES.map((days) => (
            <button
              key={days}
              type="button"
              class="button button-small button-quiet"
              data-testid={`chart-range-${days || 'all'}`}
              aria-pressed={days === 0 ? !zoomed : zoomed && shownDays === days}
              onClick={() => showDays(days)}
            >
              {days === 0 ? t('device.rangeAll') : t('device.rangeDays', { days })}
            </button>
          ))}
          <button type="button" class="button button-small" onClick={() => showDays(0)} disabled={!zoomed}>
            {t('device.resetZoom')}
          </button>
        </div>
      </div>
      <div
        ref={container}
        class="chart-45d"
        data-testid="chart-45d"
        data-ready={drawn ? 'true' : 'false'}
        data-points={drawn?.points ?? 0}
        data-render-ms={drawn?.renderMs}
        data-interval={chart.interval}
        data-zoomed={zoomed ? 'true' : 'false'}
        data-x-min={shown ? Math.round(shown.min) : undefined}
        data-x-max={shown ? Math.round(shown.max) : undefined}
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
