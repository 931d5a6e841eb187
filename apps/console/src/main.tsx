// Before any schema is built: the page runs under a CSP without eval (see @scenecast/contract/jitless).
import '@scenecast/contract/jitless';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ConsoleApp } from './console/ConsoleApp';
import { PublishPage } from './publish/PublishPage';
import './styles.css';

// Two apps on one origin: the phone's publish page (/publish#<code>, no sign-in) and the brand console.
const root = createRoot(document.getElementById('root')!);
root.render(<StrictMode>{location.pathname === '/publish' ? <PublishPage /> : <ConsoleApp />}</StrictMode>);
