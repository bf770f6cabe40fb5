import './automations.css';

/**
 * A home's automations and scenes: the list (`AutomationsPage`) and one automation's editor
 * with its run history (`AutomationPage`, `new` for a new one).
 */
export { AutomationsPage } from './list.tsx';
export { AutomationPage } from './editor.tsx';
