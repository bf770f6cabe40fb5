import type { ComponentChildren } from 'preact';
import { LoginCard } from '../components/card.tsx';
import { ConfirmDialog as SharedConfirmDialog } from '../components/dialog.tsx';
import { useI18n } from '../i18n.ts';
import { formProblemText } from './api.ts';

/** A question before a destructive action; the action's failure shown in the people pages' words. */
export function ConfirmDialog(props: {
  title: string;
  testId: string;
  confirmText: string;
  busy: boolean;
  error: unknown;
  onConfirm: () => void;
  onCancel: () => void;
  children?: ComponentChildren;
}) {
  const { t } = useI18n();
  const { error, ...rest } = props;
  return (
    <SharedConfirmDialog
      {...rest}
      busyText={t('people.working')}
      error={error === null || error === undefined ? null : formProblemText(error, t)}
    />
  );
}

/** The frame of the pages opened from a mailed link: the login page's card. */
export function PublicCard(props: { title: string; testId: string; children: ComponentChildren }) {
  return <LoginCard {...props} class="people-public" />;
}

/** A form's error, in words. */
export function FormError({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (error === null || error === undefined) return null;
  return (
    <p class="notice notice-error" role="alert" data-testid="form-error">
      {formProblemText(error, t)}
    </p>
  );
}
