import { api, session, type Branding, type Tenant } from './api.ts';
import { createStore } from './store.ts';

/** The signed-in person's provider (from `GET /v1/me`); null for the platform admin or before it loads. */
export const tenant = createStore<Tenant | null>(null);

/** A colour the API accepts for branding: `#rrggbb`. */
export const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

/**
 * The CSS variables a provider's colours set (styles.css defines their defaults): the primary
 * colour is the brand's (buttons, links, the name), the accent the charts'.
 */
const BRAND_VARIABLES: ReadonlyArray<[keyof Branding, string]> = [
  ['primaryColor', '--accent'],
  ['accentColor', '--chart-line'],
];

/** Sets (or clears) the provider's colours on the document; the stylesheet's defaults stay otherwise. */
export function applyBranding(branding: Branding | null): void {
  const style = globalThis.document?.documentElement.style;
  if (!style) return;
  for (const [field, variable] of BRAND_VARIABLES) {
    const colour = branding?.[field];
    if (colour && HEX_COLOUR.test(colour)) style.setProperty(variable, colour);
    else style.removeProperty(variable);
  }
}

tenant.subscribe((value) => applyBranding(value?.branding ?? null));

let loadedFor: string | null = null;

/** Loads the provider of the person signed in (once per person); a failure leaves the default look. */
export async function loadTenant(): Promise<void> {
  const userId = session.get()?.user.id ?? null;
  if (!userId || loadedFor === userId) return;
  loadedFor = userId;
  try {
    const me = await api.get<{ tenant: Tenant | null }>('/v1/me');
    if (session.get()?.user.id === userId) tenant.set(me.tenant);
  } catch {
    // The look is not worth an error on every page: the default one stays, the next sign-in tries again.
    loadedFor = null;
  }
}

session.subscribe((value) => {
  if (value?.user.id === loadedFor) return;
  loadedFor = null;
  tenant.set(null);
});
