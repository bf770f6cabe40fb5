import { api, session, type Session } from './api.ts';
import { language, setLanguage, type Language } from './i18n.ts';

/**
 * Keeps the dashboard's language and the person's account language (what Hestia's
 * notifications and mails are written in) the same:
 * - signing in with a language chosen on another device shows the dashboard in it; an account
 *   without one takes the dashboard's;
 * - switching the language while signed in saves it to the account (`PATCH /v1/me`).
 * The platform's admins have no account language (their mails are English).
 */
export function syncAccountLanguage(): () => void {
  let signedInAs: string | null = null;

  const save = (current: Session, next: Language) => {
    if (current.user.role === 'platform_admin' || current.user.language === next) return;
    api.patch('/v1/me', { language: next }).then(
      () => {
        const now = session.get();
        if (now?.user.id === current.user.id) session.set({ ...now, user: { ...now.user, language: next } });
      },
      // Not saved (offline, a refusal): the dashboard still shows the chosen language, and the
      // next switch or sign-in tries again.
      () => undefined,
    );
  };

  const onSession = (current: Session | null) => {
    const userId = current?.user.id ?? null;
    if (userId === signedInAs) return;
    signedInAs = userId;
    if (!current) return;
    const chosen = current.user.language;
    if (chosen === 'en' || chosen === 'zh') {
      if (chosen !== language.get()) setLanguage(chosen);
    } else {
      save(current, language.get());
    }
  };

  onSession(session.get());
  const stopSession = session.subscribe(onSession);
  const stopLanguage = language.subscribe((next) => {
    const current = session.get();
    if (current) save(current, next);
  });
  return () => {
    stopSession();
    stopLanguage();
  };
}
