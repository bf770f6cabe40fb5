import { useI18n } from '../i18n.ts';

/** Above this many bars their values do not fit above them: shown on hover and to screen readers. */
const DENSE_BARS = 8;

export interface Bar {
  key: string | number;
  /** Under the bar, e.g. "Mon 18" or "Mar". */
  label: string;
  /** The whole date, for the tooltip and screen readers. */
  title: string;
  value: number | null;
}

/**
 * A small bar chart in HTML (no chart library: it is on the page before uPlot arrives):
 * each bar is a list item whose name says its date and value.
 */
export function BarChart(props: {
  testId: string;
  title: string;
  bars: Bar[];
  format: (value: number) => string;
  footer?: string;
}) {
  const { t } = useI18n();
  const values = props.bars.map((bar) => bar.value).filter((value): value is number => value !== null);
  const max = Math.max(0, ...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  return (
    <figure class="bars-figure" data-testid={props.testId} data-ready="true" data-points={values.length}>
      <figcaption>{props.title}</figcaption>
      {values.length === 0 ? (
        <p class="muted">{t('device.noData')}</p>
      ) : (
        <ol
          class={`bars${props.bars.length > DENSE_BARS ? ' bars-dense' : ''}`}
          style={{ '--bars': props.bars.length }}
        >
          {props.bars.map((bar) => {
            const text = bar.value === null ? '' : props.format(bar.value);
            const height = bar.value === null ? 0 : (Math.abs(bar.value) / span) * 100;
            return (
              <li
                key={bar.key}
                class="bar"
                title={`${bar.title}: ${text}`}
                aria-label={`${bar.title}: ${text}`}
              >
                <span class="bar-value" aria-hidden="true">
                  {text}
                </span>
                <span class="bar-track" aria-hidden="true">
                  <span
                    class={`bar-fill${bar.value === null ? ' bar-empty' : ''}`}
                    style={{ height: `${height}%` }}
                  />
                </span>
                <span class="bar-label" aria-hidden="true">
                  {bar.label}
                </span>
              </li>
            );
          })}
        </ol>
      )}
      {props.footer && <p class="bars-footer">{props.footer}</p>}
    </figure>
  );
}
