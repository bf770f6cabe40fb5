/**
 * The dashboard's texts for one section, in English and Simplified Chinese; part of the one
 * catalogue assembled in ../i18n.ts. Keys start with this section's prefixes.
 */
const en = {
  'platform.title': 'Tenants',
} as const;

const zh: Record<keyof typeof en, string> = {
  'platform.title': '租户',
};

export default { en, zh };
