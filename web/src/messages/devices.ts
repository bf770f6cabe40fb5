/**
 * The dashboard's texts for one section, in English and Simplified Chinese; part of the one
 * catalogue assembled in ../i18n.ts. Keys start with this section's prefixes.
 */
const en = {
  'deviceSettings.placeholder': '',
} as const;

const zh: Record<keyof typeof en, string> = {
  'deviceSettings.placeholder': '',
};

export default { en, zh };
