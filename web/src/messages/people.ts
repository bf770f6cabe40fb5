/**
 * The dashboard's texts for one section, in English and Simplified Chinese; part of the one
 * catalogue assembled in ../i18n.ts. Keys start with this section's prefixes.
 */
const en = {
  'people.title': 'Members',
} as const;

const zh: Record<keyof typeof en, string> = {
  'people.title': '成员',
};

export default { en, zh };
