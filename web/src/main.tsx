import { render } from 'preact';
import { App } from './app.tsx';
import { syncAccountLanguage } from './language-sync.ts';
import './styles.css';

syncAccountLanguage();
render(<App />, document.getElementById('app')!);
