/** Sign-up, new homes and a home's settings. */
export { SignupPage } from './signup.tsx';
export { HomeSettingsPage } from './settings.tsx';
export { NewHomeForm } from './home-form.tsx';
