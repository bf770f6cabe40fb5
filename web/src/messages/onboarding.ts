/**
 * The dashboard's texts for one section, in English and Simplified Chinese; part of the one
 * catalogue assembled in ../i18n.ts. Keys start with this section's prefixes.
 */
const en = {
  'signup.placeholder': '',
} as const;

const zh: Record<keyof typeof en, string> = {
  'signup.placeholder': '',
};

export default { en, zh };
