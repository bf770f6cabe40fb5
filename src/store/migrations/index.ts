import { initial } from './001-initial.ts';
import { directory } from './002-directory.ts';
import { dataLifecycle } from './003-data-lifecycle.ts';
import { control } from './004-control.ts';
import { languages } from './005-languages.ts';
import { cameras } from './006-cameras.ts';
import type { Migration } from './migration.ts';

/** Every migration, in order; both adapters apply the ones a database has not had yet. */
export const MIGRATIONS: readonly Migration[] = [
  initial,
  directory,
  dataLifecycle,
  control,
  languages,
  cameras,
];
