import type { ComponentChildren } from 'preact';
import { ApiError, type Availability } from '../api.ts';
import { errorText } from '../format.ts';
import { useI18n } from '../i18n.ts';

/** A request under way: announced to screen readers, shown as a quiet line. */
export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label ?? t('common.loading')}
    </p>
  );
}

/** A failed request, in words, with a way to try again. */
export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <div class="notice notice-error" role="alert">
      <span>{errorText(error, t)}</span>
      {onRetry && (
        <button type="button" class="button button-small" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function AvailabilityBadge({ availability }: { availability: Availability }) {
  const { t } = useI18n();
  return (
    <span class={`badge badge-${availability}`} data-testid="availability">
      <span class="dot" aria-hidden="true" />
      {t(`availability.${availability}`)}
    </span>
  );
}

export function Section(props: {
  title: ComponentChildren;
  id: string;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <section class={`section ${props.class ?? ''}`} aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** A page that does not exist, or one the person may not see (the API answers both with 404). */
export function NotFound() {
  const { t } = useI18n();
  return (
    <div class="page narrow">
      <h1>{t('notFound.title')}</h1>
      <p>{t('notFound.text')}</p>
      <p>
        <a href="/">{t('notFound.back')}</a>
      </p>
    </div>
  );
}

/** What a page shows when its data did not load: "not found" for a 404, else the error and a retry. */
export function PageError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  if (error instanceof ApiError && error.status === 404) return <NotFound />;
  return (
    <div class="page">
      <ErrorMessage error={error} onRetry={onRetry} />
    </div>
  );
}
